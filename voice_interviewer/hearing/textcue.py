"""Does the transcript so far read as a finished thought? The second opinion at a pause.

The turn model hears prosody only, and a clause said with falling pitch sounds finished even
when the candidate is only thinking of the next one. Whisper's transcript of the answer up to
the pause adds what was said: its punctuation (it writes "…", "," or "-" where speech trails
off) and the last word (an article, a preposition or a conjunction does not end an answer).
Whisper often leaves the last piece of an answer without a full stop ("... gradient boosted
trees"): a text with no final punctuation whose last word could end a sentence reads "bare",
neither finished nor trailing. So does an ellipsis after such a word ("... into another
bucket..."): Whisper writes one where the audio it was given stops in a pause, whether the thought
went on or not; after an open word ("... and...") it trails off.
"""

from __future__ import annotations

import re
from typing import Literal

ELLIPSES = ("...", "…")
OPEN_ENDINGS = (",", "-", ":", ";")
# words a sentence does not end on: articles, prepositions, conjunctions, possessives, fillers
# (not verbs, pronouns or adverbs: "than he was.", "I think so.", "por eso." end sentences)
OPEN_WORDS = {
    "en": set("""a an the and or but because that's whose while if than as of to in on at by
        for with from into about like um uh my your our their very""".split()),
    "es": set("""el la los las un una unos unas y e o u pero porque que cual cuales quien donde
        cuando mientras si como de del al a en con por para sin sobre entre hacia desde hasta
        mi mis tu tus su sus nuestro nuestra nuestros nuestras ha han he muy tan ni eh este
        pues""".split()),
}
_WORD = re.compile(r"[\w']+")
FINAL = (".", "?", "!", '"')

Ending = Literal["finished", "bare", "open"]


def ending(text: str, language: str | None) -> Ending | None:
    """How the text ends: "open" when it trails off (open punctuation, or a last word that needs
    a continuation), "finished" when it ends a sentence, "bare" when it has no final punctuation
    or an ellipsis but its last word could end one; None for no text."""
    text = text.strip()
    if not text:
        return None
    if text.endswith(OPEN_ENDINGS):
        return "open"
    cut_short = text.endswith(ELLIPSES)
    words = _WORD.findall(text.lower())
    if not words:
        return None
    vocab = OPEN_WORDS.get(language or "", OPEN_WORDS["en"] | OPEN_WORDS["es"])
    if words[-1] in vocab:
        return "open"
    return "finished" if text.endswith(FINAL) and not cut_short else "bare"
