"""The HTML report and progress page, rendered from real sessions (espeak-ng audio) and opened
from file:// in headless Chromium: no console errors, no network, every audio element loads,
charts present, readable on a phone. Screenshots go to test-artifacts/."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from review_fixture import build_session
from voice_interviewer.review.clips import duration_s
from voice_interviewer.store import SessionStore

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def vi(*args):
    return subprocess.run([sys.executable, "-m", "voice_interviewer", *args],
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("rec")
    en = build_session(root, "en")
    es = build_session(root, "es")
    # user text that must be escaped, and a web address that must not become a URL in the file
    en.turns[0].answer += " <script>alert('x')</script> see https://example.org/a?b=1&c=<2>"
    SessionStore(root).save(en)
    return root, en, es


class Page:
    """A page opened from file:// with its console errors and every request it made."""

    def __init__(self, browser, path: Path, width: int = 1000):
        self.ctx = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    def wait_for(self, expression: str, timeout_s: float = 20.0) -> None:
        """Poll ``expression`` (page.wait_for_function evaluates strings, which the page's
        Content-Security-Policy forbids, as it should)."""
        deadline = time.monotonic() + timeout_s
        while not self.page.evaluate(expression):
            assert time.monotonic() < deadline, f"timed out waiting for: {expression}"
            time.sleep(0.1)

    def audio_states(self) -> list[dict]:
        self.wait_for(
            "Array.from(document.querySelectorAll('audio')).every(a => a.error || (a.readyState >= 1 && a.duration > 0))"
        )
        return self.page.evaluate(
            "() => Array.from(document.querySelectorAll('audio')).map(a => ({readyState: a.readyState, "
            "duration: a.duration, error: a.error && a.error.code, src: a.currentSrc.slice(0, 40)}))"
        )

    def close(self):
        self.ctx.close()


def expected_durations(root: Path, session) -> list[float]:
    out = []
    for t in session.turns:
        for rel in (t.question_audio_file, t.audio_file):
            if rel:
                out.append(duration_s(root / session.id / rel))
    return out


@pytest.mark.parametrize("language", ["en", "es"])
def test_report_is_self_contained_and_plays(browser, recorded, tmp_path, language):
    root, en, es = recorded
    session = en if language == "en" else es
    out = tmp_path / f"report-{language}.html"
    r = vi("report", session.id, "-o", str(out), "--recordings-dir", str(root))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", html), "everything inline"
    # audio is embedded as Ogg/Opus, much smaller than the WAVs
    uris = re.findall(r'src="data:audio/ogg;codecs=opus;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == 5  # 3 questions + 2 answers (turn 3 was skipped)
    blobs = [base64.b64decode(u) for u in uris]
    assert all(b.startswith(b"OggS") and b"OpusHead" in b[:100] for b in blobs)
    wav_bytes = sum(p.stat().st_size for p in (root / session.id).glob("*.wav"))
    assert sum(map(len, blobs)) < wav_bytes / 4

    page = Page(browser, out)
    try:
        states = page.audio_states()
        assert [s["error"] for s in states] == [None] * 5
        for got, want in zip([s["duration"] for s in states], expected_durations(root, session)):
            assert got == pytest.approx(want, abs=0.15)
        p = page.page
        assert p.locator("#chart-scores rect.bar").count() == 2  # two scored turns, the skipped one has none
        assert p.locator("#chart-pace rect.bar").count() == 2
        assert p.locator("section.turn").count() == 3 and p.locator("section.turn.follow").count() == 1
        marks = p.locator("section#turn-1 mark.kp-covered").all_inner_texts()
        if language == "en":
            assert p.locator("html").get_attribute("lang") == "en"
            assert {"training error", "validation", "regularization like dropout"} == set(marks)
            assert p.locator("section#turn-1 ul.kps li.missing").inner_text().strip().endswith("More data or augmentation")
            # escaped user text is shown as text, not run
            assert "<script>alert('x')</script>" in p.locator("section#turn-1 .transcript").inner_text()
            assert "https://example.org/a?b=1&c=<2>" in p.locator("section#turn-1 .transcript").inner_text()
            assert p.get_by_text("Mean score").count() == 1
        else:
            assert p.locator("html").get_attribute("lang") == "es"
            assert {"entrenamiento", "validación", "regularización como dropout"} == set(marks)
            assert p.get_by_text("Puntuación media").count() == 1 and p.get_by_text("Saltada", exact=True).count() == 1
        assert p.locator("mark.kp-filler").count() == 1
        assert p.locator("#summary").inner_text().count("8.8") == 1  # mean of 7.5 and 10
        # speed buttons change every player's rate
        p.locator(".speed button[data-rate='1.5']").click()
        assert p.evaluate("Array.from(document.querySelectorAll('audio')).every(a => a.playbackRate === 1.5)")
        # a recording really plays
        p.evaluate("document.querySelector('#turn-1 audio').muted = true")
        p.evaluate("document.querySelectorAll('#turn-1 audio')[1].play()")
        page.wait_for("document.querySelectorAll('#turn-1 audio')[1].currentTime > 0.3")
        assert page.errors == []
        assert all(u.startswith(("file:", "data:")) for u in page.requests), page.requests
        ARTIFACTS.mkdir(exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"report-{language}.png"), full_page=True)
    finally:
        page.close()


def test_report_on_a_phone(browser, recorded, tmp_path):
    root, _, es = recorded
    out = tmp_path / "phone.html"
    assert vi("report", es.id, "-o", str(out), "--recordings-dir", str(root)).returncode == 0
    page = Page(browser, out, width=375)
    try:
        p = page.page
        assert p.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
        assert p.evaluate("document.querySelector('#chart-scores').getBoundingClientRect().width") <= 375
        assert page.errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / "report-phone-es.png"), full_page=True)
    finally:
        page.close()


def test_report_with_linked_audio(browser, recorded):
    root, en, _ = recorded
    r = vi("report", en.id, "--link-audio", "--recordings-dir", str(root))
    assert r.returncode == 0, r.stderr
    out = root / en.id / "report.html"
    html = out.read_text()
    assert 'src="turn-01.wav"' in html and "data:audio" not in html
    page = Page(browser, out)
    try:
        states = page.audio_states()
        assert [s["error"] for s in states] == [None] * 5
        assert all(s["duration"] > 1 for s in states)
        assert page.errors == []
    finally:
        page.close()


def test_progress_page(browser, recorded, tmp_path):
    root, _, _ = recorded
    out = tmp_path / "progress.html"
    r = vi("progress", "--html", str(out), "--recordings-dir", str(root))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""  # the page only, not the tables as well
    assert "overfitting" in vi("progress", "--recordings-dir", str(root)).stdout
    html = out.read_text()
    assert "http://" not in html and "https://" not in html
    page = Page(browser, out, width=800)
    try:
        p = page.page
        assert p.locator("svg.chart").count() == 3
        assert p.locator("#chart-score-trend polyline").count() >= 1
        assert p.locator("#weak-questions tbody tr").first.inner_text().startswith("When do you prefer recall")
        assert page.errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / "progress.png"), full_page=True)
    finally:
        page.close()
