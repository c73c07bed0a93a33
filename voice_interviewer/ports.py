"""The small interfaces the interview loop talks through.

Hardware, models and network live behind these, so the loop runs with fakes in unit
tests, with typed answers in ``--text`` mode, and with the microphone in voice mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from .schema import Answer, Judgement, Question


class Clock(Protocol):
    def now(self) -> float: ...


class MonotonicClock:
    """The session clock: all per-turn timings are seconds on this clock."""

    def now(self) -> float:
        return time.monotonic()


@runtime_checkable
class Speaker(Protocol):
    """Says (or prints) what the interviewer says.

    ``say`` blocks until the utterance is over and returns the clock time at which its
    first audio started (or the text was shown), so the loop can measure the wait.
    ``kind`` is one of "question", "follow_up", "reaction", "summary", "info".
    """

    def say(self, text: str, *, kind: str, language: str, save_to: Path | None = None) -> float: ...


@dataclass
class AnswerRequest:
    """What the loop tells an answer source about the turn it wants an answer for."""

    turn: int
    question_id: str
    language: str  # "es", "en" or "auto"
    session_dir: Path
    audio_name: str  # e.g. "turn-01.wav", relative to session_dir
    context: str = ""  # what the interviewer just said (the question), a hint for speech recognition
    on_listening: Callable[[], None] = field(default=lambda: None)
    # called with the transcript so far when the candidate pauses (the answer may be over)
    on_partial: Callable[[str], None] = field(default=lambda text: None)
    # for the end-of-answer decision (hearing/turn_end.py): the words the question's model answer
    # takes, and the share of the rubric a partial answer covers (None: unknown)
    expected_words: int | None = None
    coverage: Callable[[str], float | None] | None = None
    # after the last reaction: not an answer but a last command (/answer, /retry, /delivery); silence ends
    end_moment: bool = False


class AnswerSource(Protocol):
    """Hands back the candidate's answer for one turn (typed, or heard and transcribed)."""

    def get_answer(self, request: AnswerRequest) -> Answer: ...


class Judge(Protocol):
    """Scores one answer against a question's rubric (see ``Prefetching`` and ``Summarizing``
    for what a judge may also offer)."""

    name: str

    def judge(self, question: Question, answer: str, language: str) -> Judgement: ...


@runtime_checkable
class Prefetching(Protocol):
    """A judge that can work on the part of an answer already heard (``partial_answer`` is
    "" while the question is still being asked), so the final judgement is ready sooner."""

    def prefetch(self, question: Question, partial_answer: str) -> object: ...


@runtime_checkable
class Covering(Protocol):
    """A judge that can say cheaply (tens of ms) what share of the rubric, 0-1, a partial answer
    covers: the end-of-answer decision reads it at pauses (``hearing/turn_end.py``)."""

    def coverage(self, question: Question, partial_answer: str, language: str) -> float | None: ...


@runtime_checkable
class Summarizing(Protocol):
    """A judge that adds its own closing words (``turns``: question, score, missing), or None."""

    def summarize(self, turns: list[dict], mean: float | None, language: str) -> str | None: ...


@runtime_checkable
class Interruptible(Protocol):
    """A speaker the candidate can talk over: ``talked_over()`` is the kind of the last utterance
    if the candidate cut it short (then the listener already holds their first words), else None."""

    def talked_over(self) -> str | None: ...


@runtime_checkable
class HearingAgain(Protocol):
    """An answer source that can hear a finished answer again, in the background, better than
    live (one pass over its whole recording): ``hear_again`` starts it and returns a callable that
    waits up to its argument (seconds) for the text, when it should replace the live transcript
    (else None: the same words, a pass that failed or is not done); None when the answer cannot
    be heard again."""

    def hear_again(self, answer: Answer, session_dir: Path, context: str) -> Callable[[float], str | None] | None: ...


@runtime_checkable
class Cueing(Protocol):
    """A speaker that can sound a short "your turn" cue before listening."""

    def cue(self) -> None: ...


@runtime_checkable
class Warmable(Protocol):
    """A judge that can prepare many answers at once (one batched model call) before judging them."""

    def warm(self, items: list[tuple[Question, str]]) -> None: ...
