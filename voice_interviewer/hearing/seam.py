"""Where two chunks of an answer meet: each chunk is decoded with the end of the one before it.

A chunk decoded on its own starts without the sound before it and the chunk before it ended
without the sound after it, so the words at the cut come out worst ("using queries. Keyes and
values" for "using queries, keys and values"). The incremental transcriber therefore hands
Whisper ``OVERLAP_S`` of the previous chunk's audio before each new chunk (its words in that
audio are left out of the prompt). The words the previous chunk heard in its last ``RETAKE_S``
are then taken from the new decode, which heard them with sound on both sides; the cut between
the two goes in the gap before the first word taken again.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from .cleanup import token
from .transcript import Transcript, Word, with_words

OVERLAP_S = 1.0  # of the previous chunk's audio decoded again before a new chunk
RETAKE_S = 0.5  # the previous chunk's words in its last this much are taken from the new decode


def _middle(w: Word) -> float:
    return (w.start + w.end) / 2


def stitch(previous: Transcript, new: Transcript, chunk_start: float) -> tuple[Transcript, Transcript]:
    """``previous`` without the words the new decode takes over, and ``new`` from the join on.

    The two decodes are aligned on their words in the audio both heard (``SequenceMatcher`` on
    the words as compared in ``cleanup.token``): the join follows the last word they agree on
    before the previous chunk's last ``RETAKE_S``, else it comes before the first they agree on,
    so a word is neither said twice nor lost however loosely Whisper timed it. When they agree on
    none, or the new decode has under half of the words it would replace, the whole previous
    chunk stays and the new decode's words from ``chunk_start`` on follow it."""
    heard_from = chunk_start - OVERLAP_S - 0.1
    tail = [i for i, w in enumerate(previous.words) if w.end > heard_from]
    near = [i for i, w in enumerate(new.words) if w.start < chunk_start + 0.2]
    a = [token(previous.words[i].word) for i in tail]
    b = [token(new.words[i].word) for i in near]
    pairs = [(tail[m.a + k], near[m.b + k]) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
             for k in range(m.size) if a[m.a + k]]
    settled = [p for p in pairs if _middle(previous.words[p[0]]) < chunk_start - RETAKE_S]
    if settled:  # the previous chunk keeps what it heard with sound after it, up to this word
        i, j = settled[-1]
        i, j = i + 1, j + 1
    elif pairs:  # all in its last stretch: the new decode's from the first shared word on
        i, j = pairs[0]
    replaced = len(previous.words) - i if pairs else 0
    again = sum(1 for w in new.words[j:] if _middle(w) < chunk_start) if pairs else 0
    if not pairs or again < (replaced + 1) // 2:  # the new decode skipped them: keep the old
        return previous, with_words(new, [w for w in new.words if _middle(w) >= chunk_start])
    return with_words(previous, previous.words[:i]), with_words(new, new.words[j:])


def prompt_words(previous: list[Word], before: float) -> int:
    """How many of the previous chunk's words end before ``before`` (the rest are in the
    audio Whisper hears again, so not in its prompt)."""
    return sum(1 for w in previous if w.end <= before)
