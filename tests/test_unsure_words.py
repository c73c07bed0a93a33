"""Words the recogniser was unsure of: kept on the turn from the word probabilities, marked in
the terminal panel, in replay, in the Markdown export and in the HTML report (headless Chromium)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from fakes import FakeClock, FakeSpeaker, ScriptedAnswers, TermJudge
from voice_interviewer.bank import QuestionBank
from voice_interviewer.cli.display import turn_panel
from voice_interviewer.hearing.unsure import marked, unsure_words
from voice_interviewer.interview import Interview
from voice_interviewer.schema import Answer, Session, Timings
from voice_interviewer.store import SessionStore

BANK = Path(__file__).parent / "data" / "mini-bank.yaml"
TEXT = "It memorises noise, and the balidation error shows it."
WORDS = [dict(word=w, start=i * 0.4, end=i * 0.4 + 0.3, probability=p) for i, (w, p) in enumerate(
    [(" It", 0.95), (" memorises", 0.91), (" noise,", 0.88), (" and", 0.97), (" the", 0.99),
     (" balidation", 0.23), (" error", 0.41), (" shows", 0.9), (" it.", 0.93)])]


@pytest.mark.unit
def test_unsure_words_and_marked_pieces():
    assert unsure_words(WORDS) == {"balidation": 0.23, "error": 0.41}
    assert unsure_words(WORDS, below=0.3) == {"balidation": 0.23}
    pieces = marked(TEXT, unsure_words(WORDS))
    assert "".join(p for p, _ in pieces) == TEXT
    assert [(p, q) for p, q in pieces if q is not None] == [("balidation", 0.23), ("error", 0.41)]
    assert marked("Error: yes", {"error": 0.1})[0] == ("Error", 0.1)  # punctuation kept apart
    assert marked(TEXT, {}) == [(TEXT, None)]


def heard_session(tmp_path) -> SessionStore:
    store = SessionStore(tmp_path)
    session = Session(id="u1", language="en", mode="voice")
    store.create(session)
    end = 110.0
    answer = Answer(text=TEXT, language="en", words=WORDS,
                    timings=Timings(speech_start=end - 4, speech_end=end, endpoint=end + 0.3, transcript_ready=end + 0.4))
    qs = QuestionBank.load([BANK]).select(ids=["overfitting"])
    Interview(session, qs, FakeSpeaker(), ScriptedAnswers(answer), TermJudge(), store, followups=0,
              clock=FakeClock(), prefetch=False).run()
    return store


@pytest.mark.unit
def test_the_loop_keeps_unsure_words_and_the_panel_marks_them(tmp_path):
    turn = heard_session(tmp_path).load("u1").turns[0]
    assert turn.unsure_words == {"balidation": 0.23, "error": 0.41}
    console = Console(record=True, width=200, color_system=None)
    console.print(turn_panel(turn))  # as practice prints it after the answer
    out = console.export_text()
    assert "heard: It memorises noise, and the balidation? error? shows it." in out
    console = Console(record=True, width=200, color_system=None)
    console.print(turn_panel(turn.model_copy(update={"unsure_words": {}})))
    assert "heard:" not in console.export_text()  # nothing doubtful: the panel stays as it was


def vi(*args):
    env = {k: v for k, v in os.environ.items() if k != "VOICE_INTERVIEWER_RECORDINGS_DIR"}
    return subprocess.run([sys.executable, "-m", "voice_interviewer", *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.unit
@pytest.mark.slow
def test_replay_marks_unsure_words(tmp_path):
    heard_session(tmp_path)
    r = vi("replay", "u1", "--no-audio", "--recordings-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "balidation? error?" in r.stdout


@pytest.mark.browser
@pytest.mark.slow
def test_report_marks_unsure_words(tmp_path):
    from test_report import ARGS, CHROMIUM, Page

    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    heard_session(tmp_path)
    out = tmp_path / "report.html"
    r = vi("report", "u1", "-o", str(out), "--recordings-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = Page(browser, out)
        try:
            spans = page.page.locator("section#turn-1 .transcript span.unsure")
            assert spans.all_inner_texts() == ["balidation", "error"]
            assert spans.first.get_attribute("title") == "the recogniser was unsure of this word (23%)"
            # the evidence mark around "noise" is still there, and the text reads the same
            assert page.page.locator("section#turn-1 .transcript").inner_text().strip() == TEXT
            assert page.errors == []
        finally:
            page.close()
            browser.close()


@pytest.mark.unit
def test_markdown_export_marks_unsure_words(tmp_path):
    from voice_interviewer.review.export import to_markdown

    session = heard_session(tmp_path).load("u1")
    md = to_markdown(session)
    assert "> It memorises noise, and the balidation(?) error(?) shows it." in md
    assert "- (?): the recogniser was unsure of this word" in md
    # user markup around a doubtful word stays escaped, and nothing is marked when nothing is doubtful
    session.turns[0].answer = "the *balidation*\n<b> error#"
    assert "> the \\*balidation(?)\\* \\<b\\> error(?)\\#" in to_markdown(session)
    session.turns[0].unsure_words = {}
    assert "(?)" not in to_markdown(session)
