"""The second hearing of a finished answer: Whisper's pass over its whole recording, in the background."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from voice_interviewer.hearing.second_hearing import WholeFilePass, replaces

ANSWERS = Path(__file__).parent / "data" / "answers"


def _answer(answer_id: str) -> dict:
    with open(ANSWERS / "manifest.jsonl", encoding="utf-8") as f:
        return next(r for r in map(json.loads, f) if r["id"] == answer_id)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("answer_id", ["en/ab-testing-models", "es/ab-testing-models"])
def test_the_whole_recording_is_heard_in_the_background(whisper_transcriber, answer_id):
    import jiwer

    a = _answer(answer_id)
    started = time.monotonic()
    text = WholeFilePass(whisper_transcriber).start(ANSWERS / a["file"], a["language"], live="",
                                                     duration_s=a["duration"])
    assert time.monotonic() - started < 0.5 and text(0) is None  # the caller goes on at once
    heard = text(60)
    norm = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(),
                          jiwer.Strip(), jiwer.ReduceToListOfListOfWords()])
    assert heard and jiwer.wer(a["text"], heard, reference_transform=norm, hypothesis_transform=norm) < 0.12


@pytest.mark.unit
def test_missing_too_long_or_unreadable_recordings_are_not_heard_again(tmp_path):
    class Failing:
        def transcribe(self, audio, language="auto", **kw):
            raise ValueError("cannot decode")

    damaged = tmp_path / "turn-01.wav"
    damaged.write_bytes(b"RIFF....")
    second = WholeFilePass(Failing(), max_s=60)
    assert second.start(tmp_path / "none.wav", "en", "live") is None
    assert second.start(damaged, "en", "live", duration_s=61) is None
    text = second.start(damaged, "en", "live", duration_s=10)
    assert text is not None and text(5) is None  # the live transcript stands


@pytest.mark.unit
@pytest.mark.parametrize("again, live, used", [
    ("It fits the noise, and bootstrap helps.", "it fits the noise and bootst", True),
    ("Steps downhill.", "steps downhill", False),  # the same words: nothing to judge again
    ("", "steps downhill", False),
    ("It fits the noise.", "", True),
    # far fewer words: Whisper skipped speech after a pause
    ("It fits the noise, so it fails on new data.",
     "it fits the noise so it fails on new data and I would use regularization", False),
    # a decoding loop the live transcript did not have
    ("Then I'd compute the sample size needed to- to- to- to- to- to- to- to at least a full week.",
     "then I'd compute the sample size needed to detect an effect and run it for a full week", False),
    ("It fits the noise. " * 4, "it fits the noise", False),  # many more words
])
def test_a_second_hearing_replaces_the_live_transcript_only_when_it_reads_better(again, live, used):
    assert replaces(again, live) is used
