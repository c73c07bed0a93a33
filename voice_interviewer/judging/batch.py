"""Batch scoring: JSON lines in, one result per line out, in order (``score --batch``).

Each input line is ``{"id", "question", "reference", "question_id", "answer", "language"}``;
``reference`` may be left out when ``question_id`` names a bank question. A bad line yields
``{"id", "error"}`` and the rest still run. ``scorers`` builds a judge by name so the
benchmark and the CLI share one path (``offline``, ``llm``, ``fusion``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InterviewerError, JudgeError
from ..schema import Judgement, Question
from ..ports import Judge
from .reference import question_from_reference

SCORERS = ("offline", "llm", "fusion")


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | int
    question: str | None = None
    reference: str | None = None
    question_id: str | None = None
    answer: str = Field(default="")
    language: str | None = None


def make_scorer(name: str, settings=None) -> Judge:
    """A judge by scorer name; ``llm`` and ``fusion`` go through ``make_judge``."""
    from ..config import Settings  # noqa: PLC0415
    from . import make_judge  # noqa: PLC0415
    from .offline import OfflineJudge  # noqa: PLC0415

    if name not in SCORERS:
        raise InterviewerError(f"unknown scorer '{name}' (one of: {', '.join(SCORERS)})")
    if name == "offline":
        return OfflineJudge()
    settings = settings or Settings()
    settings = settings.model_copy(update={"scorer": "llm"})
    try:
        llm = make_judge(settings)
    except ImportError:
        raise InterviewerError("the LLM scorer is not available in this installation") from None
    return llm if name == "llm" else FusionJudge(OfflineJudge(), llm)


class FusionJudge:
    """Mean of the offline and LLM scores; key points and feedback from the LLM judge."""

    name = "fusion"

    def __init__(self, offline: Judge, llm: Judge, llm_weight: float = 0.5):
        self.offline, self.llm, self.llm_weight = offline, llm, llm_weight

    def judge(self, question: Question, answer: str, language: str) -> Judgement:
        off = self.offline.judge(question, answer, language)
        llm = self.llm.judge(question, answer, language)
        if llm.scorer != self.llm.name:  # the LLM judge fell back to offline
            return off.model_copy(update={"scorer": self.name, "notes": [*off.notes, *llm.notes]})
        w = self.llm_weight
        score = round(w * llm.score + (1 - w) * off.score, 2)
        return llm.model_copy(update={"score": score, "scorer": self.name, "offline_score": off.score})


def resolve_question(item: BatchItem, bank, language: str) -> Question:
    """The bank question ``question_id`` names, else a one-off question from ``reference``."""
    if item.question_id and bank is not None and item.question_id in bank.questions:
        return bank.get(item.question_id)
    if item.reference and item.reference.strip():
        return question_from_reference(item.question or "", item.reference, None, language)
    if item.question_id:
        raise InterviewerError(f"unknown question id '{item.question_id}' and no reference given")
    raise InterviewerError("each line needs a 'reference' or a bank 'question_id'")


def result_row(item_id: Any, j: Judgement) -> dict:
    return {
        "id": item_id,
        "score": round(float(j.score), 2),
        "scorer": j.scorer,
        "covered": j.covered + j.partly,
        "missing": j.missing,
        "feedback": j.feedback,
        "confidence": j.confidence,
        "key_points": [
            {"id": k.id, "verdict": k.verdict, "evidence": k.evidence, "similarity": k.similarity}
            for k in j.key_points
        ],
        "follow_up": j.follow_up,
        "notes": j.notes,
    }


def score_lines(
    lines: Iterable[str],
    judge: Judge,
    bank=None,
    language: str = "auto",
    on_result: Callable[[dict], None] | None = None,
) -> Iterator[dict]:
    """Score JSON lines in order; a bad line gives ``{"id", "error"}`` and the rest still run."""
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item_id: Any = f"line-{n}"
        try:
            raw = json.loads(line)
            if isinstance(raw, dict) and raw.get("id") is not None:
                item_id = raw["id"]
            item = BatchItem.model_validate(raw)
            lang = item.language or language
            lang = lang if lang in ("es", "en") else "auto"
            question = resolve_question(item, bank, lang if lang != "auto" else "en")
            row = result_row(item.id, judge.judge(question, item.answer, lang))
        except json.JSONDecodeError as exc:
            row = {"id": item_id, "error": f"line {n}: invalid JSON: {exc.msg}"}
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "line"
            row = {"id": item_id, "error": f"line {n}: {where}: {err['msg']}"}
        except (InterviewerError, JudgeError) as exc:
            row = {"id": item_id, "error": f"line {n}: {exc.line()}"}
        if on_result is not None:
            on_result(row)
        yield row
