"""The end-of-answer decision through the virtual microphone, on natural-voice answers
(tests/answer_sets.py): a finished answer whose end the turn model doubts is replied to promptly
when the rubric and length say it is done, and a thinking pause inside a clause is not cut."""

from __future__ import annotations

import pytest
import soundfile as sf

from answer_sets import answer_set, words_of
from stt_paths import retry_once
from test_capture import Playback, normalise, request
from voice_interviewer.bank import QuestionBank
from voice_interviewer.config import Settings
from voice_interviewer.sound import SAMPLE_RATE

pytestmark = [pytest.mark.audio, pytest.mark.model, pytest.mark.slow]

# finished answers of the dev split whose end the turn model scores far under its 0.95 threshold
# (0.04 and 0.50 in benchmarks/turn_end.py) although the transcript ends a sentence; they say
# 46% of their model answer's words, and 55% and 74% of the rubric
DOUBTED = {"en": "en/small-dataset", "es": "es/missing-values"}


def spoken(language: str, clip_id: str, kind: str):
    return next(a for a in answer_set(language, kind, split="dev") if a.clip_id == clip_id)


def play_answer(make_listener, mic, offline_judge, tmp_path, answer, **settings):
    wav = tmp_path / "answer.wav"
    sf.write(str(wav), answer.audio, SAMPLE_RATE, subtype="PCM_16")
    question = QuestionBank.load().get(answer.question_id)
    play = Playback(mic, wav)
    req = request(tmp_path, play, answer.language)
    req.expected_words = len(question.model_answer.get(answer.language).split())
    req.coverage = lambda text: offline_judge.coverage(question, text, answer.language)
    heard = make_listener(**settings).get_answer(req)
    play.thread.join(timeout=60)
    return heard, play


@retry_once
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_finished_answer_the_turn_model_doubts_is_replied_to_promptly(
        make_listener, mic, offline_judge, tmp_path, language):
    answer = spoken(language, DOUBTED[language], "fluent")
    heard, play = play_answer(make_listener, mic, offline_judge, tmp_path, answer)
    last = words_of(answer.text)[-1]
    assert last in normalise(heard.text), heard.text  # heard to the end
    wait = heard.timings.endpoint - heard.timings.speech_end
    assert wait < 1.5, wait  # not the 3 s pause limit
    assert heard.timings.endpoint >= play.ended - 0.5


@retry_once
def test_without_the_rule_the_same_answer_waits_for_the_pause_limit(make_listener, mic, offline_judge, tmp_path):
    answer = spoken("en", DOUBTED["en"], "fluent")
    heard, _ = play_answer(make_listener, mic, offline_judge, tmp_path, answer, end_rule=False)
    wait = heard.timings.endpoint - heard.timings.speech_end
    assert wait >= Settings().max_pause_s - 0.2, wait


@retry_once
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_thinking_pause_inside_a_clause_is_not_cut(make_listener, mic, offline_judge, tmp_path, language):
    answer = spoken(language, DOUBTED[language], "thinking")
    heard, play = play_answer(make_listener, mic, offline_judge, tmp_path, answer)
    after = answer.words_after_pause()
    said = normalise(heard.text).split()
    # most of the words after the pause were heard (Whisper may mishear one or two)
    assert sum(w in said for w in after) >= 0.7 * len(after), heard.text
    assert heard.timings.endpoint >= play.ended - 0.5
