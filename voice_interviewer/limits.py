"""An answer is judged on at most ``max_answer_words`` words (setting ``max_answer_words``).

A pasted 100 kB answer, or a transcript that ran away, would otherwise keep every judge
busy for tens of seconds. ``WordLimit`` wraps any judge: the answer it passes on is cut to
its first N words and the judgement says so in a note. Prefetching and warming see the same
cut text; whatever else the judge offers (``summarize``, ``cue``, ``name``) passes through.
"""

from __future__ import annotations

import re

from .ports import Prefetching, Warmable
from .schema import Judgement, Question

_WORD = re.compile(r"\S+")


def first_words(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut after its ``limit``-th word, and how many words it had (counted up to a
    bound, so a huge text is not scanned to its end)."""
    count = 0
    end = len(text)
    for m in _WORD.finditer(text):
        count += 1
        if count == limit:
            end = m.end()
        elif count > limit:
            if count > limit * 20:  # enough to say it was cut
                break
    if count <= limit:
        return text, count
    return text[:end], count


def cut_note(limit: int, count: int) -> str:
    total = f"more than {limit * 20}" if count > limit * 20 else str(count)
    return f"judged on the first {limit} of {total} words (setting max_answer_words)"


class WordLimit:
    def __init__(self, judge, max_words: int):
        self.inner = judge
        self.max_words = max_words
        if isinstance(judge, Prefetching):
            self.prefetch = self._prefetch
        if isinstance(judge, Warmable):
            self.warm = self._warm

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def judge(self, question: Question, answer: str, language: str) -> Judgement:
        text, count = first_words(answer, self.max_words)
        judgement = self.inner.judge(question, text, language)
        if count > self.max_words:
            judgement = judgement.model_copy(update={"notes": [*judgement.notes, cut_note(self.max_words, count)]})
        return judgement

    def _prefetch(self, question: Question, partial_answer: str):
        return self.inner.prefetch(question, first_words(partial_answer, self.max_words)[0])

    def _warm(self, items: list[tuple[Question, str]]) -> None:
        self.inner.warm([(q, first_words(a, self.max_words)[0]) for q, a in items])


def limit_words(judge, max_words: int):
    """``judge`` judging at most ``max_words`` words of each answer."""
    return WordLimit(judge, max_words)
