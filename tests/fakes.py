"""Fakes for unit tests: scripted stand-ins for the real parts (never the only test of a real part)."""

from __future__ import annotations

import hashlib
from collections import deque
from pathlib import Path

import numpy as np

from voice_interviewer.hearing.transcript import Segment, Transcript, Word
from voice_interviewer.judging import lexical as lx
from voice_interviewer.ports import AnswerRequest
from voice_interviewer.schema import Answer, Judgement, KeyPointResult, Question, Timings
from voice_interviewer.sound import SAMPLE_RATE


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
    """Hands back queued answers; an entry may be a str, an Answer, or an exception to raise.
    After the last reaction (``end_moment``) with nothing queued, the candidate says nothing."""

    def __init__(self, *items, clock: FakeClock | None = None):
        self.queue = deque(items)
        self.clock = clock or FakeClock()
        self.requests: list[AnswerRequest] = []

    def get_answer(self, request: AnswerRequest) -> Answer:
        self.requests.append(request)
        request.on_listening()
        if request.end_moment and not self.queue:
            return Answer(no_speech=True)
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


class CueSpeaker(FakeSpeaker):
    """A speaker that can also sound the "your turn" cue (``ports.Cueing``)."""

    def __init__(self):
        super().__init__()
        self.cues = 0

    def cue(self):
        self.cues += 1


class ScriptedListener:
    """An answer source that hands back queued answers and counts how often it listened."""

    def __init__(self, *answers: Answer):
        self.answers = list(answers)
        self.calls = 0

    def get_answer(self, request: AnswerRequest) -> Answer:
        self.calls += 1
        request.on_listening()
        return self.answers.pop(0)


class ScriptedVAD:
    """Speech probability of each block from a script of (blocks, probability) runs; then silence."""

    def __init__(self, script):
        self.probs = [p for n, p in script for _ in range(n)]

    def reset(self):
        self.i = 0

    def __call__(self, block):
        self.i += 1
        return self.probs[self.i - 1] if self.i <= len(self.probs) else 0.0


class FixedTurn:
    """A turn model that always gives the same probability that the speaker has finished."""

    def __init__(self, p: float):
        self.p = p

    def probability(self, audio):
        return self.p


class ScriptedTranscriber:
    """Hears the words of a script ((word, start, end) in seconds) that lie inside the audio it
    is given; records each call's span and context."""

    english_only = False

    def __init__(self, words: list[tuple[str, float, float]]):
        self.words = words
        self.calls: list[tuple[float, float]] = []
        self.contexts: list[str | None] = []

    def detect_language(self, audio):
        return "en", 1.0

    def transcribe(self, audio, language="auto", *, offset=0.0, context=None, **kw):
        end = offset + len(audio) / SAMPLE_RATE
        self.calls.append((offset, end))
        self.contexts.append(context)
        heard = [Word(word=w, start=a, end=b, probability=0.9) for w, a, b in self.words
                 if a >= offset - 0.01 and b <= end + 0.01]
        text = " ".join(w.word for w in heard)
        segs = [Segment(start=heard[0].start, end=heard[-1].end, text=text)] if heard else []
        return Transcript(text=text, language=language, segments=segs, words=heard)


class FakeReplayPlayer:
    """Replay's player: "plays" a clip for three polls of ``active()``; records what it started."""

    def __init__(self):
        self.started: list[str] = []
        self.stopped = 0
        self._polls = 0

    def start(self, path: Path) -> float:
        self.started.append(path.name)
        self._polls = 3
        return 1.0

    def active(self) -> bool:
        self._polls -= 1
        return self._polls > 0

    def stop(self) -> None:
        self.stopped += 1
        self._polls = 0


class ScriptedKeys:
    """Replay's keys: ``during`` is polled while a clip plays, ``after`` waited for between clips."""

    interactive = True

    def __init__(self, during: list[str | None], after: list[str]):
        self.during, self.after = list(during), list(after)

    def poll(self, timeout: float) -> str | None:
        return self.during.pop(0) if self.during else None

    def wait(self) -> str:
        return self.after.pop(0) if self.after else "n"


class TermJudge:
    """A deterministic stand-in for the offline judge (named "offline"): a key point is covered when one
    of its English evidence terms appears in the answer."""

    name = "offline"

    def judge(self, question, answer, language):
        text = answer.lower()
        results = [KeyPointResult(id=k.id, statement=k.statement.get(language), weight=k.weight,
                                  verdict="covered" if any(t in text for t in k.evidence.en) else "missing")
                   for k in question.rubric]
        got = sum(r.weight for r in results if r.verdict == "covered")
        score = round(10 * got / sum(k.weight for k in question.rubric), 2)
        return Judgement(score=score, key_points=results, feedback="offline feedback", scorer="offline")


class StemEmbedder:
    """Deterministic stand-in: hashed bag of stems plus a shared offset (cosines ~0.8–1)."""

    name = "bag-of-stems"

    def encode(self, texts, kind="passage", cache=False, persist=False):
        rows = []
        for t in texts:
            v = np.zeros(64)
            v[0] = 3.0
            for s in lx.content_stems(t):
                v[1 + int(hashlib.md5(s.encode()).hexdigest(), 16) % 63] += 1.0
            rows.append(v / np.linalg.norm(v))
        return np.vstack(rows)


class CountingEmbedder(StemEmbedder):
    """Keeps vectors it was asked to cache and records every text it had to compute."""

    def __init__(self):
        self.cache: dict[str, np.ndarray] = {}
        self.computed: list[str] = []

    def encode(self, texts, kind="passage", cache=False, persist=False):
        todo = [t for t in texts if not (cache and t in self.cache)]
        self.computed.extend(todo)
        if todo:
            for t, v in zip(todo, super().encode(todo)):
                if cache:
                    self.cache[t] = v
        return np.vstack([self.cache[t] if cache else super().encode([t])[0] for t in texts])
