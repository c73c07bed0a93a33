"""A job description or CV (plain text or Markdown) read into numbered sentences.

The file is read in bytes and bounded (the first ``MAX_BYTES``); UTF-8 (with or without a BOM)
and UTF-16 with a BOM are read as such, other bytes as Windows-1252 when they decode so (a
Spanish CV saved by an old editor), else as UTF-8 with the bad bytes replaced, said in a note.
A binary file (a PDF, a Word file) is refused: it would only give nonsense to match against.
Markdown marks are removed; headings, short lines and lines of links or contacts are left out,
and each kept sentence remembers its line number in the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .errors import InputFileError

MAX_BYTES = 200_000  # a job description is 2-10 kB; a CV rarely more than 20 kB
MAX_UNITS = 200  # sentences kept for matching: each is embedded (200: 10 s on 2 busy cores)
MIN_WORDS = 4  # shorter lines are headings, names, dates or labels
MAX_WORDS = 40  # a longer line is split into its sentences
SNIPPET_CHARS = 110  # a sentence quoted in a reason is cut to this

DocKind = Literal["job", "cv"]


class DocLine(BaseModel):
    """One sentence (or bullet) of a document and the 1-based line it is on."""

    line: int
    text: str


class Document(BaseModel):
    path: str
    kind: DocKind
    lines: list[DocLine] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # how it was read: truncated, decoded as ...


_BULLET = re.compile(r"^\s*(?:[-*+•·▪–—]|\d{1,3}[.)]|[a-z][.)](?=\s))\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`|~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÁÉÍÓÚÑ¿¡(\"'])")


def _decode(raw: bytes, truncated: bool) -> tuple[str, str | None]:
    """The text and, when it was not plain UTF-8, how it was read."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(raw) - 3:  # a character cut by the size bound
            return raw[: exc.start].decode("utf-8-sig"), None
    try:
        return raw.decode("cp1252"), "not UTF-8: read as Windows-1252 (Latin-1)"
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        return text, f"not UTF-8: {bad} undecodable byte(s) replaced"


def _looks_binary(raw: bytes) -> bool:
    if raw.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"{\\rtf")):
        return True
    sample = raw[:4096]
    return b"\x00" in sample and not raw.startswith((b"\xff\xfe", b"\xfe\xff"))


def clean_line(line: str) -> str:
    """A Markdown/plain line as words: bullets, emphasis, links, table bars and URLs removed."""
    s = _BULLET.sub("", line)
    s = _LINK.sub(r"\1", s)
    s = _URL.sub(" ", s)
    s = _EMPHASIS.sub("", s)
    s = s.replace("|", " · ") if s.count("|") >= 2 else s
    s = re.sub(r"\s+", " ", s).strip(" ·:-")
    return s


def sentences(text: str) -> list[DocLine]:
    """The sentences worth matching, with their line numbers; headings, short lines and repeats left out."""
    out: list[DocLine] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), 1):  # the lines an editor numbers
        stripped = raw.strip().lstrip("> ")  # a quoted line counts as its words
        if not stripped or stripped.startswith(("#", "---", "===", "```")) or set(stripped) <= set("|-: "):
            continue
        line = clean_line(stripped)
        if len(line.split()) < MIN_WORDS:
            continue
        parts = _SENTENCE_END.split(line) if len(line.split()) > MAX_WORDS else [line]
        out.extend(DocLine(line=number, text=p.strip()) for p in parts if len(p.split()) >= MIN_WORDS)
    seen: set[str] = set()  # a sentence said again (a repeated footer) is matched once, at its first line
    return [d for d in out if not (d.text.casefold() in seen or seen.add(d.text.casefold()))]


def read_document(path: Path, kind: DocKind = "job", max_bytes: int = MAX_BYTES) -> Document:
    """Read ``path``; ``InputFileError`` (one line) when it is missing, unreadable, binary or empty."""
    label = "job description" if kind == "job" else "CV"
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such {label} file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a {label} file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {label}: {exc.strerror or exc}") from None
    notes: list[str] = []
    truncated = len(raw) > max_bytes
    if truncated:
        raw = raw[:max_bytes]
        notes.append(f"larger than {max_bytes // 1000} kB: only the first {max_bytes // 1000} kB read")
    if _looks_binary(raw):
        raise InputFileError(f"{path}: the {label} is not a text file (a PDF or Word file?)",
                             "save it as plain text or Markdown")
    text, how = _decode(raw, truncated)
    if how:
        notes.append(how)
        if text.count("\ufffd") > max(8, len(text) // 20):
            raise InputFileError(f"{path}: the {label} is not readable text ({how})", "save it as UTF-8 text")
    if truncated:
        text = text[: text.rfind("\n")] if "\n" in text else text  # no half line at the cut
    lines = sentences(text)
    if not lines:
        if not text.strip():
            raise InputFileError(f"{path}: the {label} is empty")
        raise InputFileError(f"{path}: the {label} has no line of {MIN_WORDS} words or more to match questions against")
    if len(lines) > MAX_UNITS:
        notes.append(f"{len(lines)} sentences: only the first {MAX_UNITS} used")
        lines = lines[:MAX_UNITS]
    return Document(path=str(path), kind=kind, lines=lines, notes=notes)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` cut at a word boundary to about ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:(")
    return f"{cut}…"
