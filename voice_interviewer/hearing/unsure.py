"""Words the recogniser was unsure of: below a probability it may have misheard them, so the
displays mark them (the candidate sees what to doubt) and the judge matches rubric terms
nearly (``judging/near_terms.py``)."""

from __future__ import annotations

import re

from ..language import fold_accents

UNSURE_BELOW = 0.5  # Whisper's word probability; clear speech is mostly above 0.8


def word_key(word: str) -> str:
    """A word as compared across transcript and word list: lowercase, accent-free, letters and digits."""
    return re.sub(r"[^a-z0-9']+", "", fold_accents(word.lower()))


def unsure_words(words: list[dict], below: float = UNSURE_BELOW) -> dict[str, float]:
    """Each word heard with probability under ``below`` (its lowest), by ``word_key``."""
    out: dict[str, float] = {}
    for w in words:
        p, key = w.get("probability"), word_key(str(w.get("word", "")))
        if key and p is not None and p < below:
            out[key] = round(min(p, out.get(key, 1.0)), 3)
    return out


def marked(text: str, unsure: dict[str, float]) -> list[tuple[str, float | None]]:
    """``text`` in pieces, each with its probability when it is an unsure word, else None
    (whitespace and sure words: None). Joining the pieces gives ``text`` back."""
    if not unsure:
        return [(text, None)] if text else []
    out: list[tuple[str, float | None]] = []
    for piece in re.split(r"(\s+)", text):
        if not piece:
            continue
        m = re.match(r"^(\W*)(.*?)(\W*)$", piece)
        lead, core, tail = m.groups() if m else ("", piece, "")
        p = unsure.get(word_key(core)) if core else None
        if p is None:
            out.append((piece, None))
        else:
            out += [(s, None) for s in (lead,) if s] + [(core, p)] + [(s, None) for s in (tail,) if s]
    return out
