"""The end-of-answer decision at a pause (``hearing/turn_end.py``), on fake signals, and through the
endpointer with a scripted VAD and a fixed turn model."""

from __future__ import annotations

import numpy as np
import pytest

from voice_interviewer.hearing.endpoint import EndpointConfig, Endpointer
from voice_interviewer.hearing.turn_end import AnswerProgress, PauseFeatures, TurnEndRule
from voice_interviewer.sound import SAMPLE_RATE as RATE

from fakes import FixedTurn, ScriptedVAD

pytestmark = pytest.mark.unit

# every branch switched on (the fitted defaults turn some off): the logic, whatever the values
RULE = TurnEndRule(sure_silence_s=0.4, early_silence_s=0.7, turn_likely=0.5, turn_floor=0.2,
                   coverage_done=0.5, length_done=0.6, min_words=6, min_length=0.0)
EARLY = RULE.early_silence_s


def features(p, ending="finished", words=40, coverage=None, expected=None):
    return PauseFeatures(turn_probability=p, text_ending=ending,
                         progress=AnswerProgress(words=words, coverage=coverage, expected_words=expected))


@pytest.mark.parametrize("f, wait", [
    # the turn model is sure and the words end a sentence: the quick end of Settings
    (features(RULE.turn_sure), RULE.sure_silence_s),
    (features(RULE.turn_sure, ending="open"), None),
    # the turn model leans to finished and the words end a sentence: early end
    (features(RULE.turn_likely), EARLY),
    (features(0.84), EARLY),
    # ... but not when the words trail off, are not known yet, or are too few
    (features(0.84, ending="open"), None),
    (features(0.84, ending=None), None),
    (features(0.84, words=RULE.min_words - 1), None),
    # doubted by the turn model: early only when the rubric or the length says the answer is done
    (features(0.34), None),
    (features(0.34, coverage=RULE.coverage_done), EARLY),
    (features(0.34, coverage=RULE.coverage_done - 0.01), None),
    (features(0.34, words=90, expected=100), EARLY),
    (features(0.34, words=30, expected=100, coverage=0.1), None),
    # called clearly unfinished by the turn model: no rubric or length makes it end early
    (features(RULE.turn_floor - 0.01, coverage=1.0, words=200, expected=100), None),
    # without a turn model there is no early end
    (features(None, coverage=1.0), None),
])
def test_rule_waits_for_the_signals_to_agree(f, wait):
    assert RULE.wait_s(f) == wait


def test_an_answer_that_has_barely_started_never_ends_early():
    rule = TurnEndRule(min_length=0.3)
    # a first sentence the turn model is sure of, and a third of the rubric in it
    assert rule.wait_s(features(0.99, words=20, expected=100, coverage=0.4)) is None
    assert rule.wait_s(features(0.99, words=30, expected=100, coverage=0.4)) == rule.sure_silence_s
    assert rule.wait_s(features(0.99, words=20)) == rule.sure_silence_s  # no expected length


@pytest.mark.parametrize("f, ends", [
    (features(0.98, words=19, expected=131, coverage=0.13), False),  # first sentence, turn model sure
    (features(0.97, words=40, expected=125, coverage=0.45), False),  # a third of the way, sure
    (features(0.04, words=52, expected=113, coverage=0.55), True),  # the end, doubted by the turn model
    (features(0.99, words=51, expected=118, coverage=0.45), True),  # the end, sure
    (features(0.99, words=51, expected=118, ending="open"), False),  # "... and the"
    (features(0.99, words=40, coverage=0.3), True),  # a follow-up (no expected length): sure
    (features(0.30, words=40, coverage=0.7), True),  # ... doubted, most of its key point said
    (features(0.30, words=40, coverage=0.3), False),  # ... doubted, little said
])
def test_the_fitted_rule_on_pauses_like_those_of_the_answer_sets(f, ends):
    rule = TurnEndRule()
    assert (rule.wait_s(f) is not None) == ends
    if ends:
        assert rule.wait_s(f) <= 0.8


