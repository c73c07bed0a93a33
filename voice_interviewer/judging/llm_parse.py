"""Checking what an LLM sends back: grades, score-digit probabilities, follow-up wording.

Everything here is pure (no network) so the rules are unit-tested directly.
"""

from __future__ import annotations

import json
import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..language import clamp_language, guess_language, words

# A score slightly outside 0–10 is clamped with a note; further out it is a fault.
CLAMP_TOLERANCE = 1.0
MAX_FOLLOW_UP_CHARS = 300
COPY_NGRAM = 5  # words: a follow-up sharing this many consecutive words with the answer key is rejected


class GradeError(ValueError):
    """The reply is not a valid grade; the message says why (one line, no secrets)."""


class KeyPointVerdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    verdict: Literal["covered", "partly", "missing"]
    quote: str = ""


class LLMGrade(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key_points: list[KeyPointVerdict]
    feedback: str = Field(max_length=1200)
    follow_up: str | None = None
    score: float = Field(strict=True)


def grade_schema(key_point_ids: list[str]) -> dict:
    """JSON schema for a grade (strict-mode compatible: all keys required, no extras)."""
    return {
        "type": "object",
        "properties": {
            "key_points": {
                "type": "array",
                "minItems": 1,
                "maxItems": max(1, len(key_point_ids)),
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "enum": key_point_ids},
                        "verdict": {"type": "string", "enum": ["covered", "partly", "missing"]},
                        "quote": {"type": "string", "maxLength": 120},
                    },
                    "required": ["id", "verdict", "quote"],
                    "additionalProperties": False,
                },
            },
            "feedback": {"type": "string", "maxLength": 300},
            "follow_up": {"anyOf": [{"type": "string", "maxLength": 250}, {"type": "null"}]},
            "score": {"type": "integer", "minimum": 0, "maximum": 10},
        },
        "required": ["key_points", "feedback", "follow_up", "score"],
        "additionalProperties": False,
    }


def extract_json(text: str) -> object:
    """The JSON object in a reply, tolerating code fences or prose around it."""
    s = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", s, re.DOTALL)
    if fenced:
        s = fenced.group(1).strip()
    try:
        return json.loads(s)
    except ValueError:
        pass
    start, end = s.find("{"), s.rfind("}")
    if start != -1 and end > start:
        try:
            return json.loads(s[start : end + 1])
        except ValueError:
            pass
    raise GradeError("reply is not valid JSON")


def parse_grade(text: str | None, key_point_ids: list[str]) -> tuple[LLMGrade, list[str]]:
    """Validate a grading reply; returns the grade and notes (clamping, unknown ids)."""
    if not text or not text.strip():
        raise GradeError("empty reply")
    data = extract_json(text)
    if not isinstance(data, dict):
        raise GradeError("reply is JSON but not an object")
    try:
        grade = LLMGrade.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "reply"
        raise GradeError(f"invalid field {where}: {err['msg']}") from None
    notes: list[str] = []
    if not math.isfinite(grade.score):
        raise GradeError("score is not a finite number")
    if grade.score < -CLAMP_TOLERANCE or grade.score > 10 + CLAMP_TOLERANCE:
        raise GradeError(f"score {grade.score:g} is out of range 0-10")
    if grade.score < 0 or grade.score > 10:
        clamped = min(10.0, max(0.0, grade.score))
        notes.append(f"LLM score {grade.score:g} clamped to {clamped:g}")
        grade.score = clamped
    known = set(key_point_ids)
    unknown = [v.id for v in grade.key_points if v.id not in known]
    if unknown:
        notes.append(f"LLM named unknown key point(s) {', '.join(unknown[:3])}; ignored")
        grade.key_points = [v for v in grade.key_points if v.id in known]
    if not grade.key_points and key_point_ids:
        raise GradeError("no verdict for any key point")
    if grade.follow_up is not None and not grade.follow_up.strip():
        grade.follow_up = None
    return grade, notes


def digit_expectation(top_logprobs: list[tuple[str, float]], lo: int = 0, hi: int = 5) -> tuple[float, dict[int, float]]:
    """Expected value over the score digits among the first token's alternatives.

    ``top_logprobs`` holds (token, logprob) pairs; tokens other than a digit in lo..hi are
    dropped and the digits' probabilities renormalised.
    """
    probs: dict[int, float] = {}
    for token, logprob in top_logprobs:
        t = token.strip()
        if t.isdigit() and lo <= int(t) <= hi and math.isfinite(logprob):
            probs[int(t)] = probs.get(int(t), 0.0) + math.exp(logprob)
    total = sum(probs.values())
    if total <= 0:
        raise GradeError("no score digit among the reply's token probabilities")
    probs = {d: p / total for d, p in sorted(probs.items())}
    return sum(d * p for d, p in probs.items()), probs


# -- follow-up wording ----------------------------------------------------

_REVEAL = re.compile(
    r"\b(reference|model answer|rubric|key ?points?|expected answer|correct answer|answer key|"
    r"referencia|respuesta modelo|respuesta correcta|respuesta esperada|rubrica|punto clave|puntos clave)\b",
    re.IGNORECASE,
)
def _ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def copies(text: str, source: str, n: int = COPY_NGRAM) -> bool:
    """``text`` shares a run of ``n`` words with ``source``."""
    return bool(_ngrams(words(text), n) & _ngrams(words(source), n))


def looks_like_language(text: str, language: str) -> bool:
    """Rough check that a short text is in ``language`` (es/en) and not the other one."""
    if clamp_language(language) == "es" and "¿" in text:
        return True
    return guess_language(text, default=language) == clamp_language(language)


def check_follow_up(text: str | None, *, language: str, secrets: list[str], question: str) -> tuple[str | None, str | None]:
    """Clean a proposed follow-up; returns (question, None) or (None, why it was rejected).

    ``secrets`` are texts the candidate must not be shown (model answer, key point
    statements): sharing a run of ``COPY_NGRAM`` words with one of them, unless the run is
    also in the question itself, rejects the follow-up.
    """
    if not text:
        return None, "no follow-up proposed"
    t = " ".join(text.strip().strip('"').split())
    t = re.sub(r"^(follow[- ]up( question)?|pregunta( de seguimiento)?)\s*:\s*", "", t, flags=re.IGNORECASE)
    if not t:
        return None, "empty follow-up"
    if len(t) > MAX_FOLLOW_UP_CHARS:
        return None, "follow-up too long"
    if "?" not in t:
        return None, "follow-up is not a question"
    if _REVEAL.search(t):
        return None, "follow-up mentions the reference answer"
    if not looks_like_language(t, language):
        return None, f"follow-up not in the interview language ({language})"
    mine = _ngrams(words(t), COPY_NGRAM)
    allowed = _ngrams(words(question), COPY_NGRAM)
    for secret in secrets:
        if (mine & _ngrams(words(secret), COPY_NGRAM)) - allowed:
            return None, "follow-up copies the answer key"
    if language == "es" and "¿" not in t and t.endswith("?") and t.count("?") == 1:
        t = "¿" + t
    return t, None


_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|your)\s+(instructions|rules|prompt)"
    r"|system prompt|you are now|(give|award|assign)\s+(me|this( answer)?)\s+(a\s+)?(score\s+of\s+)?(10|ten|full marks)"
    r"|ignora\s+(todas\s+)?(las\s+)?instrucciones|ponme\s+un\s+10|dame\s+un\s+10",
    re.IGNORECASE,
)


def looks_like_injection(answer: str) -> bool:
    """The answer contains text that tries to instruct the grader."""
    return bool(_INJECTION.search(answer))


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced (keys must never be shown)."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text
