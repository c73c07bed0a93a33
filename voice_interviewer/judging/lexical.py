"""Lexical evidence for the offline judge: normalising spoken transcripts, stems, term hits.

Spoken answers arrive without punctuation and with disfluencies, in Spanish or English.
Everything here works on accent-free lowercase tokens. Stems are word prefixes, which
also match many en/es cognates (``regularization``/``regularización`` → ``regula``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..language import STOP_EN, STOP_ES, fold_accents

STEM_LEN = 6

# sounds with no meaning: ignored when measuring how much of an answer is explanation
FILLER_WORDS = frozenset("um umm uh uhh erm er hmm mm mmm eh ehh em emm ah oh".split())
STOPWORDS = STOP_EN | STOP_ES | FILLER_WORDS

FILLERS_RE = re.compile(
    r"\b(?:um+|uh+|erm+|hmm+|mm+|eh+|em+|ah+|you know|i mean|o sea|digamos)\b", re.IGNORECASE
)


def normalize(text: str) -> str:
    """Lowercase, accent-free, alphanumerics separated by single spaces."""
    return re.sub(r"[^a-z0-9²]+", " ", fold_accents(text.lower())).strip()


def stem(word: str) -> str:
    """A prefix stem: crude, language-neutral, and good at en/es cognates."""
    if word.isdigit():
        return word
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:STEM_LEN]


@dataclass(frozen=True)
class Token:
    norm: str  # normalised word
    start: int  # character span in the original text
    end: int

    @property
    def stem(self) -> str:
        return stem(self.norm)

    @property
    def content(self) -> bool:
        return self.norm not in STOPWORDS and len(self.norm) > 1


_WORD_RE = re.compile(r"[\w²]+(?:['’][\w]+)?", re.UNICODE)


def tokenize(text: str) -> list[Token]:
    """Words of ``text`` with their character spans (so evidence can quote the answer)."""
    out: list[Token] = []
    for m in _WORD_RE.finditer(text):
        norm = normalize(m.group())
        for piece in norm.split():
            out.append(Token(piece, m.start(), m.end()))
    return out


def content_stems(text: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Distinct content-word stems of ``text`` in order, without those in ``exclude``."""
    seen: dict[str, None] = {}
    for tok in tokenize(text):
        if tok.content and tok.stem not in exclude:
            seen.setdefault(tok.stem, None)
    return list(seen)


def stopword_ratio(tokens: list[Token]) -> float:
    """Share of function words (fillers aside): sentences sit around 0.3–0.55, keyword lists near 0."""
    words = [t for t in tokens if t.norm not in FILLER_WORDS]
    if not words:
        return 0.0
    return sum(1 for t in words if t.norm in STOPWORDS) / len(words)


@dataclass(frozen=True)
class TermHit:
    term: str
    start: int  # token index of the first matched word
    end: int  # token index after the last matched word


def find_terms(tokens: list[Token], terms: list[str]) -> list[TermHit]:
    """Evidence terms (words or phrases) found in the tokens, matched stem by stem."""
    stems = [t.stem for t in tokens]
    hits: list[TermHit] = []
    seen: set[tuple[str, ...]] = set()
    for term in terms:
        words = [stem(w) for w in normalize(term).split() if w]
        key = tuple(words)
        if not words or key in seen:
            continue
        seen.add(key)
        n = len(words)
        for i in range(len(stems) - n + 1):
            if stems[i : i + n] == words:
                hits.append(TermHit(term, i, i + n))
                break
    return hits


def span_text(text: str, tokens: list[Token], start: int, end: int) -> str:
    """The original characters covered by tokens[start:end]."""
    if not tokens or start >= end:
        return ""
    return text[tokens[start].start : tokens[min(end, len(tokens)) - 1].end]


def windows(n_tokens: int, size: int = 14, stride: int = 7) -> list[tuple[int, int]]:
    """Overlapping token windows covering a transcript (spoken answers have no sentences)."""
    if n_tokens <= size:
        return [(0, n_tokens)] if n_tokens else []
    spans = [(i, min(i + size, n_tokens)) for i in range(0, n_tokens - size + stride, stride)]
    return [s for s in spans if s[1] - s[0] >= size // 2 or s == spans[0]]


_CLAUSE_SPLIT = re.compile(
    r"(?<=[.;:!?])\s+|\n+|\s*[•\-–]\s+|,\s+(?=(?:and|but|so|which|because|while|whereas|y|pero|porque|"
    r"mientras|aunque)\b)",
    re.IGNORECASE,
)


def key_ideas(reference: str, min_words: int = 3, max_ideas: int = 8) -> list[str]:
    """Split a free-text reference answer into key ideas (sentences, then clauses)."""
    parts = [p.strip(" ,;") for p in _CLAUSE_SPLIT.split(reference) if p and p.strip(" ,;")]
    ideas: list[str] = []
    for p in parts:
        if ideas and len(content_stems(p)) < min_words - 1:
            ideas[-1] = f"{ideas[-1]} {p}"  # too short to stand alone: glue to the previous idea
        else:
            ideas.append(p)
    ideas = [i for i in ideas if content_stems(i)] or [reference.strip()]
    while len(ideas) > max_ideas:  # merge the shortest neighbours
        k = min(range(len(ideas) - 1), key=lambda j: len(ideas[j]) + len(ideas[j + 1]))
        ideas[k : k + 2] = [f"{ideas[k]} {ideas[k + 1]}"]
    return ideas
