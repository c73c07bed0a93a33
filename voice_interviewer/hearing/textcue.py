"""Does the transcript so far read as a finished thought? The second opinion at a pause.

The turn model hears prosody only, and a clause said with falling pitch sounds finished even
when the candidate is only thinking of the next one. Whisper's transcript of the answer up to
the pause adds what was said: its punctuation (it writes "…", "," or "-" where speech trails
off) and the last word (an article, a preposition or a conjunction does not end an answer).
"""

from __future__ import annotations

import re

OPEN_ENDINGS = ("...", "…", ",", "-", ":", ";")
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


def sounds_finished(text: str, language: str | None) -> bool | None:
    """False when the text trails off (open punctuation, no final punctuation, or a last word
    that needs a continuation); True when it ends a sentence; None for no text."""
    text = text.strip()
    if not text:
        return None
    if text.endswith(OPEN_ENDINGS) or not text.endswith((".", "?", "!", '"')):
        return False
    words = _WORD.findall(text.lower())
    if not words:
        return None
    vocab = OPEN_WORDS.get(language or "", OPEN_WORDS["en"] | OPEN_WORDS["es"])
    return words[-1] not in vocab
