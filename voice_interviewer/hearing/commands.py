"""Spoken candidate commands in a short transcript: repeat, skip, stop, answer, retry, delivery
(en and es).

A transcript is a command only when it is short and made of a command word plus polite
or filler words ("could you repeat the question, please?", "siguiente pregunta"); a real
answer that merely contains "stop" or "next" ("stop words are removed next") is not.
"""

from __future__ import annotations

import re
from typing import Literal

from ..language import fold_accents

Command = Literal["repeat", "skip", "stop", "answer", "retry", "delivery"]
MAX_WORDS = 8

# keyword -> command (accents removed, lower case)
KEYWORDS: dict[str, Command] = {
    # repeat
    "repeat": "repeat",
    "again": "repeat",
    "repite": "repeat",
    "repetir": "repeat",
    "repitelo": "repeat",
    "repitela": "repeat",
    "repetirla": "repeat",
    "repetirlo": "repeat",
    "repites": "repeat",
    # skip
    "skip": "skip",
    "next": "skip",
    "pass": "skip",
    "siguiente": "skip",
    "paso": "skip",
    "saltar": "skip",
    "salta": "skip",
    "saltala": "skip",
    "pasa": "skip",
    "pasemos": "skip",
    # stop
    "stop": "stop",
    "quit": "stop",
    "exit": "stop",
    "terminar": "stop",
    "termina": "stop",
    "terminamos": "stop",
    "parar": "stop",
    "para": "stop",
    "paremos": "stop",
    "basta": "stop",
    "fin": "stop",
    "finish": "stop",
    "end": "stop",
    # retry (said with "again" / "otra vez", which alone ask to repeat: retry wins)
    "try": "retry",
    "retry": "retry",
    "intentarlo": "retry",
    "intentar": "retry",
    "intento": "retry",
    "intentalo": "retry",
    "reintentar": "retry",
    # how the last answer was said
    "delivery": "delivery",
}
PHRASES: dict[tuple[str, ...], Command] = {
    ("otra", "vez"): "repeat",
    ("say", "that"): "repeat",
    ("one", "more", "time"): "repeat",
    ("move", "on"): "skip",
    ("that's", "all"): "stop",
    # after a reaction: the model answer of the question just judged, or another attempt at it
    ("what's", "the", "answer"): "answer",
    ("what", "is", "the", "answer"): "answer",
    ("model", "answer"): "answer",
    ("como", "lo", "responderias"): "answer",
    ("como", "responderias"): "answer",
    ("como", "la", "responderias"): "answer",
}
# "how was my delivery?": pace, fillers and long pauses of the answer just judged, spoken
PHRASES.update({phrase: "delivery" for phrase in (
    ("how", "did", "i", "sound"), ("how", "did", "i", "speak"), ("how", "was", "my", "pace"),
    ("como", "hable"), ("que", "tal", "hable"), ("mi", "forma", "de", "hablar"), ("mi", "ritmo"),
)})
# "how would you answer it?" (recognisers also hear "will", "do", "could" there)
PHRASES.update({("how", aux, "you", "answer"): "answer" for aux in ("would", "will", "do", "could", "should")})
PHRASES[("how'd", "you", "answer")] = "answer"
# words allowed around a command word ("could you repeat the question please")
FILLER = set(
    """
    the a an question questions please can could you would will that this it one let's lets let us
    go to me i want wanna interview okay ok uh um oh sorry say now just and then so on more time
    how was my what about
    la el lo las los pregunta preguntas por favor puedes podrias puede podria me eso esto otra vez
    quiero vamos a entrevista esta ya vale eh em perdon perdona mejor de la una con
    dejame deja dejeme nuevo que tal como fue
    """.split()
)
PRIORITY: tuple[Command, ...] = ("stop", "skip", "retry", "answer", "delivery", "repeat")


def _normalize(text: str) -> list[str]:
    text = fold_accents(text.lower()).replace("’", "'")
    return re.findall(r"[a-z']+", text)


def detect_command(text: str) -> Command | None:
    """The command a short transcript asks for, or None for an ordinary answer."""
    words = _normalize(text)
    if not words or len(words) > MAX_WORDS:
        return None
    found: set[Command] = set()
    rest = list(words)
    for phrase, command in sorted(PHRASES.items(), key=lambda pc: -len(pc[0])):  # longest first
        n = len(phrase)
        for i in range(len(rest) - n + 1):
            if tuple(rest[i : i + n]) == phrase:
                found.add(command)
                rest[i : i + n] = ["the"] * n  # consumed: treat as filler (every time it is said)
    for w in rest:
        if w in KEYWORDS:
            found.add(KEYWORDS[w])
        elif w not in FILLER:
            return None  # a word that belongs to an answer
    if not found:
        return None
    return next(c for c in PRIORITY if c in found)
