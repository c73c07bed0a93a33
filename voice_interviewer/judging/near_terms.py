"""Rubric terms heard nearly: a recogniser that writes "overfeeding" for "overfitting", "me
moriza" for "memoriza" or "ruimo" for "ruido" should not cost the candidate the key point.

A word is near a term's word when, accents and case aside, it is the same stem, or one edit
away (two for words of 10+ letters), or it sounds the same (a rough en/es phonetic key) and
is long enough (6+ letters) for that to mean something; two words written apart count
joined. Short words must match exactly: "loss" is not "less".
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import lexical as lx

MIN_NEAR = 5  # words shorter than this are never near-matched
MIN_PHONETIC = 6

_RULES = [  # applied in order to an accent-free lowercase word
    (r"ph", "f"), (r"ck", "k"), (r"qu", "k"), (r"c(?=[eiy])", "s"), (r"c", "k"), (r"z", "s"), (r"x", "ks"),
    (r"v", "b"), (r"w", "u"), (r"y", "i"), (r"ll", "i"), (r"g(?=[ei])", "j"), (r"(?<!^)h", ""), (r"d", "t"),
]


@lru_cache(maxsize=16384)
def phonetic_key(word: str) -> str:
    """A rough sound key: similar consonants merged, vowels after the first letter dropped,
    doubled letters once."""
    w = word
    for pattern, repl in _RULES:
        w = re.sub(pattern, repl, w)
    if not w:
        return ""
    rest = re.sub(r"[aeiou]", "", w[1:])
    return re.sub(r"(.)\1+", r"\1", w[0] + rest)


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance, stopping early above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


@lru_cache(maxsize=65536)
def near(heard: str, word: str) -> bool:
    """Whether ``heard`` (a normalised word) may be a misrecognition of ``word``."""
    if heard == word or lx.stem(heard) == lx.stem(word) and len(word) >= lx.STEM_LEN:
        return True
    if len(word) < MIN_NEAR or len(heard) < MIN_NEAR - 1:
        return False
    allowed = 2 if len(word) >= 10 else 1
    if abs(len(heard) - len(word)) <= allowed and edit_distance(heard, word, allowed) <= allowed:
        return True
    return len(word) >= MIN_PHONETIC and phonetic_key(heard) == phonetic_key(word)


def _match_at(norms: list[str], i: int, words: list[str]) -> int | None:
    """Tokens used when ``words`` are heard nearly from token ``i`` on (a word may be two tokens), else None."""
    j = i
    for w in words:
        if j < len(norms) and near(norms[j], w):
            j += 1
        elif j + 1 < len(norms) and near(norms[j] + norms[j + 1], w):
            j += 2
        else:
            return None
    return j


def find_terms(tokens: list[lx.Token], terms: list[str]) -> list[lx.TermHit]:
    """Evidence terms found in the tokens: said exactly (stem by stem), else heard nearly."""
    hits = lx.find_terms(tokens, terms)
    found = {h.term for h in hits}
    norms = [t.norm for t in tokens]
    seen: set[tuple[str, ...]] = {tuple(lx.normalize(h.term).split()) for h in hits}
    for term in terms:
        words = lx.normalize(term).split()
        if not words or term in found or tuple(words) in seen:
            continue
        seen.add(tuple(words))
        for i in range(len(norms)):
            end = _match_at(norms, i, words)
            if end is not None:
                hits.append(lx.TermHit(term, i, end))
                break
    return hits
