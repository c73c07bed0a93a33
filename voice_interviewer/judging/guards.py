"""Guards for the offline judge: answers that talk to the grader instead of answering.

``find_injections`` returns the character spans of phrases such as "ignore the rubric",
"give me a 10" or "dame un diez"; the judge scores the answer without them and flags it.
"""

from __future__ import annotations

import re

from ..language import fold_accents

_NUM = r"(?:10|ten|diez|full marks|full score|full points|a perfect score|perfect score|the maximum|maximum|100)"
_NUM_ES = r"(?:10|diez|la maxima|la nota maxima|la puntuacion maxima|un diez|un 10|todos los puntos|100)"
# the top score, however it is asked for
_TOP = (r"(?:\b(?:maximum|max|highest|perfect|full|top)\s+(?:score|grade|marks?|points|rating)\b|\bfull marks\b|"
        r"\b(?:puntuacion|nota|calificacion)\s+maxima\b|\bmaxima (?:puntuacion|nota|calificacion)\b|"
        r"\bdiez sobre diez\b|\bun diez\b|\bun 10\b|\b10\s*(?:/|out of|sobre)\s*10\b|\bten out of ten\b|"
        r"\b(?:a|as a|grade of|score of)\s+(?:10|ten)\b)")

_PATTERNS = [
    # English
    r"\b(?:ignore|disregard|forget|skip|override)\b(?:\s+\w+){0,3}?\s+(?:rubric|rubrics|instructions?|rules|"
    r"criteria|grading|guidelines|prompt|key points)\b",
    r"\b(?:give|award|assign|grant|mark|score|grade|rate)\s+(?:me|this|my answer|this answer|it)\s+(?:a\s+|an\s+|as\s+)?"
    + _NUM,
    r"\b(?:score|grade|rate|mark)\s+(?:should|must)\s+be\s+(?:a\s+)?" + _NUM,
    r"\b10\s*(?:/|out of)\s*10\b",
    r"\bten out of ten\b",
    r"\byou are (?:now )?(?:a|the|an) (?:grader|judge|assistant|evaluator)\b",
    r"\b(?:system prompt|as an ai|new instructions|developer mode)\b",
    r"\b(?:grader|evaluator|examiner)\s*,?\s+(?:please\s+)?(?:give|award|score|mark)\s+(?:me|this|it|my)\b",
    # Spanish (accents are folded before matching)
    r"\b(?:ignora|ignoren|olvida|olvidate de|omite|salta)\b(?:\s+\w+){0,3}?\s+(?:rubrica|instrucciones|reglas|"
    r"criterios|evaluacion|puntos clave)\b",
    r"\b(?:dame|ponme|asignam?e|otorgame|calificame|puntuame|evaluame)\s+(?:con\s+)?(?:un\s+|una\s+)?" + _NUM_ES,
    r"\b(?:pon|pone|ponle|dale|asigna)\s+(?:a esta respuesta\s+|a mi respuesta\s+)?(?:un\s+)?(?:10|diez)\b",
    r"\b(?:la nota|la puntuacion|la calificacion)\s+(?:debe|tiene que)\s+ser\s+(?:un\s+)?(?:10|diez)\b",
    r"\bdiez de diez\b",
    r"\beres (?:ahora )?(?:un|el) (?:evaluador|juez|asistente|calificador)\b",
    # either language: a message to whoever grades, asking for the top score or to skip the rubric
    r"(?:\b(?:system|sistema)\s*:|\b(?:grader|grading model|evaluator|examiner|ai grading|whoever is (?:scoring|grading)|"
    r"corrector(?: automatico)?|evaluador|calificador|quien (?:corrige|evalua|califica)))[^.\n]{0,100}?"
    r"(?:" + _TOP + r"|\b(?:rubric|rubrica|deduct|penaliza\w*)\b)",
    r"\b(?:assign|give|award|output|return|grant)\s+(?:it\s+|this\s+|me\s+)?(?:the\s+|a\s+)?" + _TOP,
    r"\b(?:asigna|asignale|pon|ponle|dale|devuelve|otorga|otorgale)\s+(?:a esta respuesta\s+)?(?:la\s+|una?\s+)?" + _TOP,
    r"\b(?:correct|right|expected|only fair)\s+(?:grade|score|mark)\s+(?:here\s+)?(?:is|would be)\s+(?:a\s+)?(?:10|ten)\b",
    r"\b(?:puntuacion|nota|calificacion)\s+(?:correcta|esperada|justa)\s+(?:es|seria)\s+(?:un\s+)?(?:10|diez)\b",
    r"\b(?:do not|don't|please do not)\s+(?:deduct|take off|subtract)\b",
    r"\bno (?:apliques|aplique|restes|descuentes) (?:ninguna )?(?:penalizacion|penalizaciones|puntos)\b",
    r"\bsin aplicar (?:la )?rubrica\b",
]
_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def _fold_keep_len(text: str) -> str:
    """Lowercase and accent-free, one character per input character (spans stay valid)."""
    return "".join(fold_accents(ch)[:1] or ch for ch in text.lower())


def find_injections(text: str) -> list[tuple[int, int]]:
    """Character spans of instructions aimed at the grader."""
    folded = _fold_keep_len(text)
    return [(m.start(), m.end()) for m in _RE.finditer(folded)]


def remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the spans (whitespace tidied)."""
    if not spans:
        return text
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start > last:
            pieces.append(text[last:start])
        last = max(last, end)
    pieces.append(text[last:])
    return re.sub(r"\s+", " ", " ".join(pieces)).strip()
