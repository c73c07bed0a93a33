"""Delivery in the panel printed right after each answer: pace (slow / comfortable / fast),
fillers, the long pauses with their lengths."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from fakes import FakeClock, FakeSpeaker, ScriptedAnswers, TermJudge
from voice_interviewer.bank import QuestionBank
from voice_interviewer.cli.display import turn_panel
from voice_interviewer.interview import Interview
from voice_interviewer.schema import Answer, Session, Timings
from voice_interviewer.store import SessionStore

pytestmark = pytest.mark.unit
BANK = Path(__file__).parent / "data" / "mini-bank.yaml"


def timed(words: str, step: float, pause_after: int | None = None, pause: float = 0.0) -> list[dict]:
    out, t = [], 0.0
    for i, w in enumerate(words.split()):
        out.append(dict(word=" " + w, start=round(t, 2), end=round(t + step * 0.8, 2), probability=0.9))
        t += step + (pause if i == pause_after else 0.0)
    return out


def answered(tmp_path, words: list[dict]):
    """Run one heard answer through the loop; the panel text as on_turn printed it, and what the
    interviewer had said by then."""
    store = SessionStore(tmp_path)
    session = Session(id="d1", language="en", mode="voice")
    store.create(session)
    text = "".join(w["word"] for w in words).strip()
    answer = Answer(text=text, language="en", words=words,
                    timings=Timings(speech_start=100.0, speech_end=100.0 + words[-1]["end"]))
    speaker = FakeSpeaker()
    seen = []

    def on_turn(turn):
        console = Console(record=True, width=240, color_system=None)
        console.print(turn_panel(turn))
        seen.append((console.export_text(), [k for k, _ in speaker.said]))

    qs = QuestionBank.load([BANK]).select(ids=["overfitting"])
    Interview(session, qs, speaker, ScriptedAnswers(answer), TermJudge(), store, followups=0, clock=FakeClock(),
              prefetch=False, on_turn=on_turn).run()
    return seen[0]


def test_fast_answer_with_fillers_and_a_long_pause(tmp_path):
    words = timed("um overfitting is when the model um memorises noise and like you see a gap with validation", 0.15,
                  pause_after=8, pause=3.0)
    panel, said = answered(tmp_path, words)
    assert said == ["question"]  # shown before the reaction is said
    line = next(ln for ln in panel.splitlines() if "delivery:" in ln)
    assert "17 words" in line and "wpm (fast)" in line
    assert "fillers: um×2, like×1" in line and "/min)" in line
    assert "long pauses: 3.0 s" in line


def test_comfortable_and_slow_pace(tmp_path):
    text = "overfitting is when the model memorises noise and you see a gap with validation error"
    panel, _ = answered(tmp_path / "a", timed(text, 0.4))  # 150 wpm
    assert "wpm (comfortable)" in panel and "long pauses" not in panel and "fillers" not in panel
    panel, _ = answered(tmp_path / "b", timed(text, 0.8))  # 75 wpm
    assert "wpm (slow)" in panel
