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
                    text_check=lambda s: "finished", cue_check=lambda s: "think")
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

    ep = Endpointer(ScriptedVAD(script), FixedTurn(0.99), EndpointConfig(), text_check=lambda s: "finished",
                    cue_check=cue)
    events = feed(ep, 2000)
    assert [e.kind for e in events].count("think") == 1
    assert len(ep.pauses) == 1 and (ep.pauses[0][1] - ep.pauses[0][0]) / RATE > 3.9
    assert ep.think_until is None  # speech resumed: patience is over
    assert ep.done.reason == "complete" and silence_at_end(ep) == pytest.approx(0.4, abs=0.04)
    assert ep.last_voiced_end / RATE == pytest.approx(230 * BLOCK_S, abs=0.05)


def test_without_the_request_the_same_pause_ends_the_answer():
    script = [(5, 0.0), (40, 0.9), (125, 0.0), (60, 0.9)]
    ep = Endpointer(ScriptedVAD(script), FixedTurn(0.99), EndpointConfig(), text_check=lambda s: "finished",
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


def test_a_closer_counts_only_once_every_word_before_the_pause_is_transcribed():
    """ "... That's all." was transcribed at an earlier pause, then the candidate went on: the
    old text must not end the answer at the next pause before the new words are in."""
    import time

    from fakes import ScriptedTranscriber
    from voice_interviewer.hearing.incremental import IncrementalTranscriber
    from voice_interviewer.hearing.listener import cue_reader

    words = [("Regularization", 0.2, 0.9), ("helps.", 1.0, 1.4), ("That's", 1.6, 1.8), ("all.", 1.8, 2.1),
             ("Except", 2.8, 3.1), ("for", 3.1, 3.2), ("trees,", 3.2, 3.5)]
    inc = IncrementalTranscriber(ScriptedTranscriber(words), "en")
    audio = np.zeros(4 * RATE, np.float32)
    check = cue_reader(inc)

    def settle_wait(upto_s):
        inc.settle(audio, int(upto_s * RATE), min_s=1.0)
        for _ in range(250):
            if inc.idle:
                return
            time.sleep(0.02)

    settle_wait(2.2)
    assert check(int(2.15 * RATE)) == "close"
    assert check(int(3.55 * RATE)) is None  # "Except for trees," not transcribed yet: no verdict
    inc.tentative(audio, int(3.6 * RATE), min_s=0.4)  # what the listener does at the next pause
    for _ in range(250):
        if check(int(3.55 * RATE)) is not None or inc.text_through(int(3.55 * RATE)) is not None:
            break
        time.sleep(0.02)
    assert inc.text_through(int(3.55 * RATE)).endswith("trees,")
    assert check(int(3.55 * RATE)) is None
    inc.close()
