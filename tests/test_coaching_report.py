"""Two attempts at a question and a model answer asked for, as the review views show them:
replay and the Markdown export (text), and the HTML report opened in headless Chromium.
The sessions are made by typing into `voice-interviewer practice --text` (offline judge)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_report import CHROMIUM, Page

BANK = Path(__file__).parent / "data" / "mini-bank.yaml"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TYPED = {
    "en": ("it memorises noise in the training data\n\n/answer\n/retry\n"
           "it memorises noise in the training data and generalises poorly; a gap between training and "
           "validation error shows it\n\nyou move the weights against the gradient of the loss\n\n"),
    "es": ("memoriza el ruido de los datos de entrenamiento\n\n/answer\n/retry\n"
           "memoriza el ruido de los datos de entrenamiento y generaliza mal; una brecha con el error de "
           "validación lo revela\n\nmueves los pesos en contra del gradiente de la pérdida\n\n"),
}

pytestmark = [pytest.mark.model, pytest.mark.slow]


def vi(*args, input=None):
    env = {k: v for k, v in os.environ.items() if k != "VOICE_INTERVIEWER_RECORDINGS_DIR"}
    return subprocess.run([sys.executable, "-m", "voice_interviewer", *args], input=input, capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def practised(tmp_path_factory):
    root = tmp_path_factory.mktemp("coached")
    ids = {}
    for language, typed in TYPED.items():
        rec = root / language
        r = vi("practice", "--text", "--bank", str(BANK), "-q", "overfitting", "-q", "gradient-descent",
               "--followups", "0", "--scorer", "offline", "--language", language, "--recordings-dir", str(rec),
               input=typed)
        assert r.returncode == 0, r.stderr
        (sid,) = [p.name for p in rec.iterdir()]
        turns = json.loads((rec / sid / "session.json").read_text())["turns"]
        assert [t["attempt"] for t in turns] == [1, 2, 1] and turns[1]["score"] > turns[0]["score"], turns
        ids[language] = (rec, sid)
    return ids


@pytest.mark.parametrize("language", ["en", "es"])
def test_replay_and_export_show_attempts_and_model_answer(practised, language):
    rec, sid = practised[language]
    r = vi("replay", sid, "--no-audio", "--recordings-dir", str(rec))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "attempt 2" in out and "against attempt 1 (turn 1)" in out
    assert out.count("model answer:") == 3  # beside every judged turn
    assert "✘" in out  # the sentence stating the missed gap is marked in turn 1's model answer
    r = vi("export", sid, "--format", "md", "--recordings-dir", str(rec))
    assert r.returncode == 0, r.stderr
    word = "Intento" if language == "es" else "Attempt"
    assert f"· {word} 2" in r.stdout
    assert ("Frente al intento 1" if language == "es" else "Against attempt 1") in r.stdout
    assert "**✘ " in r.stdout


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    from test_report import ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "es"])
def test_report_shows_attempt_two_against_one_and_the_model_answer(browser, practised, tmp_path, language):
    rec, sid = practised[language]
    out = tmp_path / f"coached-{language}.html"
    r = vi("report", sid, "-o", str(out), "--recordings-dir", str(rec))
    assert r.returncode == 0, r.stderr
    page = Page(browser, out)
    try:
        p = page.page
        second = p.locator("section#turn-2")
        assert second.locator("h3 .attempt").inner_text() == ("Intento 2" if language == "es" else "Attempt 2")
        retry = second.locator(".retry")
        assert retry.locator("h4 a").get_attribute("href") == "#turn-1"
        assert retry.locator(".delta.up").count() == 1
        assert retry.locator("li.gained").count() >= 1 and retry.locator("li.lost").count() == 0
        added = " ".join(retry.locator(".diff ins").all_inner_texts())
        assert ("validación" if language == "es" else "validation") in added
        assert retry.locator(".diff span").count() >= 1  # the words both attempts share
        assert p.locator("section#turn-1 .retry").count() == 0
        # the model answer beside every judged turn; turn 1 missed the gap, its sentence is marked;
        # turn 1 asked for it, so it is open
        assert p.locator("details.model-answer").count() == 3
        assert p.locator("section#turn-1 details.model-answer[open]").count() == 1
        mark = p.locator("section#turn-1 details.model-answer mark.missed")
        assert mark.count() == 1 and ("brecha" if language == "es" else "gap") in mark.inner_text()
        assert p.locator("section#turn-2 details.model-answer mark.missed").count() == 0
        assert page.errors == [] and all(u.startswith(("file:", "data:")) for u in page.requests)
        ARTIFACTS.mkdir(exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"report-attempts-{language}.png"), full_page=True)
    finally:
        page.close()