def _run(turn_p, text, progress, speech_blocks=60, rule=RULE):
    """Speech, then silence until the answer ends; returns the endpointer."""
    ep = Endpointer(ScriptedVAD([(5, 0.0), (speech_blocks, 0.9)]), FixedTurn(turn_p), EndpointConfig(),
                    text_check=lambda sample: text, rule=rule,
                    progress_check=lambda sample: progress)
    for _ in range(5 + speech_blocks + int(5 * RATE / 512)):
        ep.feed(np.zeros(512, np.float32))
        if ep.done:
            break
    return ep


def silence_at_end(ep):
    return (ep.done.sample - ep.last_voiced_end) / RATE


def test_a_finished_answer_the_turn_model_doubts_ends_early():
    done = AnswerProgress(words=80, coverage=0.7, expected_words=100)
    ep = _run(0.4, "finished", done)
    assert ep.done.reason == "finished"
    assert silence_at_end(ep) == pytest.approx(EARLY, abs=0.04)
    assert ep.pause_features == [features(0.4, coverage=0.7, words=80, expected=100)]
    # the same pause without the rule waits for the pause limit
    ep = _run(0.4, "finished", done, rule=None)
    assert ep.done.reason == "pause_limit" and silence_at_end(ep) >= EndpointConfig().max_pause_s


@pytest.mark.parametrize("text, progress", [
    ("open", AnswerProgress(words=80, coverage=0.9)),  # a thinking pause mid-clause
    ("finished", AnswerProgress(words=12, coverage=0.1, expected_words=100)),  # a first sentence, more to come
])
def test_a_thinking_pause_waits_for_the_pause_limit(text, progress):
    ep = _run(0.4, text, progress)
    assert ep.done.reason == "pause_limit"
    assert silence_at_end(ep) >= EndpointConfig().max_pause_s


def test_with_barge_in_a_finished_sentence_ends_sooner_and_a_trailing_one_still_waits():
    """Barge-in on: a candidate who goes on talks over the reaction, so a pause the rule would hold
    ends after ``resumable_silence_s`` when the turn model leans to finished; words that trail off
    or a voice that sounds unfinished still wait for the pause limit."""
    rule = RULE.model_copy(update={"resumable_silence_s": 1.2, "resumable_floor": 0.3,
                                   "min_length": 0.35, "resumable_min_length": 0.1})
    first_sentence = AnswerProgress(words=12, coverage=0.1, expected_words=100)
    assert RULE.wait_s(features(0.99, words=12, coverage=0.1, expected=100)) == RULE.sure_silence_s
    assert rule.wait_s(features(0.99, words=12, coverage=0.1, expected=100)) == 1.2  # held by the length veto
    assert rule.wait_s(features(0.3, words=12, coverage=0.1, expected=100)) == 1.2
    assert rule.wait_s(features(0.29, words=12, coverage=0.1, expected=100)) is None  # sounds unfinished
    assert rule.wait_s(features(RULE.turn_sure)) == RULE.sure_silence_s  # the rule's own ends stay
    assert rule.wait_s(features(0.9, ending="open")) is None
    assert rule.wait_s(features(0.9, ending=None)) is None
    assert rule.wait_s(features(None, words=12, expected=100)) is None  # no turn model
    ep = _run(0.4, "finished", first_sentence, rule=rule)
    assert ep.done.reason == "finished" and silence_at_end(ep) == pytest.approx(1.2, abs=0.04)
    ep = _run(0.2, "finished", first_sentence, rule=rule)
    assert ep.done.reason == "pause_limit"
    ep = _run(0.4, "open", AnswerProgress(words=80, coverage=0.9), rule=rule)
    assert ep.done.reason == "pause_limit"


