"""Whisper's known slips, found in its own output and removed.

Greedy decoding (deterministic and fast) slips in three ways on interview answers: it invents a
phrase over trailing silence, it loops ("no sé quién, no sé quién, …" until the token limit),
and after a short window it copies a sentence it already wrote. Each is recognised from the
segment's words and their probabilities; nothing here needs the audio.

``clean_segment`` applies all of it to each segment Whisper decodes (``whisper.py``);
``clean_chunk`` to each chunk of an answer transcribed piece by piece (``incremental.py``),
where Whisper may also copy its prompt or begin by saying the last words of it again.
"""

from __future__ import annotations

from collections.abc import Sequence

from .transcript import Segment, Transcript, Word, with_words

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


def clean_segment(segment, said: str, offset: float = 0.0) -> tuple[Segment | None, list[Word], bool]:
    """One segment as faster-whisper decoded it (``offset`` s added to its times), as kept: None
    when it was invented over silence, is a loop with nothing before it, was said again over no
    audio, or copies ``said`` (the text kept before it); a loop or an unheard tail cut off.
    Also whether it was a loop."""
    reason = looks_hallucinated(segment)
    if reason == "silence":
        return None, [], False
    looped = reason == "loop"
    kept = list(segment.words or [])
    text = segment.text.strip()
    cut = len(kept)
    if looped:
        cut = loop_start([token(w.word) for w in kept])
        if cut is None or barely_heard(kept[:cut]):
            return None, [], looped
    cut = unheard_tail(kept[:cut])  # a sentence said again over no audio
    if cut < len(kept):
        if cut == 0:
            return None, [], looped
        kept = kept[:cut]
        text = " ".join(w.word.strip() for w in kept)
    if is_copy(text, said):
        return None, [], looped
    end = kept[-1].end if kept and len(kept) < len(segment.words or []) else segment.end
    seg = Segment(start=round(segment.start + offset, 3), end=round(end + offset, 3), text=text,
                  avg_logprob=segment.avg_logprob, no_speech_prob=segment.no_speech_prob)
    words = [Word(word=w.word.strip(), start=round(w.start + offset, 3), end=round(w.end + offset, 3),
                  probability=round(w.probability, 4)) for w in kept]
    return seg, words, looped


def clean_chunk(part: Transcript, shown: str, said: str) -> Transcript:
    """A chunk of an answer decoded with ``shown`` as Whisper's prompt, after ``said``: its
    segments that copy the prompt dropped, and a start that repeats the last words said."""
    return drop_repeated_start(drop_copied_segments(part, shown), said)


def drop_copied_segments(part: Transcript, previous: str, share: float = 0.6) -> Transcript:
    """Whisper sometimes re-emits its prompt over a pause: drop segments of a chunk whose
    word trigrams mostly already occur in the text said before it."""
    kept = [seg for seg in part.segments if not is_copy(seg.text, previous, share)]
    if len(kept) == len(part.segments):
        return part
    spans = [(s.start, s.end) for s in kept]
    words = [w for w in part.words if any(a - 0.01 <= w.start <= b + 0.01 for a, b in spans)]
    text = " ".join(s.text for s in kept if s.text).strip()
    return part.model_copy(update={"segments": kept, "words": words, "text": text})


def drop_repeated_start(part: Transcript, previous: str, least: int = 3, most: int = 12) -> Transcript:
    """Whisper may begin a chunk by saying the end of its prompt again ("… a dropout, and wave" /
    "A dropout, and wave… the case of a network"): leading words (3 or more) that repeat the
    last words said before the chunk are dropped."""
    before = [t for t in (token(w) for w in previous.split()) if t][-most:]
    index = [i for i, w in enumerate(part.words) if token(w.word)]
    mine = [token(part.words[i].word) for i in index]
    k = next((k for k in range(min(len(before), len(mine), most), least - 1, -1) if mine[:k] == before[-k:]), 0)
    if not k:
        return part
    return with_words(part, part.words[index[k - 1] + 1:])
