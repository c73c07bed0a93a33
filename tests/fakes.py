"""Fakes for unit tests of the interview logic (never the only test of a real part)."""

from __future__ import annotations

from collections import deque
from pathlib import Path

from voice_interviewer.schema import Answer, Judgement, Question, Timings
from voice_interviewer.ports import AnswerRequest


class FakeClock:
    def __init__(self, start: float = 100.0, step: float = 0.25):
        self.t = start
        self.step = step

    def now(self) -> float:
        self.t += self.step
        return self.t


class FakeSpeaker:
    def __init__(self, clock: FakeClock | None = None):
        self.clock = clock or FakeClock()
        self.said: list[tuple[str, str]] = []

    def say(self, text: str, *, kind: str, language: str, save_to: Path | None = None) -> float:
        self.said.append((kind, text))
        return self.clock.now()


class ScriptedAnswers:
    """Hands back queued answers; an entry may be a str, an Answer, or an exception to raise."""

    def __init__(self, *items, clock: FakeClock | None = None):
        self.queue = deque(items)
        self.clock = clock or FakeClock()
        self.requests: list[AnswerRequest] = []

    def get_answer(self, request: AnswerRequest) -> Answer:
        self.requests.append(request)
        request.on_listening()
        item = self.queue.popleft()
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Answer):
            return item
        end = self.clock.now()
        return Answer(text=item, language="en", timings=Timings(speech_end=end, endpoint=end + 0.3, transcript_ready=end + 0.4))


class FakeJudge:
    name = "fake"

    def __init__(self, *judgements: Judgement):
        self.queue = deque(judgements)
        self.history: list[tuple[str, str]] = []

    def judge(self, question: Question, answer: str, language: str) -> Judgement:
        self.history.append((question.id, answer))
        return self.queue.popleft()
