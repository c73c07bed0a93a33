"""Spanish or English: the two languages an interview runs in, and the text rules shared by
everything that reads a transcript (the judges, delivery metrics, spoken commands, typed answers).

``clamp_language`` turns a setting or a detected language ("auto", None, "fr") into "es" or
"en"; ``fold_accents`` compares words accent-free ("regularización" = "regularizacion");
``guess_language`` tells es from en by function words, for text with no audio to detect from.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["es", "en"]
LANGUAGES: tuple[Language, ...] = ("es", "en")

# function words (accent-free, lowercase); also the judge's stopwords
STOP_EN = frozenset(
    """
    a an the and or but if then else so of to in on at by for with from into onto over under about as
    is are was were be been being am do does did done doing have has had having will would shall should
    can could may might must it its it's this that these those there here their they them he she him her
    his hers we us our you your i me my mine what which who whom whose when where why how than too very
    just also not no nor only own same such both each few more most other some any all out up down off
    again further once don now get got gets getting make makes made thing things way ways kind lot
    yes yeah okay ok well really actually basically like
    """.split()
)
STOP_ES = frozenset(
    """
    el la los las un una unos unas y o u pero si sino entonces de del al a en con por para sin sobre
    entre hasta desde es son era eran ser sido estar esta esta estan este esto estos estas ese esa eso
    esos esas aquel que quien cual cuando donde como porque muy mas menos tambien no ni ya lo le les se
    me mi mis te tu tus su sus nos nuestro nuestra hay ha han he hemos haber tiene tienen tener hace
    hacen hacer cosa cosas pues bueno vale sea digamos osea tipo
    """.split()
)
_ONLY_EN = STOP_EN - STOP_ES
_ONLY_ES = STOP_ES - STOP_EN


def clamp_language(language: str | None, default: str = "en") -> Language:
    """``language`` if it is "es" or "en", else ``default`` (itself clamped to "en")."""
    if language in LANGUAGES:
        return language  # type: ignore[return-value]
    return default if default in LANGUAGES else "en"  # type: ignore[return-value]


def fold_accents(text: str) -> str:
    """``text`` without accents or other combining marks (case kept)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Lowercase, accent-free words and numbers of ``text``."""
    return re.findall(r"[a-z0-9]+", fold_accents(text.lower()))


def guess_language(text: str, default: str | None = None) -> str | None:
    """"es" or "en" from the function words only one of them has; ``default`` (clamped,
    or None when not given) when the counts tie."""
    found = words(text)
    es = sum(1 for w in found if w in _ONLY_ES)
    en = sum(1 for w in found if w in _ONLY_EN)
    if es == en:
        return None if default is None else clamp_language(default)
    return "es" if es > en else "en"
