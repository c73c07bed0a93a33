"""Mark the parts of a transcript that evidence each key point.

A judge's ``KeyPointResult.evidence`` is either a quoted span of the answer or a list of
matched terms ("term, term"). Both are looked up accent- and case-insensitively at word
boundaries and mapped back to the original text, so the page shows the words as spoken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..language import fold_accents
from ..schema import KeyPointResult


def _fold(text: str) -> tuple[str, list[int]]:
    """Folded text (lowercase, no accents, non-alphanumerics as single spaces) and, for
    every folded character, the index of the original character it came from."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for c in fold_accents(ch.lower()):
            if not c.isalnum():
                c = " "
            if c == " " and (not out or out[-1] == " "):
                continue
            out.append(c)
            index.append(i)
    return "".join(out), index


@dataclass
class Span:
    start: int
    end: int
    verdict: str
    label: str


def evidence_display(evidence: str | None) -> str | None:
    """Evidence for display: a list of matched terms without repeats ("a, b, b" -> "a, b")."""
    if not evidence:
        return None
    if "," not in evidence:
        return evidence
    terms: list[str] = []
    for term in (t.strip() for t in evidence.split(",")):
        if term and term not in terms:
            terms.append(term)
    return ", ".join(terms)


def evidence_terms(result: KeyPointResult) -> list[str]:
    if not result.evidence:
        return []
    raw = result.evidence.strip().strip("\"'“”«»")
    parts = [raw, *re.split(r"\s*[,;|]\s*|\s*\.\.\.\s*|…", raw)]
    seen: list[str] = []
    for p in parts:
        folded = _fold(p)[0].strip()
        if len(folded) >= 2 and folded not in seen:
            seen.append(folded)
    return sorted(seen, key=len, reverse=True)


def find_spans(
    text: str, results: list[KeyPointResult], fillers: list[str] = (), filler_label: str = "filler"
) -> list[Span]:
    folded, index = _fold(text)
    padded = f" {folded} "
    spans: list[Span] = []
    wanted = [(r.verdict, r.statement, evidence_terms(r)) for r in results if r.verdict != "missing"]
    filler_terms = [f for f in (_fold(x)[0].strip() for x in fillers) if f]
    if filler_terms:
        wanted.append(("filler", filler_label, filler_terms))
    for verdict, label, terms in wanted:
        for term in terms:
            for m in re.finditer(re.escape(f" {term} "), padded):
                # padded offset m.start() is the space before the term -> folded index m.start()
                a = m.start()
                b = a + len(term) - 1
                if a >= len(index) or b >= len(index):
                    continue
                start = index[a]
                end = index[b] + 1
                spans.append(Span(start, end, verdict, label))
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    merged: list[Span] = []
    for s in spans:
        if merged and s.start < merged[-1].end:  # overlap: keep the first (longest) span
            last = merged[-1]
            if s.label not in last.label.split(" · "):
                last.label = f"{last.label} · {s.label}"
            last.end = max(last.end, s.end)
            if s.verdict == "covered" or last.verdict == "filler":
                last.verdict = s.verdict
            continue
        merged.append(Span(s.start, s.end, s.verdict, s.label))
    return merged


def highlight(
    text: str, results: list[KeyPointResult], fillers: list[str] = (), filler_label: str = "filler"
) -> Markup:
    """The transcript as HTML with ``<mark>`` around evidence (and filler words);
    everything else escaped."""
    parts: list[str] = []
    pos = 0
    for s in find_spans(text, results, list(fillers), filler_label):
        parts.append(str(escape(text[pos : s.start])))
        parts.append(
            f'<mark class="kp-{escape(s.verdict)}" title="{escape(s.label)}">'
            f"{escape(text[s.start : s.end])}</mark>"
        )
        pos = s.end
    parts.append(str(escape(text[pos:])))
    return Markup("".join(parts))
