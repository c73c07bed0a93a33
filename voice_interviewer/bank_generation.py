"""``bank generate``: new interview questions for a job description, written by an LLM.

One request per question. The LLM answers JSON that a pydantic model checks
(``GeneratedQuestion``: flat fields, easy to ask for); code turns it into the bank's ``Question``
and runs ``bank validate``'s checks on it (the schema, the red flags' cues against the question's
own correct texts). A question that fails gets one repair round with the checker's messages; if it
still fails it is kept without the red flags that fail when at least one good red flag remains,
else dropped, with a one-line note either way. The bank file is written only when the whole file
passes the validator, through a temporary file and a rename, and never over an existing file
unless asked. The job description is read by ``jobtext.read_document`` (as ``practice --job``
reads it) and goes into the prompt as fenced data, its sentences one a line.

An LLM fault (timeout, refused connection, 429/5xx after the client's retries, HTTP 400 in every
output format) ends the run with one line and writes nothing. The API key is never in a prompt,
and a reply is redacted of it before it is read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import BankError
from .jobtext import Document
from .language import fold_accents
from .prompts import render
from .schema import CATEGORIES, Generated, Question

MAX_JOB_CHARS = 12_000  # of a job description's sentences in a prompt (about 3,000 tokens)
MAX_COUNT = 20
GENERATION_TIMEOUT = 180.0  # seconds per request unless llm_timeout is set: a full rubric is long
MAX_TOKENS = 4000
TEMPERATURE = 0.4
MAX_PROBLEMS_SHOWN = 12  # validator messages sent back in the repair round
JOB_FENCE = "job_description"
_FENCE_TAG = re.compile(r"</?\s*job_description\s*>", re.IGNORECASE)


# -- what the LLM is asked for ---------------------------------------------------------


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")


# bounds on every list (and on short items), in the schema too: a small model held to a grammar
# otherwise repeats one list item until it runs out of tokens
Term = Annotated[str, Field(max_length=80)]
Cue = Annotated[list[Annotated[str, Field(max_length=200)]], Field(min_length=1, max_length=3)]


class GeneratedKeyPoint(_Reply):
    id: Term
    weight: int = Field(ge=1, le=5)
    statement_en: str
    statement_es: str
    evidence_en: list[Term] = Field(max_length=8)
    evidence_es: list[Term] = Field(max_length=8)
    restatements_en: list[str] = Field(max_length=3)
    restatements_es: list[str] = Field(max_length=3)


class GeneratedFollowUp(_Reply):
    key_point: Term
    text_en: str
    text_es: str


class GeneratedRedFlag(_Reply):
    id: Term
    key_point: Term
    claim_en: str
    claim_es: str
    correction_en: str
    correction_es: str
    cues_en: list[Cue] = Field(max_length=8)
    cues_es: list[Cue] = Field(max_length=8)
    rivals: list[Term] = Field(max_length=10)


class GeneratedQuestion(_Reply):
    """One question as the LLM writes it; ``to_question`` makes the bank's ``Question`` of it."""

    id: Term
    category: Literal["fundamentals", "practical", "system-design", "coding", "communication"]
    difficulty: Literal["easy", "medium", "hard"]
    text_en: str
    text_es: str
    key_points: list[GeneratedKeyPoint] = Field(min_length=2, max_length=6)
    model_answer_en: str
    model_answer_es: str
    follow_ups: list[GeneratedFollowUp] = Field(min_length=1, max_length=3)
    red_flags: list[GeneratedRedFlag] = Field(min_length=1, max_length=4)


def strict_schema(model: type[BaseModel]) -> dict:
    """The model's JSON schema in the form strict structured output takes: references inlined,
    every property required, no extra properties, no titles or defaults."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def walk(node: object, names: bool = False) -> object:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        if names:  # the keys of "properties" are field names, kept as they are
            return {k: walk(v) for k, v in node.items()}
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
        out = {k: walk(v, k == "properties") for k, v in node.items() if k not in ("title", "default", "description")}
        if out.get("type") == "object":
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        return out

    return walk(raw)  # type: ignore[return-value]


SCHEMA = strict_schema(GeneratedQuestion)


# -- the job description ------------------------------------------------------------------


def job_text(doc: Document, limit: int = MAX_JOB_CHARS) -> tuple[str, list[str]]:
    """The sentences of a job description read by ``jobtext.read_document``, one a line, up to
    ``limit`` characters (fence tags removed), and a note when some were left out."""
    kept: list[str] = []
    size = 0
    for line in doc.lines:
        text = _FENCE_TAG.sub(" ", line.text).strip()
        if size + len(text) > limit and kept:
            return "\n".join(kept), [f"long: only its first {len(kept)} of {len(doc.lines)} sentences used"]
        kept.append(text[:limit])
        size += len(text) + 1
    return "\n".join(kept), []


# -- from the LLM's JSON to a bank question ------------------------------------------------------


def slug(text: str, fallback: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", fold_accents(text).lower()).strip("-")[:60].strip("-")
    return s or fallback


def unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... the first not in ``taken`` (which it joins)."""
    name, k = base, 2
    while name in taken:
        name, k = f"{base}-{k}", k + 1
    taken.add(name)
    return name


