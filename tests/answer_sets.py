"""Spoken answer sets for tests and benchmarks, built from the natural-voice clips of
``tests/data/answers`` (made by its ``make_answers.py``; see ``manifest.jsonl``).

Each stored answer can be turned into one of these *kinds* by inserting silence or appending a clip:

- ``fluent``: the answer as stored (no silence inside over 0.6 s);
- ``thinking``: a 1.5-3 s pause between two words inside a clause, in the middle third of the answer;
- ``sentence_pause``: a 1-2 s pause after a sentence that more sentences follow;
- ``closer``: the answer, 0.3 s, then a closing phrase ("That's all." / "Eso es todo.");
- ``resume``: the answer, 1.2-2.5 s of silence, then a going-on sentence ("Oh, and one more thing: ...").

The choices (where, how long, which extra clip) are drawn from a generator seeded with the kind and
the clip id, so the same answer is always built the same way. Closers and going-on sentences of the
answer's own split are used, so dev and test never share one.

From a test or a benchmark (the ``tests`` folder on ``sys.path``)::

    from answer_sets import answer_set
    for a in answer_set("en", "thinking", split="dev"):
        a.audio          # float32, 16 kHz mono
        a.text           # everything said, in order (the reference)
        a.pauses         # the inserted silences: start (s), seconds, words said before
        a.speech_end     # the true end of the answer's speech (s)
        a.words_after_pause()  # the words said after the last inserted pause
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf
from pydantic import BaseModel, ConfigDict

from voice_interviewer.judging.lexical import normalize

DATA = Path(__file__).resolve().parent / "data" / "answers"
RATE = 16000
KINDS = ("fluent", "thinking", "sentence_pause", "closer", "resume")
Kind = Literal["fluent", "thinking", "sentence_pause", "closer", "resume"]
THINKING_S = (1.5, 3.0)
SENTENCE_PAUSE_S = (1.0, 2.0)
CLOSER_GAP_S = 0.3
RESUME_S = (1.2, 2.5)
QUIET_GAP_DB = -30.0  # a word gap quieter than this (below the loudest frame) is a clean place to cut


class Boundary(BaseModel):
    at: float  # seconds into the stored clip
    words_before: int  # words of the text said before it
    db: float | None = None  # level there, dB below the clip's loudest 10 ms (word gaps only)


class Clip(BaseModel):
    """One line of manifest.jsonl."""

    id: str
    file: str
    language: Literal["en", "es"]
    role: Literal["answer", "closer", "going_on"]
    question_id: str | None
    text: str
    split: Literal["dev", "test"]
    duration: float
    sentence_ends: list[Boundary]
    word_gaps: list[Boundary]
    longest_inner_silence: float


class Pause(BaseModel):
    start: float  # seconds into the built audio where the inserted silence begins
    seconds: float
    words_before: int  # words of the reference said before it


class SpokenAnswer(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    id: str  # "<clip id>:<kind>"
    clip_id: str
    kind: Kind
    language: Literal["en", "es"]
    question_id: str
    split: Literal["dev", "test"]
    text: str
    audio: np.ndarray
    pauses: list[Pause]
    speech_end: float  # seconds into the audio where the last word ends

    @property
    def duration(self) -> float:
        return len(self.audio) / RATE

    def words_after_pause(self) -> list[str]:
        """The normalized words of the reference said after the last inserted pause (all, if none)."""
        said = self.text.split()  # words_before counts these
        return words_of(" ".join(said[self.pauses[-1].words_before:] if self.pauses else said))


def words_of(text: str) -> list[str]:
    """Lowercase, accent-free words: the form answers are compared in."""
    return normalize(text).split()


@cache
def manifest() -> tuple[Clip, ...]:
    lines = (DATA / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple(Clip.model_validate_json(line) for line in lines if line.strip())


def clips(language: str | None = None, role: str = "answer", split: str | None = None) -> list[Clip]:
    return [c for c in manifest() if c.role == role and language in (None, c.language) and split in (None, c.split)]


@cache
def _decoded(file: str) -> np.ndarray:
    audio, rate = sf.read(str(DATA / file), dtype="float32")
    if rate != RATE or audio.ndim != 1:
        raise ValueError(f"{file}: expected {RATE} Hz mono, got {rate} Hz, shape {audio.shape}")
    audio.setflags(write=False)
    return audio


def clip_audio(clip: Clip) -> np.ndarray:
    """The stored clip, decoded (16 kHz mono float32; shared, read-only)."""
    return _decoded(clip.file)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), dtype=np.float32)


def _insert(audio: np.ndarray, at: float, seconds: float) -> np.ndarray:
    i = int(round(at * RATE))
    return np.concatenate([audio[:i], _silence(seconds), audio[i:]])


def _extra(role: str, clip: Clip, rng: random.Random) -> Clip:
    pool = clips(clip.language, role, clip.split)
    if not pool:
        raise ValueError(f"no {role} clip for {clip.language}/{clip.split} in the manifest")
    return rng.choice(pool)


def build(clip: Clip, kind: Kind) -> SpokenAnswer:
    """The answer ``clip`` as ``kind`` (see the module's docstring)."""
    if kind not in KINDS:
        raise ValueError(f"unknown answer kind {kind!r} (use one of {', '.join(KINDS)})")
    if clip.role != "answer":
        raise ValueError(f"{clip.id} is a {clip.role} clip, not an answer")
    rng = random.Random(f"{kind}:{clip.id}")
    audio, text = clip_audio(clip), clip.text
    end = clip.sentence_ends[-1].at
    pauses: list[Pause] = []
    if kind == "thinking":
        third = clip.duration / 3
        middle = [g for g in clip.word_gaps if third <= g.at <= 2 * third]
        quiet = [g for g in middle if g.db is not None and g.db <= QUIET_GAP_DB]
        gap = rng.choice(quiet or middle or clip.word_gaps)
        seconds = round(rng.uniform(*THINKING_S), 2)
        audio = _insert(audio, gap.at, seconds)
        pauses.append(Pause(start=gap.at, seconds=seconds, words_before=gap.words_before))
        end += seconds
    elif kind == "sentence_pause":
        sentence = rng.choice(clip.sentence_ends[:-1])
        at, seconds = sentence.at + 0.02, round(rng.uniform(*SENTENCE_PAUSE_S), 2)
        audio = _insert(audio, at, seconds)
        pauses.append(Pause(start=at, seconds=seconds, words_before=sentence.words_before))
        end += seconds
    elif kind in ("closer", "resume"):
        extra = _extra("closer" if kind == "closer" else "going_on", clip, rng)
        seconds = CLOSER_GAP_S if kind == "closer" else round(rng.uniform(*RESUME_S), 2)
        pauses.append(Pause(start=len(audio) / RATE, seconds=seconds, words_before=len(text.split())))
        end = len(audio) / RATE + seconds + extra.sentence_ends[-1].at
        audio = np.concatenate([audio, _silence(seconds), clip_audio(extra)])
        text = f"{text} {extra.text}"
    return SpokenAnswer(id=f"{clip.id}:{kind}", clip_id=clip.id, kind=kind, language=clip.language,
                        question_id=clip.question_id or "", split=clip.split, text=text,
                        audio=np.ascontiguousarray(audio, dtype=np.float32), pauses=pauses,
                        speech_end=round(end, 3))  # fmt: skip


def answer_set(language: str, kind: Kind = "fluent", split: str | None = None,
               limit: int | None = None) -> list[SpokenAnswer]:  # fmt: skip
    """The answers of one language (and split), as ``kind``, in the order of their question ids."""
    chosen = sorted(clips(language, "answer", split), key=lambda c: c.id)[:limit]
    return [build(c, kind) for c in chosen]
