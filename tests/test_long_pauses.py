"""Delivery counts thinking pauses of 1.5 s and more (Settings.long_pause_s), from word timestamps."""

from __future__ import annotations

import pytest

from voice_interviewer.config import Settings
from voice_interviewer.judging.delivery import measure

pytestmark = pytest.mark.unit

TEXT = " ".join(f"w{i}" for i in range(20))


def timed(gaps: dict[int, float], step: float = 0.4, word_s: float = 0.3) -> list[dict]:
    """One word every ``step`` s; a silence of ``gaps[i]`` s between word i-1 and word i."""
    words, t = [], 0.5
    for i, tok in enumerate(TEXT.split()):
        if i in gaps:
            t = words[-1]["end"] + gaps[i]
        words.append({"word": f" {tok}", "start": round(t, 3), "end": round(t + word_s, 3), "probability": 0.9})
        t += step
    return words


def test_every_thinking_pause_of_one_and_a_half_seconds_or_more_counts():
    pauses = [1.6, 1.7, 1.8, 2.0, 2.1, 2.2, 2.4, 2.5]  # 1 of these 8 was counted at 2.5 s
    gaps = {2 * k + 2: p for k, p in enumerate(pauses)}
    gaps[19] = 1.2  # a breath between sentences is not one
    m = measure(TEXT, "en", words=timed(gaps))
    assert m.long_pauses == pytest.approx(pauses, abs=0.011)
    assert Settings().long_pause_s == 1.5
    assert measure(TEXT, "en", words=timed({5: 1.5})).long_pauses == [1.5]


def test_the_threshold_is_a_setting():
    words = timed({4: 1.6, 9: 2.6})
    assert measure(TEXT, "es", words=words, long_pause_s=2.5).long_pauses == [2.6]
    assert measure(TEXT, "es", words=words, long_pause_s=Settings(long_pause_s=1.0).long_pause_s) == \
        measure(TEXT, "es", words=words, long_pause_s=1.0)
    assert len(measure(TEXT, "es", words=words, long_pause_s=1.0).long_pauses) == 2
    with pytest.raises(ValueError):
        Settings(long_pause_s=0)


@pytest.mark.parametrize("long_pause_s, counted", [(1.5, [1.8]), (2.0, [])])
def test_the_interview_loop_counts_with_the_setting_it_is_given(tmp_path, long_pause_s, counted):
    from pathlib import Path

    from fakes import FakeClock, FakeJudge, FakeSpeaker, ScriptedAnswers
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.interview import Interview
    from voice_interviewer.schema import Answer, Judgement, Session, Timings
    from voice_interviewer.store import SessionStore

    words = [{"word": "Bias", "start": 0.0, "end": 0.4, "probability": 0.9},
             {"word": "is", "start": 0.5, "end": 0.6, "probability": 0.9},
             {"word": "error.", "start": 2.4, "end": 2.8, "probability": 0.9}]  # 1.8 s before "error."
    heard = Answer(text="Bias is error.", language="en", words=words,
                   timings=Timings(speech_start=10.0, speech_end=12.8, endpoint=13.1))
    store = SessionStore(tmp_path)
    session = Session(id="s1", language="en")
    store.create(session)
    clock = FakeClock()
    questions = QuestionBank.load([Path(__file__).parent / "data" / "mini-bank.yaml"]).select(ids=["overfitting"])
    Interview(session, questions, FakeSpeaker(clock), ScriptedAnswers(heard), FakeJudge(Judgement(score=5)),
              store, followups=0, clock=clock, prefetch=False, long_pause_s=long_pause_s).run()
    assert store.load("s1").turns[0].delivery.long_pauses == counted


def test_word_times_are_kept_out_of_the_pauses_the_vad_heard():
    from voice_interviewer.hearing.listener import fit_words_to_pauses
    from voice_interviewer.hearing.transcript import Word

    def w(word, start, end):
        return Word(word=word, start=start, end=end, probability=0.9)

    # as Whisper aligned a chunk that begins with a 2.2 s pause (seen through the mic)
    words = [w("data,", 2.68, 3.04), w("and,", 3.42, 3.62), w("um,", 3.63, 4.07), w("add,", 4.25, 6.75),
             w("dropout,", 6.76, 7.22)]
    pauses = [(4.1, 6.3), (3.05, 3.4)]  # (the short one is left alone)
    fitted = fit_words_to_pauses(words, pauses)
    assert [(x.word, x.start, x.end) for x in fitted] == [
        ("data,", 2.68, 3.04), ("and,", 3.42, 3.62), ("um,", 3.63, 4.07), ("add,", 6.3, 6.75),
        ("dropout,", 6.76, 7.22)]
    assert measure("", "en", words=[x.model_dump() for x in words]).long_pauses == []
    assert measure("", "en", words=[x.model_dump() for x in fitted]).long_pauses == [2.23]
    # a word stretched forward over the pause is cut back to where it was said
    late = fit_words_to_pauses([w("then", 2.0, 4.6), w("add", 4.6, 5.0)], [(2.4, 4.4)])
    assert (late[0].start, late[0].end) == (2.0, 2.4) and late[1].start == 4.6
    # a word wholly inside a pause (a soft "um" the VAD missed) stays
    assert fit_words_to_pauses([w("um", 3.0, 3.3)], [(2.4, 4.4)])[0].start == 3.0
