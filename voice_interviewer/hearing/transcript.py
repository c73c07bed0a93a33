"""What speech recognition hands back: words with times and probabilities, segments, the
transcript of a piece of audio, and the ``Transcriber`` interface (Whisper in ``whisper.py``,
scripted fakes in the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field


class Word(BaseModel):
    word: str
    start: float
    end: float
    probability: float


class Segment(BaseModel):
    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


class Transcript(BaseModel):
    text: str = ""
    language: str | None = None
    language_probability: float | None = None
    duration: float = 0.0  # seconds of audio transcribed
    segments: list[Segment] = Field(default_factory=list)
    words: list[Word] = Field(default_factory=list)

    def word_dicts(self) -> list[dict]:
        return [w.model_dump() for w in self.words]


@runtime_checkable
class Transcriber(Protocol):
    """Turns audio into text; ``audio`` is a path or 16 kHz mono float32 samples."""

    english_only: bool

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]: ...

    def transcribe(self, audio: np.ndarray | str | Path, language: str = "auto", *, prompt: str | None = None,
                   context: str | None = None, offset: float = 0.0, fit_window: bool | None = None,
                   beam_size: int | None = None) -> Transcript:
        """``prompt``: the answer so far; ``context``: the question; ``offset`` s added to every
        time; ``fit_window`` and ``beam_size`` override the transcriber's own for this call."""


def with_words(part: Transcript, words: list[Word]) -> Transcript:
    """``part`` cut down to ``words``, a run of its own words: a segment that lost words is
    rewritten from the ones left in it (its start or end moved to them), an empty one dropped."""
    segments = []
    for seg in part.segments:
        def inside(ws: list[Word], seg: Segment = seg) -> list[Word]:
            return [w for w in ws if seg.start - 0.01 <= w.start <= seg.end + 0.01]

        had, left = inside(part.words), inside(words)
        if not left:
            continue
        if len(left) < len(had):
            seg = seg.model_copy(update={
                "start": seg.start if left[0] is had[0] else left[0].start,
                "end": seg.end if left[-1] is had[-1] else left[-1].end,
                "text": " ".join(w.word for w in left).replace(" -", "-"),
            })
        segments.append(seg)
    text = " ".join(seg.text for seg in segments if seg.text).strip()
    return part.model_copy(update={"words": words, "segments": segments, "text": text})
