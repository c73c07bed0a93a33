"""Spaced repetition over past sessions: which questions to review next.

Each question sits in a Leitner box that its answer history moves it through: a good
answer (score ≥ 7) moves it one box up, a middling one (5–7) keeps it where it is (but
out of box 0), a weak or skipped one sends it back to box 0. A box is a review interval;
a question is due when its last answer is older than its box's interval. Due questions
come first (lowest last score first, then the most overdue), then questions never asked,
then the rest by how soon they fall due.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pydantic import BaseModel

from ..bank import QuestionBank
from ..store import SessionStore

INTERVAL_DAYS = (0, 1, 3, 7, 16, 35)  # box 0 .. 5
GOOD, PASS = 7.0, 5.0


class ReviewItem(BaseModel):
    question_id: str
    asked: int = 0
    last_score: float | None = None
    last_at: datetime | None = None
    box: int = 0
    due_at: datetime | None = None  # None: never asked

    def due(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at <= now


def next_box(box: int, score: float) -> int:
    if score >= GOOD:
        return min(box + 1, len(INTERVAL_DAYS) - 1)
    if score >= PASS:
        return max(box, 1)
    return 0


def history(store: SessionStore, entries: dict | None = None) -> dict[str, list[tuple[datetime, float]]]:
    """(time, score) of every main-question answer in every readable session; a skipped
    question counts as 0."""
    out: dict[str, list[tuple[datetime, float]]] = {}
    for entry in (store.digests() if entries is None else entries).values():
        s = entry.digest
        if s is None:
            continue
        for qid, _category, _text, score, skipped in s.answers:
            out.setdefault(qid, []).append((s.started_at, 0.0 if skipped else score))
    for events in out.values():
        events.sort(key=lambda e: e[0])
    return out


def review_items(
    store: SessionStore,
    bank: QuestionBank,
    now: datetime | None = None,
    category: str | None = None,
    difficulty: str | None = None,
    entries: dict | None = None,
) -> list[ReviewItem]:
    """Bank questions (optionally of one category/difficulty) with box and due time, in review order."""
    now = now or datetime.now(timezone.utc)
    past = history(store, entries)
    items: list[ReviewItem] = []
    for qid, question in bank.questions.items():
        if (category and question.category != category) or (difficulty and question.difficulty != difficulty):
            continue
        events = past.get(qid, [])
        if not events:
            items.append(ReviewItem(question_id=qid))
            continue
        box = 0
        for _, score in events:
            box = next_box(box, score)
        last_at, last_score = events[-1]
        items.append(
            ReviewItem(
                question_id=qid,
                asked=len(events),
                last_score=last_score,
                last_at=last_at,
                box=box,
                due_at=last_at + timedelta(days=INTERVAL_DAYS[box]),
            )
        )

    def order(item: ReviewItem) -> tuple:
        if item.due(now):
            overdue = (now - item.due_at).total_seconds()
            return (0, item.last_score, -overdue)
        if item.due_at is None:
            return (1, 0.0, 0.0)
        return (2, (item.due_at - now).total_seconds(), item.last_score)

    return sorted(items, key=order)


def weak_first(
    store: SessionStore,
    bank: QuestionBank,
    count: int,
    now: datetime | None = None,
    *,
    category: str | None = None,
    difficulty: str | None = None,
) -> list[str]:
    """Question ids to ask next, by spaced repetition from past scores (weak and due first)."""
    items = review_items(store, bank, now, category=category, difficulty=difficulty)
    return [item.question_id for item in items[: max(count, 0)]]
