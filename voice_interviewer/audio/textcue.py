"""Does the transcript so far read as a finished thought? The second opinion at a pause.

The turn model hears prosody only, and a clause said with falling pitch sounds finished even
when the candidate is only thinking of the next one. Whisper's transcript of the answer up to
the pause adds what was said: its punctuation (it writes "…", "," or "-" where speech trails
off) and the last word (an article, a preposition or a conjunction does not end an answer).
"""

from __future__ import annotations

import re

OPEN_ENDINGS = ("...", "…", ",", "-", ":", ";")
# words an answer does not end on: articles, prepositions, conjunctions, auxiliaries
OPEN_WORDS = {
    "en": set("""a an the and or but because so that which who whose where when while if than
        as of to in on at by for with from into about like um uh is are was were be been being
        has have had do does did will would can could should must may might my your our their
        its this these those then also very more most such either neither both not""".split()),
    "es": set("""el la los las un una unos unas y e o u pero porque que cual cuales quien donde
        cuando mientras si como de del al a en con por para sin sobre entre hacia desde hasta
        mi mis tu tus su sus nuestro nuestra esta estos estas ese esa eso es son fue era
        ha han he hay ser estar está están muy más menos tan también ni eh este pues o sea
        sea será serán""".split()),
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
