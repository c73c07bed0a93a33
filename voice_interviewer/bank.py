"""Question banks: YAML files validated into ``Question`` models, and question selection.

A bank file is a mapping with a ``questions:`` list. Problems are reported with the file
and the line of the offending YAML node.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .datafiles import data_dir
from .config import MAX_BANK_MB
from .errors import BankError
from .schema import Question

# libyaml's loader when PyYAML was built with it: about 30x faster than the pure-Python one
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class BankFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[Question]


def default_bank_dir() -> Path:
    """The built-in bank: the installed package's copy, or ``questions/`` in a checkout."""
    return data_dir("questions")


def _node_at(node: yaml.Node, loc: Sequence[str | int]) -> yaml.Node:
    """The deepest YAML node along a pydantic error location."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node


def _describe(loc: Sequence[str | int], data: object) -> str:
    parts: list[str] = []
    cur = data
    for key in loc:
        if isinstance(cur, dict):
            cur = cur.get(key)
            parts.append(str(key))
        elif isinstance(cur, list) and isinstance(key, int) and key < len(cur):
            cur = cur[key]
            qid = cur.get("id") if isinstance(cur, dict) else None
            parts.append(f"[{qid or key}]")
        else:
            parts.append(str(key))
    return ".".join(parts).replace(".[", "[")


def _read_limited(path: Path, max_mb: float) -> str:
    limit = int(max_mb * 1024 * 1024)
    with open(path, "rb") as fh:
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raise BankError(f"{path}: question bank larger than {max_mb:g} MB (setting max_bank_mb)")
    return raw.decode("utf-8")


def load_file(path: Path, max_mb: float = MAX_BANK_MB) -> list[Question]:
    """Load and validate one bank file; raise ``BankError`` naming file and line."""
    try:
        text = _read_limited(path, max_mb)
    except OSError as exc:
        raise BankError(f"{path}: cannot read question bank: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise BankError(f"{path}: cannot read question bank: not UTF-8 text ({exc.reason})") from None
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # a safe loader (see _LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise BankError(f"{path}{line}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:  # e.g. a control character the reader refuses
        raise BankError(f"{path}: invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if root is None or data is None:
        raise BankError(f"{path}:1: empty question bank (expected a 'questions:' list)")
    try:
        bank = BankFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        node = _node_at(root, loc)
        where = _describe(loc, data) or "top level"
        more = f" (+{exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise BankError(f"{path}:{node.start_mark.line + 1}: {where}: {err['msg']}{more}") from None
    return bank.questions


def line_of(path: Path, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the node at ``loc`` (e.g. ``("questions", 3, "red_flags", 1)``) in a bank file."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return _node_at(root, loc).start_mark.line + 1 if root is not None else None


def bank_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]))
        elif p.exists():
            files.append(p)
        else:
            raise BankError(f"{p}: no such question bank file or directory")
    return files


class QuestionBank:
    """All questions from one or more bank files, by id."""

    def __init__(self, questions: Iterable[Question]):
        self.questions: dict[str, Question] = {}
        for q in questions:
            self.questions[q.id] = q

    @classmethod
    def load(cls, paths: Iterable[Path] | None = None, max_mb: float = MAX_BANK_MB) -> QuestionBank:
        paths = list(paths) if paths else [default_bank_dir()]
        seen: dict[str, Path] = {}
        questions: list[Question] = []
        for f in bank_files(paths):
            for q in load_file(f, max_mb):
                if q.id in seen:
                    raise BankError(f"{f}: question id '{q.id}' is already defined in {seen[q.id]}")
                seen[q.id] = f
                questions.append(q)
        if not questions:
            raise BankError(f"no questions found in {', '.join(str(p) for p in paths)}")
        return cls(questions)

    def __len__(self) -> int:
        return len(self.questions)

    def get(self, qid: str) -> Question:
        try:
            return self.questions[qid]
        except KeyError:
            raise BankError(f"unknown question id '{qid}' (see: voice-interviewer bank list)") from None

    def by_category(self, category: str | None = None) -> list[Question]:
        return [q for q in self.questions.values() if category is None or q.category == category]

    def select(
        self,
        ids: Sequence[str] = (),
        category: str | None = None,
        difficulty: str | None = None,
        count: int | None = None,
        seed: int | None = None,
        priority: Sequence[str] = (),
    ) -> list[Question]:
        """Questions for one session, never repeating.

        Explicit ``ids`` come first, in order. Otherwise questions are drawn at random
        (optionally within a category/difficulty), ``priority`` ids first, spreading
        over categories when no category is given.
        """
        if ids:
            chosen: list[Question] = []
            for qid in ids:
                q = self.get(qid)
                if q not in chosen:
                    chosen.append(q)
            return chosen[:count] if count else chosen
        pool = [
            q
            for q in self.questions.values()
            if (category is None or q.category == category)
            and (difficulty is None or q.difficulty == difficulty)
        ]
        if not pool:
            raise BankError(f"no questions match category={category} difficulty={difficulty}")
        rng = random.Random(seed)
        rng.shuffle(pool)
        wanted = [self.questions[q] for q in dict.fromkeys(priority) if q in self.questions]
        first = [q for q in wanted if q in pool]
        rest = [q for q in pool if q not in first]
        if category is None:
            rest = _round_robin(rest)
        ordered = first + rest
        return ordered[: count or len(ordered)]


def _round_robin(questions: list[Question]) -> list[Question]:
    by_cat: dict[str, list[Question]] = {}
    for q in questions:
        by_cat.setdefault(q.category, []).append(q)
    out: list[Question] = []
    while any(by_cat.values()):
        for cat in list(by_cat):
            if by_cat[cat]:
                out.append(by_cat[cat].pop(0))
    return out
