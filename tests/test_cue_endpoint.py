"""The endpointer's spoken cues on a scripted VAD: a closer ends at once, a request for time
holds the floor through a pause for think_s, and Enter reaches the listener; the stdin reader
the CLI starts calls it once per line."""

from __future__ import annotations

import numpy as np
import pytest

from voice_interviewer.cli.voice_mode import enter_ends_answers
from voice_interviewer.hearing.endpoint import EndpointConfig, Endpointer

from fakes import FixedTurn, ScriptedVAD

pytestmark = pytest.mark.unit
RATE = 16000
BLOCK_S = 512 / RATE


def feed(ep, blocks):
    events = []
    for _ in range(blocks):
        events += ep.feed(np.zeros(512, np.float32))
        if ep.done:
            break
    return events


def silence_at_end(ep) -> float:
    return (ep.done.sample - ep.last_voiced_end) / RATE


def test_a_closer_ends_the_answer_as_soon_as_its_words_are_in_even_if_the_turn_model_disagrees():
    ready_after = 10  # blocks of silence before the transcript of the last words is decoded
    asked = []

    def cue(sample):
        asked.append(sample)
        return "close" if len(asked) > ready_after else None

    ep = Endpointer(ScriptedVAD([(5, 0.0), (60, 0.9)]), FixedTurn(0.1), EndpointConfig(), cue_check=cue)
    feed(ep, 400)
    assert ep.done.reason == "closer"
    # 0.1 s (the first gap) + 11 blocks: no end_silence_s or max_pause_s wait on top
    assert silence_at_end(ep) == pytest.approx(0.1 + (ready_after + 1) * BLOCK_S, abs=0.04)
    assert set(asked) == {ep.last_voiced_end}
    # the same pause without the closer waits for the long pause limit
    ep = Endpointer(ScriptedVAD([(5, 0.0), (60, 0.9)]), FixedTurn(0.1), EndpointConfig(), cue_check=lambda s: None)
    feed(ep, 400)
    assert ep.done.reason == "pause_limit" and silence_at_end(ep) == pytest.approx(3.0, abs=0.04)


@pytest.mark.parametrize("think_s", [5.0, 8.0])
def test_a_request_for_time_holds_the_floor_until_think_s(think_s):
    # the turn model says "complete" and the text reads finished: it would end after 0.4 s
    ep = Endpointer(ScriptedVAD([(5, 0.0), (60, 0.9)]), FixedTurn(0.99), EndpointConfig(think_s=think_s),
                    text_check=lambda s: True, cue_check=lambda s: "think")
    events = feed(ep, 2000)
    thinks = [e for e in events if e.kind == "think"]
    assert len(thinks) == 1 and thinks[0].sample == ep.last_voiced_end
    assert ep.done.reason == "complete"
    assert silence_at_end(ep) == pytest.approx(think_s, abs=0.04)


def test_speech_after_thinking_ends_by_the_usual_rules():
    # "let me think" + 4 s + more speech + silence: one answer, ended 0.4 s after the second part
    script = [(5, 0.0), (40, 0.9), (125, 0.0), (60, 0.9)]
    verdicts = {}

    def cue(sample):  # the words up to the first pause end with "let me think"
        return verdicts.setdefault(sample, "think" if len(verdicts) == 0 else None)

    ep = Endpointer(ScriptedVAD(script), FixedTurn(0.99), EndpointConfig(), text_check=lambda s: True,
                    cue_check=cue)
    events = feed(ep, 2000)
    assert [e.kind for e in events].count("think") == 1
    assert len(ep.pauses) == 1 and (ep.pauses[0][1] - ep.pauses[0][0]) / RATE > 3.9
    assert ep.think_until is None  # speech resumed: patience is over
    assert ep.done.reason == "complete" and silence_at_end(ep) == pytest.approx(0.4, abs=0.04)
    assert ep.last_voiced_end / RATE == pytest.approx(230 * BLOCK_S, abs=0.05)


def test_without_the_request_the_same_pause_ends_the_answer():
    script = [(5, 0.0), (40, 0.9), (125, 0.0), (60, 0.9)]
    ep = Endpointer(ScriptedVAD(script), FixedTurn(0.99), EndpointConfig(), text_check=lambda s: True,
                    cue_check=lambda s: None)
    feed(ep, 2000)
    assert ep.done.reason == "complete" and ep.last_voiced_end / RATE < 46 * BLOCK_S


def test_each_line_from_the_terminal_ends_the_answer_being_heard():
    ended = []
    lines = iter(["\n", "\n"])
    thread = enter_ends_answers(lambda: ended.append(1), lines)
    thread.join(timeout=5)
    assert not thread.is_alive() and ended == [1, 1]  # and the reader stops at end of input



def test_the_live_view_counts_down_the_thinking_time():
    import io

    from rich.console import Console

    from voice_interviewer.hearing.listener import _LiveView

    out = io.StringIO()
    with _LiveView(True, Console(file=out, force_terminal=True, width=120)) as view:
        view.state, view.countdown = "thinking", 17.6
        view.update(-40.0, force=True)
        view.countdown = None
        view.update(-40.0, force=True)
    text = out.getvalue()
    assert "thinking" in text and "take your time: 18 s" in text
    assert text.count("take your time") == 1  # gone once speech resumes