def test_with_barge_in_an_unpunctuated_last_piece_ends_sooner_once_past_the_first_sentences():
    """Whisper often leaves an answer's last piece without a full stop ("... gradient boosted
    trees"): with barge-in such a "bare" ending is taken like a finished one by the later end (never
    by the quick one), and neither is taken in the first sentences of an answer."""
    rule = TurnEndRule(resumable_silence_s=1.2)
    said = {"words": 45, "expected": 150}  # 0.3 of the expected length
    assert rule.wait_s(features(0.95, ending="bare", **said)) == 1.2
    assert rule.wait_s(features(0.95, ending="finished", **said)) == 1.2
    assert TurnEndRule().wait_s(features(0.95, ending="bare", **said)) is None  # no barge-in
    assert rule.wait_s(features(0.99, ending="bare", words=60, expected=100)) == 1.2  # not the quick end
    assert rule.wait_s(features(0.99, ending="finished", words=60, expected=100)) == rule.sure_silence_s
    assert rule.wait_s(features(rule.resumable_floor - 0.01, ending="bare", **said)) is None
    assert rule.wait_s(features(0.95, ending="open", **said)) is None
    first = {"words": int(rule.resumable_min_length * 150) - 1, "expected": 150}  # a first sentence or two
    assert rule.wait_s(features(0.99, ending="bare", **first)) is None
    assert rule.wait_s(features(0.99, ending="finished", **first)) is None
    assert rule.wait_s(features(0.99, ending="bare", words=20)) == 1.2  # a follow-up: no expected length
    ep = _run(0.95, "bare", AnswerProgress(words=45, expected_words=150), rule=rule)
    assert ep.done.reason == "finished" and silence_at_end(ep) == pytest.approx(1.2, abs=0.04)
    assert ep.pause_features[0].text_ending == "bare"


def test_the_transcript_is_awaited_then_given_up_on():
    """Progress not ready (None) is waited for up to text_wait_s, then the pause has no early end."""
    ep = _run(0.9, None, None)
    assert ep.done.reason == "pause_limit"
    assert ep.pause_features and ep.pause_features[0].text_ending is None


def test_speech_after_the_pause_is_judged_again():
    """A pause too short to end (speech resumes at 0.4 s) leaves the next pause to its own signals."""
    ep = Endpointer(ScriptedVAD([(5, 0.0), (40, 0.9), (12, 0.0), (40, 0.9)]), FixedTurn(0.9),
                    EndpointConfig(), text_check=lambda s: "finished", rule=RULE,
                    progress_check=lambda s: AnswerProgress(words=30))
    for _ in range(400):
        ep.feed(np.zeros(512, np.float32))
        if ep.done:
            break
    assert ep.done.reason == "finished" and len(ep.pauses) == 1
    assert ep.last_voiced_end == (5 + 40 + 12 + 40) * 512


def test_the_interview_hands_the_expected_length_and_the_judges_coverage_in(tmp_path):
    """The listener gets, per question, the words of the bank's model answer and the offline judge's
    rubric coverage of a partial answer (more for the model answer than for talk beside the point)."""
    from pathlib import Path

    from fakes import FakeSpeaker, ScriptedAnswers, StemEmbedder
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.interview import Interview
    from voice_interviewer.judging.offline import OfflineJudge
    from voice_interviewer.schema import Session
    from voice_interviewer.store import SessionStore

    question = QuestionBank.load([Path(__file__).parent / "data" / "mini-bank.yaml"]).by_category()[0]
    model = question.model_answer.get("en")
    store = SessionStore(tmp_path)
    store.create(Session(id="s1", language="en"))
    answers = ScriptedAnswers(model)
    Interview(store.load("s1"), [question], FakeSpeaker(), answers, OfflineJudge(embedder=StemEmbedder()),
              store, followups=0, prefetch=False).run()
    request = answers.requests[0]
    assert request.expected_words == len(model.split())
    done, aside = request.coverage(model), request.coverage("I like to go hiking on weekends with friends.")
    assert 0.0 <= aside < done <= 1.0
