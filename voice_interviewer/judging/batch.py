"""Batch scoring: JSON lines in, one result per line out, in order (``score --batch``).

Each input line is ``{"id", "question", "reference", "question_id", "answer", "language"}``;
``reference`` may be left out when ``question_id`` names a bank question. A bad line yields
``{"id", "error"}`` and the rest still run. ``scorers`` builds a judge by name so the
benchmark and the CLI share one path (``offline``, ``llm``, ``fusion``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import Settings
from ..errors import InterviewerError, JudgeError
from ..schema import Judgement, Question
from ..ports import Judge, Warmable
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


def make_scorer(name: str, settings: Settings, background: Sequence[Question] = ()) -> Judge:
    """A judge by scorer name; ``llm`` and ``fusion`` go through ``make_judge``."""
    from . import make_judge, make_offline_judge  # noqa: PLC0415

    if name not in SCORERS:
        raise InterviewerError(f"unknown scorer '{name}' (one of: {', '.join(SCORERS)})")
    if name == "offline":
        return make_offline_judge(settings, background)
    settings = settings.model_copy(update={"scorer": "llm"})
    try:
        llm = make_judge(settings, background)
    except ImportError:
        raise InterviewerError("the LLM scorer is not available in this installation") from None
    return llm if name == "llm" else FusionJudge(make_offline_judge(settings, background), llm)


class FusionJudge:
    """The offline and LLM scores fused (``llm.fuse_scores``); key points and feedback from the LLM judge."""

    name = "fusion"

    def __init__(self, offline: Judge, llm: Judge, llm_weight: float | None = None):
        self.offline, self.llm, self.llm_weight = offline, llm, llm_weight

    def judge(self, question: Question, answer: str, language: str) -> Judgement:
        from .llm import FUSION_WEIGHT, fuse_scores  # noqa: PLC0415

        off = self.offline.judge(question, answer, language)
        llm = self.llm.judge(question, answer, language)
        if llm.scorer != self.llm.name:  # the LLM judge fell back to offline
            return off.model_copy(update={"scorer": self.name, "notes": [*off.notes, *llm.notes]})
        score = fuse_scores(llm.score, off.score, FUSION_WEIGHT if self.llm_weight is None else self.llm_weight)
        if off.wrong_claims:  # a wrong claim found offline is never lifted
            score = min(score, off.score)
        return llm.model_copy(update={"score": score, "scorer": self.name, "offline_score": off.score,
                                      "wrong_claims": off.wrong_claims or llm.wrong_claims})


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
        "wrong_claims": [{"id": w.id, "key_point": w.key_point, "said": w.said, "correction": w.correction}
                         for w in j.wrong_claims],
        "follow_up": j.follow_up,
        "notes": j.notes,
    }


CHUNK = 32  # answers embedded together: one batched call per chunk instead of one per answer


def is_blank(line: str) -> bool:
    """A line of ASCII white space only (as in the bytes it was read from): skipped. A line of other
    control characters is reported as an error instead."""
    return not line.strip(" \t\n\r\x0b\x0c")


def score_lines(
    lines: Iterable[str],
    judge: Judge,
    bank=None,
    language: str = "auto",
    on_result: Callable[[dict], None] | None = None,
) -> Iterator[dict]:
    """Score JSON lines in order; a bad line gives ``{"id", "error"}`` and the rest still run.

    Lines are read in chunks; a judge that can warm up (``ports.Warmable``) embeds each chunk's
    answers in one batched call before judging them one by one.
    """
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if not is_blank(line))
    while chunk := list(itertools.islice(numbered, CHUNK)):
        parsed = [_parse(n, line, bank, language) for n, line in chunk]
        if isinstance(judge, Warmable):
            judge.warm([(p.question, p.item.answer) for p in parsed if p.question is not None])
        for p in parsed:
            row = p.row if p.row is not None else _judge_row(p, judge)
            if on_result is not None:
                on_result(row)
            yield row


@dataclass
class _Parsed:
    n: int
    item_id: Any
    item: BatchItem | None = None
    question: Question | None = None
    language: str = "auto"
    row: dict | None = None  # an error row, when the line could not be read


def _parse(n: int, line: str, bank, language: str) -> _Parsed:
    p = _Parsed(n, f"line-{n}")
    try:
        raw = json.loads(line)
        if isinstance(raw, dict) and raw.get("id") is not None:
            p.item_id = raw["id"]
        p.item = BatchItem.model_validate(raw)
        lang = p.item.language or language
        p.language = lang if lang in ("es", "en") else "auto"
        p.question = resolve_question(p.item, bank, p.language if p.language != "auto" else "en")
    except json.JSONDecodeError as exc:
        p.row = {"id": p.item_id, "error": f"line {n}: invalid JSON: {exc.msg}"}
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "line"
        p.row = {"id": p.item_id, "error": f"line {n}: {where}: {err['msg']}"}
    except (InterviewerError, JudgeError) as exc:
        p.row = {"id": p.item_id, "error": f"line {n}: {exc.line()}"}
    return p


def _judge_row(p: _Parsed, judge: Judge) -> dict:
    try:
        return result_row(p.item.id, judge.judge(p.question, p.item.answer, p.language))
    except (InterviewerError, JudgeError) as exc:
        return {"id": p.item_id, "error": f"line {p.n}: {exc.line()}"}