def _clean(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(s.strip() for s in items if s and s.strip()))


def to_question(gen: GeneratedQuestion, *, qid: str, generated: Generated) -> Question:
    """The bank's ``Question`` (raises pydantic's ``ValidationError`` when it is not one). A
    follow-up or red flag naming an unknown key point names none (``question_problems`` reports
    the red flag)."""
    kp_ids = {kp.id: slug(kp.id, f"point-{n}") for n, kp in enumerate(gen.key_points, 1)}
    flag_ids: set[str] = set()
    known = set(kp_ids.values())

    def point(ref: str) -> str:
        return kp_ids.get(ref) or slug(ref, ref)

    data = {
        "id": qid,
        "category": gen.category,
        "difficulty": gen.difficulty,
        "text": {"en": gen.text_en.strip(), "es": gen.text_es.strip()},
        "rubric": [
            {"id": kp_ids[kp.id], "weight": kp.weight,
             "statement": {"en": kp.statement_en.strip(), "es": kp.statement_es.strip()},
             "evidence": {"en": _clean(kp.evidence_en), "es": _clean(kp.evidence_es)},
             "restatements": {"en": _clean(kp.restatements_en), "es": _clean(kp.restatements_es)}}
            for kp in gen.key_points
        ],
        "model_answer": {"en": gen.model_answer_en.strip(), "es": gen.model_answer_es.strip()},
        "follow_ups": [
            {"text": {"en": f.text_en.strip(), "es": f.text_es.strip()},
             "key_point": point(f.key_point) if point(f.key_point) in known else None}
            for f in gen.follow_ups
        ],
        "red_flags": [
            {"id": unique(slug(f.id, f"claim-{n}"), flag_ids), "key_point": point(f.key_point) if point(f.key_point) in known else None,
             "claim": {"en": f.claim_en.strip(), "es": f.claim_es.strip()},
             "correction": {"en": f.correction_en.strip(), "es": f.correction_es.strip()},
             "cues": {"en": [[g.strip() for g in cue] for cue in f.cues_en],
                      "es": [[g.strip() for g in cue] for cue in f.cues_es]},
             "rivals": _clean(f.rivals)}
            for n, f in enumerate(gen.red_flags, 1)
        ],
        "generated": generated.model_dump(),
    }
    return Question.model_validate(data)


Problem = tuple[int | None, str]  # (the red flag it is about, or None; what is wrong)


def question_problems(q: Question) -> list[Problem]:
    """What ``bank validate`` would report about this question, and what a generated question
    must have besides (evidence for every key point, red flags naming their key point)."""
    from .judging.claims import red_flag_problems

    problems: list[Problem] = list(red_flag_problems(q))
    for kp in q.rubric:
        for lang in ("en", "es"):
            if not getattr(kp.evidence, lang):
                problems.append((None, f"key point {kp.id!r}: no evidence terms in {lang}"))
    ids = ", ".join(kp.id for kp in q.rubric)
    problems += [(i, f"red flag {f.id!r}: names none of the key points ({ids})")
                 for i, f in enumerate(q.red_flags) if not f.key_point]
    return problems


def without_bad_red_flags(q: Question, problems: list[Problem]) -> Question | None:
    """The question less the red flags its problems are about, when that leaves a valid question
    with at least one red flag; else None."""
    bad = {i for i, _ in problems}
    if None in bad or len(bad) >= len(q.red_flags):
        return None
    kept = q.model_copy(update={"red_flags": [f for i, f in enumerate(q.red_flags) if i not in bad]})
    return kept if not question_problems(kept) else None


def _errors(exc: ValidationError, where: str = "reply") -> list[Problem]:
    return [(None, f"{'.'.join([where, *map(str, e['loc'])])}: {e['msg']}") for e in exc.errors()[:8]]


# -- the generator ----------------------------------------------------------------------------


