"""Incremental transcription: words kept while the candidate is still speaking."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from voice_interviewer.hearing.cleanup import drop_repeated_start
from voice_interviewer.hearing.incremental import HOLDBACK_S, IncrementalTranscriber
from voice_interviewer.hearing.transcript import Segment, Transcript, Word, with_words
from voice_interviewer.hearing.whisper import load_audio
from voice_interviewer.sound import SAMPLE_RATE

from fakes import ScriptedTranscriber
from stt_paths import SPEECH_DIR

RATE = SAMPLE_RATE


def wait_idle(inc: IncrementalTranscriber) -> None:
    for _ in range(250):
        if inc.idle:
            return
        threading.Event().wait(0.02)
    raise AssertionError("the transcriber never became idle")


class FirstCallSlow(ScriptedTranscriber):
    """The first decode waits for ``gate``."""

    def __init__(self, words):
        super().__init__(words)
        self.gate, self.started = threading.Event(), threading.Event()

    def transcribe(self, audio, language="auto", *, offset=0.0, **kw):
        if not self.started.is_set():
            self.started.set()
            self.gate.wait(10)
        return super().transcribe(audio, language, offset=offset, **kw)


def advance_in_flight():
    """12 words over 7 s, an advance() of the first 4.5 s being decoded (until stt.gate is set)."""
    script = [(f"w{i}", 0.3 + i * 0.5, 0.7 + i * 0.5) for i in range(12)]
    stt = FirstCallSlow(script)
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(7 * RATE, np.float32)
    inc.advance(audio, int(4.5 * RATE))
    assert stt.started.wait(3)
    return script, stt, inc, audio


@pytest.mark.unit
def test_advance_keeps_the_words_heard_before_the_holdback_and_cuts_between_words():
    script = [(f"w{i}", 0.3 + i * 0.5, 0.7 + i * 0.5) for i in range(12)]  # word, start, end
    stt = ScriptedTranscriber(script)
    inc = IncrementalTranscriber(stt, "en")
    audio = (np.random.default_rng(0).standard_normal(7 * RATE) * 0.1).astype(np.float32)
    inc.advance(audio, int(4.5 * RATE))
    wait_idle(inc)
    kept = inc.text.split()
    assert kept == [w for w, _, b in script if b <= 4.5 - HOLDBACK_S] == [f"w{i}" for i in range(6)]
    assert 3.2 * RATE <= inc.settled <= 3.3 * RATE  # between w5 (ends 3.2 s) and w6 (starts 3.3 s)
    full = inc.finish(audio, 7 * RATE)
    assert full.text.split() == [w for w, _, _ in script]  # every word once, in order
    assert stt.calls[-1][0] == pytest.approx(inc.settled / RATE, abs=0.5)


@pytest.mark.unit
def test_advance_keeps_nothing_when_too_little_is_certain():
    stt = ScriptedTranscriber([("one", 0.2, 0.6), ("two", 0.7, 1.9)])
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(3 * RATE, np.float32)
    inc.advance(audio, int(2.5 * RATE))  # only "one" ends a second before the newest audio
    wait_idle(inc)
    assert inc.text == "" and inc.settled == 0
    assert inc.finish(audio).text == "one two"


@pytest.mark.unit
def test_every_chunk_hears_the_question_and_a_restated_question_is_not_the_answer():
    question = "Explain the bias variance tradeoff"
    script = [(w, 0.3 + i * 0.4, 0.6 + i * 0.4) for i, w in enumerate(question.split())]  # ends at 2.2 s
    script += [(w, 3.0 + i * 0.4, 3.3 + i * 0.4) for i, w in enumerate("bias is the error of simple models".split())]
    stt = ScriptedTranscriber(script)
    inc = IncrementalTranscriber(stt, "en", context=question)
    audio = np.zeros(6 * RATE, np.float32)
    inc.settle(audio, int(2.6 * RATE))
    wait_idle(inc)
    assert inc.text == ""  # Whisper writing the question out again is dropped, not credited
    assert inc.finish(audio).text == "bias is the error of simple models"
    assert stt.contexts == [question, question]


@pytest.mark.model
@pytest.mark.slow
def test_advance_on_real_speech_loses_no_words(whisper_transcriber):
    from test_stt import manifest, wer

    clip = "sense_and_sensibility_01_austen_64kb-0870.flac"  # 7.1 s, no pause longer than 0.1 s
    audio = load_audio(SPEECH_DIR / clip)
    ref = manifest()[clip]["text"]
    inc = IncrementalTranscriber(whisper_transcriber, "en")
    inc.advance(audio, int(4.5 * RATE))
    wait_idle(inc)
    early = inc.text
    assert len(early.split()) >= 4 and 0 < inc.settled < int(3.6 * RATE)
    full = inc.finish(audio)
    assert full.text.startswith(early)
    assert wer([ref], [full.text]) <= 0.1


@pytest.mark.unit
def test_finish_does_not_wait_for_an_advance_still_running():
    script = [(f"w{i}", 0.3 + i * 0.5, 0.7 + i * 0.5) for i in range(12)]
    gate, started = threading.Event(), threading.Event()

    class Blocking(ScriptedTranscriber):
        def transcribe(self, audio, language="auto", *, offset=0.0, **kw):
            if threading.current_thread().name == "incremental-stt":
                started.set()
                gate.wait(10)  # the background decode of the advance is slow
            return super().transcribe(audio, language, offset=offset, **kw)

    stt = Blocking(script)
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(7 * RATE, np.float32)
    inc.advance(audio, int(4.5 * RATE))
    assert started.wait(3) and not inc.idle  # the advance is being decoded
    done = threading.Event()
    result = []
    threading.Thread(target=lambda: (result.append(inc.finish(audio, 7 * RATE)), done.set())).start()
    assert done.wait(3), "finish() waited for the advance"
    assert result[0].text.split() == [w for w, _, _ in script]  # all words, from the tail alone
    gate.set()
    threading.Event().wait(0.1)
    assert inc.result(7.0).text == result[0].text  # the late advance adds nothing


@pytest.mark.unit
def test_a_pause_during_an_advance_is_transcribed_at_once():
    script, stt, inc, audio = advance_in_flight()
    gate = stt.gate
    inc.settle(audio, int(5.3 * RATE))  # the speaker pauses after w9 (ends 5.2 s)
    for _ in range(150):
        if inc.text:
            break
        threading.Event().wait(0.02)
    assert inc.text.split() == [f"w{i}" for i in range(10)]  # without waiting for the advance
    gate.set()
    full = inc.finish(audio, 7 * RATE)
    assert full.text.split() == [w for w, _, _ in script]


class Gated(ScriptedTranscriber):
    """Each decode waits for ``gate`` (set it to let decodes run)."""

    def __init__(self, words):
        super().__init__(words)
        self.gate, self.started = threading.Event(), threading.Event()

    def transcribe(self, audio, language="auto", *, offset=0.0, **kw):
        self.started.set()
        self.gate.wait(10)
        return super().transcribe(audio, language, offset=offset, **kw)


def wait_for(check, what: str) -> None:
    for _ in range(250):
        if check():
            return
        threading.Event().wait(0.02)
    raise AssertionError(what)


SCRIPT = [(f"w{i}", 0.3 + i * 0.5, 0.7 + i * 0.5) for i in range(8)]  # w5 ends at 3.2 s


@pytest.mark.parametrize("decoded_first", [True, False])
@pytest.mark.unit
def test_a_tentative_chunk_confirmed_by_the_pause_is_decoded_once(decoded_first):
    stt = Gated(SCRIPT)
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(5 * RATE, np.float32)
    gap = int(3.25 * RATE)
    inc.tentative(audio, gap)  # a gap after w5
    assert stt.started.wait(3) and inc.text == ""  # decoding at once, nothing kept yet
    if decoded_first:
        stt.gate.set()
        wait_for(lambda: len(stt.calls) == 1, "the tentative chunk was not decoded")
        assert inc.text == "" and not inc.idle  # decoded, held until the pause confirms it
    inc.settle(audio, gap)  # the pause: same point
    stt.gate.set()
    wait_for(lambda: inc.text, "the confirmed chunk was not kept")
    assert inc.text.split() == [f"w{i}" for i in range(6)]
    assert stt.calls == [(0.0, 3.25)]  # decoded once, not again at the pause
    full = inc.finish(audio, 5 * RATE)
    assert full.text.split() == [w for w, _, _ in SCRIPT]
    assert stt.calls[1][0] == pytest.approx(3.25)


@pytest.mark.unit
def test_a_tentative_chunk_is_dropped_when_speech_goes_on():
    stt = Gated(SCRIPT)
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(5 * RATE, np.float32)
    inc.tentative(audio, int(1.75 * RATE))  # a gap after w2
    assert stt.started.wait(3)
    inc.retract()  # speech resumed
    assert inc.settled == 0 and inc.idle
    inc.tentative(audio, int(3.25 * RATE))  # refused: the dropped decode still holds a worker
    assert inc.settled == 0
    stt.gate.set()
    wait_for(lambda: len(stt.calls) == 1, "the dropped decode never ended")
    threading.Event().wait(0.1)
    assert inc.text == ""  # its words are not kept
    inc.settle(audio, int(3.25 * RATE))  # the real pause, later
    full = inc.finish(audio, 5 * RATE)
    assert full.text.split() == [w for w, _, _ in SCRIPT]  # every word once
    assert stt.calls[1:] == [(0.0, 3.25), (3.25, 5.0)]


@pytest.mark.unit
def test_a_pause_at_another_point_replaces_the_tentative_chunk():
    stt = Gated(SCRIPT)
    stt.gate.set()
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(5 * RATE, np.float32)
    inc.tentative(audio, int(1.75 * RATE))
    wait_for(lambda: len(stt.calls) == 1, "the tentative chunk was not decoded")
    inc.settle(audio, int(3.25 * RATE))  # speech went on briefly, the pause came later
    full = inc.finish(audio, 5 * RATE)
    assert full.text.split() == [w for w, _, _ in SCRIPT]
    assert stt.calls == [(0.0, 1.75), (0.0, 3.25), (3.25, 5.0)]


@pytest.mark.unit
def test_an_answer_ended_at_the_gap_keeps_the_tentative_chunk():
    stt = Gated(SCRIPT)
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(5 * RATE, np.float32)
    inc.tentative(audio, int(3.25 * RATE))
    assert stt.started.wait(3)
    threading.Timer(0.2, stt.gate.set).start()
    full = inc.finish(audio, int(3.4 * RATE))  # ended without a pause event (Enter, length cap)
    assert full.text.split() == [f"w{i}" for i in range(6)]
    assert stt.calls == [(0.0, 3.25)]  # the tail after the gap is too short to decode


@pytest.mark.unit
def test_a_gap_during_an_advance_starts_the_tentative_chunk_at_once():
    script, stt, inc, audio = advance_in_flight()
    gate = stt.gate
    inc.tentative(audio, int(5.3 * RATE))  # a gap after w9 while the advance is decoded
    wait_for(lambda: len(stt.calls) == 1, "the tentative chunk waited for the advance")
    assert stt.calls == [(0.0, 5.3)]
    inc.settle(audio, int(5.3 * RATE))
    assert inc.text.split() == [f"w{i}" for i in range(10)]
    gate.set()
    full = inc.finish(audio, 7 * RATE)
    assert full.text.split() == [w for w, _, _ in script]


@pytest.mark.unit
def test_a_tentative_chunk_too_short_for_the_pause_stays_tentative():
    stt = Gated(SCRIPT)
    stt.gate.set()
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(5 * RATE, np.float32)
    inc.tentative(audio, int(1.75 * RATE))  # 1.75 s: after w2
    inc.settle(audio, int(1.75 * RATE), min_s=2.0)  # the pause: too short to be a chunk
    wait_for(lambda: len(stt.calls) == 1, "the tentative chunk was not decoded")
    threading.Event().wait(0.05)
    assert inc.text == ""  # not kept yet
    inc.retract()  # speech goes on: it joins the next chunk
    inc.settle(audio, int(3.25 * RATE), min_s=2.0)
    wait_for(lambda: inc.text, "the next chunk was not decoded")
    assert inc.text.split() == [f"w{i}" for i in range(6)] and stt.calls[-1] == (0.0, 3.25)
    inc.tentative(audio, int(4.75 * RATE))  # the last words, 1.5 s
    inc.settle(audio, int(4.75 * RATE), min_s=2.0)  # stays tentative ...
    full = inc.finish(audio, int(4.9 * RATE))  # ... and is the last piece when the answer ends
    assert full.text.split() == [w for w, _, _ in SCRIPT] and stt.calls[-1] == (3.25, 4.75)


@pytest.mark.unit
def test_the_text_check_reads_the_tentative_chunk_once_it_is_decoded():
    words = ["Overfitting", "is", "memorising", "noise.", "And", "the"]
    stt = Gated([(w, 0.3 + i * 0.5, 0.7 + i * 0.5) for i, w in enumerate(words)])
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(4 * RATE, np.float32)
    inc.tentative(audio, int(2.25 * RATE))  # a gap after "noise."
    assert stt.started.wait(3)
    assert inc.ending(int(2.2 * RATE)) is None  # still being decoded
    stt.gate.set()
    wait_for(lambda: inc.ending(int(2.2 * RATE)) is not None, "the verdict never came")
    assert inc.ending(int(2.2 * RATE)) == "finished" and inc.text == ""  # read, not kept
    inc.retract()  # speech went on
    inc.tentative(audio, int(3.25 * RATE))  # a gap after "the"
    wait_for(lambda: inc.ending(int(3.2 * RATE)) is not None, "the verdict never came")
    assert inc.ending(int(3.2 * RATE)) == "open"  # "... And the" trails off


@pytest.mark.unit
def test_a_sentence_said_again_beyond_the_prompt_is_kept():
    first = "Regularization adds a penalty on the weights to the loss."
    filler = " ".join(f"then I tuned parameter number {i} on the validation set." for i in range(6))

    class Chunks(ScriptedTranscriber):
        texts = [first, filler, first, filler[-80:]]

        def transcribe(self, audio, language="auto", *, offset=0.0, **kw):
            text = self.texts[len(self.calls)]
            self.calls.append((offset, offset + len(audio) / RATE))
            return Transcript(text=text, language=language,
                              segments=[Segment(start=offset, end=offset + 1, text=text)])

    inc = IncrementalTranscriber(Chunks([]), "en")
    audio = np.zeros(12 * RATE, np.float32)
    for upto in (3, 6, 9):
        inc.settle(audio, upto * RATE)
        wait_idle(inc)
    assert inc.text.count(first) == 2  # said again after more than the prompt: speech, kept
    inc.settle(audio, 12 * RATE)
    wait_idle(inc)
    assert inc.text.count(filler[-80:]) == 1  # the prompt's own words again: a copy, dropped
    inc.close()


@pytest.mark.unit
def test_no_tentative_chunk_before_the_language_is_known():
    stt = Gated(SCRIPT)
    stt.gate.set()
    inc = IncrementalTranscriber(stt, "auto")
    inc.tentative(np.zeros(5 * RATE, np.float32), int(3.25 * RATE))
    assert inc.settled == 0 and stt.calls == []


@pytest.mark.unit
def test_a_chunk_that_starts_by_repeating_the_text_before_it_loses_the_repeat():
    def part(*words, at=5.0):
        ws = [Word(word=w, start=at + i * 0.3, end=at + i * 0.3 + 0.25, probability=0.9) for i, w in enumerate(words)]
        return Transcript(text=" ".join(words), segments=[Segment(start=ws[0].start, end=ws[-1].end, text=" ".join(words))],
                          words=ws)

    before = "and then... A dropout, and wave..."
    echo = drop_repeated_start(part("A", "dropout,", "and", "wave...", "It's", "the", "case", "of", "a", "network."), before)
    assert echo.text == "It's the case of a network." and [w.word for w in echo.words][0] == "It's"
    assert echo.segments[0].start == echo.words[0].start
    assert drop_repeated_start(part("dropout", "and", "wave", "again"), "a dropout and wave").text == "again"
    assert drop_repeated_start(part("and", "wave"), "a dropout and wave").text == "and wave"  # two words: kept
    assert drop_repeated_start(part("a", "dropout", "and"), "a dropout and").words == []
    assert drop_repeated_start(part("more", "data"), "").text == "more data"


@pytest.mark.unit
def test_a_part_cut_down_to_some_words_rewrites_only_the_segments_that_lost_words():
    ws = [Word(word=w, start=i * 0.5, end=i * 0.5 + 0.4, probability=0.9) for i, w in enumerate("a b c d e f".split())]
    part = Transcript(text="A b c. D e f.", words=ws, segments=[
        Segment(start=0.0, end=1.45, text="A b c."), Segment(start=1.45, end=3.0, text="D e f.")])
    head = with_words(part, ws[:4])  # "d" kept of the second sentence
    assert [s.text for s in head.segments] == ["A b c.", "d"] and head.segments[1].end == ws[3].end
    assert head.segments[1].start == 1.45 and head.text == "A b c. d"
    tail = with_words(part, ws[1:])
    assert [s.text for s in tail.segments] == ["b c", "D e f."] and tail.segments[0].start == ws[1].start
    assert with_words(part, ws[4:]).segments == [Segment(start=2.0, end=3.0, text="e f")]


@pytest.mark.unit
def test_the_listener_starts_a_tentative_chunk_at_a_gap_and_drops_it_when_speech_resumes():
    from types import SimpleNamespace

    from voice_interviewer.hearing.endpoint import Event
    from voice_interviewer.hearing.listener import CUT_PAD, settle_on

    stt = Gated(SCRIPT)
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(5 * RATE, np.float32)
    ep = SimpleNamespace(all_audio=lambda: audio, speaking=False, samples=int(3.4 * RATE))
    gap = int(3.2 * RATE)  # 0.1 s after w5
    settle_on([Event("gap", gap)], ep, inc)
    assert stt.started.wait(3) and inc.settled == gap + CUT_PAD  # decoding before the pause
    ep.speaking = True
    settle_on([Event("resume", int(3.3 * RATE))], ep, inc)
    assert inc.settled == 0  # speech went on: not a chunk
    stt.gate.set()
