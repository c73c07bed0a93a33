"""Whisper's known slips, found in its own output and removed.

Greedy decoding (deterministic and fast) slips in three ways on interview answers: it invents a
phrase over trailing silence, it loops ("no sé quién, no sé quién, …" until the token limit),
and after a short window it copies a sentence it already wrote. Each is recognised from the
segment's words and their probabilities; nothing here needs the audio.
"""

from __future__ import annotations

from collections.abc import Sequence

LOOP_REPEATS = {1: 4, 2: 3, 3: 3}  # n-gram length -> consecutive repeats that make a loop
LONG_PHRASE_REPEATS = 2  # a phrase of 4+ words said twice in a row is a copy, not speech


def token(word: str) -> str:
    """A word as compared here: lowercase letters and digits only."""
    return "".join(ch for ch in word.lower() if ch.isalnum())


def barely_heard(words, p: float = 0.1) -> bool:
    """No word Whisper is even 10% sure of: "Um, so," over noise, the prompt's style."""
    return bool(words) and max(w.probability for w in words) < p


def looks_hallucinated(segment) -> str | None:
    """"silence" for a phrase invented over silence (low log-probability, near-zero word
    probabilities, or one word repeated in a blink), "loop" for a decoding loop, else None."""
    words = segment.words or []
    if not words:
        return None
    mean_p = sum(w.probability for w in words) / len(words)
    if mean_p < 0.35 and segment.avg_logprob < -0.8:
        return "silence"
    if barely_heard(words):
        return "silence"
    tokens = [token(w.word) for w in words]
    if len(tokens) >= 3 and len(set(tokens)) == 1 and (words[-1].end - words[0].start) < 1.5:
        return "silence"
    if len(tokens) >= 6 and max(tokens.count(t) for t in set(tokens)) / len(tokens) >= 0.5:
        return "loop"
    if loop_start(tokens) is not None:
        return "loop"
    return None


def loop_start(tokens: Sequence[str]) -> int | None:
    """Index of the first word of a repetition loop (after the phrase's first saying), or None.

    A loop is one word said 4+ times in a row, a 2–3 word phrase 3+ times, or a longer phrase
    (up to a whole sentence) twice: rare in speech, common when Whisper's decoder locks onto
    its own output."""
    n_tokens = len(tokens)
    for i in range(n_tokens):
        for n in range(1, (n_tokens - i) // 2 + 1):
            need = LOOP_REPEATS.get(n, LONG_PHRASE_REPEATS)
            if i + n * need > n_tokens:
                break
            phrase = tokens[i:i + n]
            if not all(phrase):
                continue
            if all(tokens[i + k * n:i + (k + 1) * n] == phrase for k in range(1, need)):
                return i + n
    return None


def grams(text: str, n: int = 3) -> list[tuple[str, ...]]:
    words = [token(w) for w in text.replace("-", " ").split()]
    words = [w for w in words if w]
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def is_copy(text: str, previous: str, share: float = 0.6) -> bool:
    """Most of ``text``'s word trigrams already occur in ``previous``: Whisper re-emitting its
    prompt or an earlier sentence over a pause."""
    seen = set(grams(previous))
    mine = grams(text)
    return bool(seen and mine) and sum(g in seen for g in mine) / len(mine) >= share


def unheard_tail(words, min_run: int = 2, blink: float = 0.02) -> int:
    """Index where a segment's trailing run of zero-length words starts (len(words) if none).

    Whisper sometimes ends a short window by saying its last sentence again; the word
    alignment finds no audio for the copy and stacks it, word by word, on one instant."""
    i = len(words)
    while i > 0 and words[i - 1].end - words[i - 1].start <= blink:
        i -= 1
    if len(words) - i < min_run:
        return len(words)
    if i < len(words) and any(abs(w.end - words[-1].end) > blink for w in words[i:]):
        return len(words)
    return i