class BankGenerator:
    """Questions for one job description through an ``Endpoint`` (``judging.llm_client``)."""

    def __init__(self, endpoint, *, job: str, job_name: str, model_name: str, language: str,
                 taken: Iterable[str] = (), prompts_dir: Path | None = None, secret: str | None = None,
                 note: Callable[[str], None] = lambda line: None, today: date | None = None,
                 max_tokens: int = MAX_TOKENS):
        self.endpoint = endpoint
        self.job = job
        self.language = language
        self.prompts_dir = prompts_dir
        self.secret = secret
        self.note = note
        self.taken = set(taken)
        self.max_tokens = max_tokens
        self.stamp = Generated(by=model_name, job=job_name, at=today or datetime.now(timezone.utc).date())

    def generate(self, count: int) -> list[Question]:
        """Up to ``count`` valid questions (dropped ones are noted); ``LLMFault`` ends the run."""
        out: list[Question] = []
        for n in range(1, count + 1):
            q = self.one(n, CATEGORIES[(n - 1) % len(CATEGORIES)], out)
            if q is not None:
                self.taken.add(q.id)
                out.append(q)
                self.note(f"✔ {n}/{count} {q.id} ({q.category}, {q.difficulty}): {q.text.get(self.language)}")
        return out

    def one(self, n: int, category: str, done: list[Question]) -> Question | None:
        context = dict(job=self.job, category=category, job_fence=JOB_FENCE,
                       avoid=[q.text.get(self.language) for q in done])

        def build(fmt: str) -> list[dict]:
            shown = None if fmt == "json_schema" else json.dumps(SCHEMA, separators=(",", ":"))
            prompt = render("bank_question", self.language, root=self.prompts_dir, **{**context, "schema": shown})
            return [{"role": "user", "content": prompt}]

        opts = dict(temperature=TEMPERATURE, max_tokens=self.max_tokens)
        text, _ = self.endpoint.grade_call(build, SCHEMA, **opts)
        q, problems = self.check(text, n)
        if not problems:
            return q
        repair = render("bank_repair", self.language, root=self.prompts_dir,
                        problems=[p for _, p in problems[:MAX_PROBLEMS_SHOWN]])
        first = (self._redact(text) or "")[:12000]
        text, _ = self.endpoint.grade_call(
            lambda fmt: [*build(fmt), {"role": "assistant", "content": first}, {"role": "user", "content": repair}],
            SCHEMA, **opts)
        q, problems = self.check(text, n)
        if not problems:
            return q
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        kept = without_bad_red_flags(q, problems) if q is not None else None
        if kept is not None:
            gone = [f.id for f in q.red_flags if f not in kept.red_flags]
            self.note(f"• question {n} kept without red flag(s) {', '.join(gone)}: {problems[0][1]}{more}")
            return kept
        self.note(f"✘ question {n} dropped after one repair round: {problems[0][1]}{more}")
        return None

    def _redact(self, text: str | None) -> str | None:
        if text and self.secret and len(self.secret) >= 4:
            return text.replace(self.secret, "***")
        return text

    def check(self, text: str | None, n: int) -> tuple[Question | None, list[Problem]]:
        """The reply as a bank question, and what is wrong with it (empty: it is valid)."""
        from .judging.llm_parse import GradeError, extract_json

        text = self._redact(text)
        if not text or not text.strip():
            return None, [(None, "the reply is empty (a refusal?)")]
        try:
            data = extract_json(text)
        except GradeError:
            return None, [(None, "the reply is not valid JSON")]
        if not isinstance(data, dict):
            return None, [(None, "the reply is JSON but not an object")]
        try:
            gen = GeneratedQuestion.model_validate(data)
        except ValidationError as exc:
            return None, _errors(exc)
        try:
            q = to_question(gen, qid=unique(slug(gen.id, f"job-question-{n}"), set(self.taken)), generated=self.stamp)
        except ValidationError as exc:
            return None, _errors(exc, "question")
        return q, question_problems(q)


# -- the file -------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Short lists of words (evidence terms, a cue's groups) on one line, as in the built-in bank."""

    def represent_list(self, data):
        short = all(isinstance(x, str) and len(x) <= 40 for x in data) and sum(len(x) + 2 for x in data) <= 90
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=short)


_Dumper.add_representer(list, _Dumper.represent_list)


def bank_yaml(questions: list[Question], stamp: Generated) -> str:
    """The bank file's text: a comment saying where it came from, then the questions."""
    job = "".join(c if c.isprintable() else "?" for c in stamp.job)
    by = "".join(c if c.isprintable() else "?" for c in stamp.by)
    head = (f"# Interview questions written by {by} for {job} on {stamp.at.isoformat()} "
            "(voice-interviewer bank generate).\n"
            "# Read them before you rely on them; check the file with: voice-interviewer bank validate FILE\n")
    data = {"questions": [q.model_dump(mode="json", exclude_defaults=True) for q in questions]}
    return head + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def write_bank(path: Path, text: str, *, check: Callable[[Path], list[str]], force: bool = False) -> None:
    """Write ``text`` to ``path`` only if ``check`` (the validator) finds nothing wrong with it:
    through a temporary file in the same folder, renamed over ``path`` (refused if it exists and
    not ``force``)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        problems = check(tmp)
        if problems:
            raise BankError(f"the generated bank does not pass validation, nothing written: {problems[0]}")
        if path.exists() and not force:
            raise BankError(f"{path}: already exists (use --force to replace it)")
        os.replace(tmp, path)
    except OSError as exc:
        raise BankError(f"{path}: cannot write the question bank: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
