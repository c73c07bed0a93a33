"""Rubric-less judging: turn a free-text reference answer into a one-off ``Question``.

Questions outside the bank (``score --batch`` lines with a ``reference``) get key points
made from the reference's sentences and clauses, each weighted by how much content it
carries, so every judge can score them through the same ``Judge`` protocol.
"""

from __future__ import annotations

import hashlib

from ..errors import InterviewerError
from ..schema import KeyPoint, Localized, LocalizedTerms, Question
from .lexical import content_stems, key_ideas

ADHOC_TAG = "adhoc-reference"


def question_from_reference(
    question: str, reference: str, qid: str | None = None, language: str = "en"
) -> Question:
    """A ``Question`` whose rubric is the reference's key ideas (same text in es and en)."""
    question, reference = (question or "").strip(), (reference or "").strip()
    if not reference:
        raise InterviewerError("a reference answer is needed for a question outside the bank")
    if not question:
        question = reference.split(".")[0][:200]
    ideas = key_ideas(reference)
    rubric = []
    for i, idea in enumerate(ideas, start=1):
        n = len(content_stems(idea))
        rubric.append(
            KeyPoint(
                id=f"idea-{i}",
                weight=min(10.0, max(1.0, float(n))),
                statement=Localized(en=idea, es=idea),
                evidence=LocalizedTerms(),
            )
        )
    digest = hashlib.sha1(f"{question}\n{reference}".encode()).hexdigest()[:10]
    return Question(
        id=qid if qid and _valid_id(qid) else f"ref-{digest}",
        category="fundamentals",
        text=Localized(en=question, es=question),
        rubric=rubric,
        model_answer=Localized(en=reference, es=reference),
        tags=[ADHOC_TAG, f"lang-{language}"],
    )


def _valid_id(qid: str) -> bool:
    import re  # noqa: PLC0415

    return bool(re.fullmatch(r"[a-z0-9][a-z0-9-]*", qid))
