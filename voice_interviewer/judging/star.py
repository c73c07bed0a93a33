"""STAR feedback for behavioural answers: which of Situation, Task, Action and Result the answer
tells, and which is missing or thin (es and en).

Each sentence (or clause) is given to the parts whose cue words it says: "at my last job we
had..." sets the situation, "my role was..." the task, "I built / decidí..." the action, "as a
result / redujimos un 30 %..." the result. A part with no sentence is missing; one told in
fewer than ``THIN_WORDS`` words is thin.
"""

from __future__ import annotations

import re

from ..language import clamp_language, fold_accents
from ..schema import Question, StarParts

PARTS = ("situation", "task", "action", "result")
THIN_WORDS = 4
BEHAVIOURAL_TAGS = {"behavioral", "behavioural", "star"}

# cue phrases per part, accent-free lowercase, matched on word boundaries (en and es together)
CUES: dict[str, str] = {
    "situation": "situation, context, background, at my last job, at my previous, at the time, when i was, "
                 "when we were, we had, there was, there were, our team, a project, our company, "
                 "a client, last year, back in, "
                 "situacion, contexto, en mi anterior, en mi ultimo, cuando trabajaba, cuando estaba, teniamos, "
                 "habia, nuestro equipo, un proyecto, la empresa, un cliente, el ano pasado, en aquel momento",
    "task": "my task, my role, my job was, my responsibility, i was responsible, i was asked, i had to, "
            "we needed to, i needed to, the goal was, our goal, the objective, in charge of, my part was, "
            "mi tarea, mi rol, mi papel, mi trabajo era, mi responsabilidad, era responsable, me pidieron, "
            "tenia que, teniamos que, necesitabamos, el objetivo, nuestro objetivo, me encargue, me encargaron, a cargo de",
    "action": "i decided, i built, i proposed, i started, i talked, i spoke, i organized, i organised, "
              "i implemented, i wrote, i set up, i ran, i asked, i listened, i created, i designed, i led, "
              "i suggested, i analyzed, i analysed, i trained, i tested, i met, i explained, i convinced, "
              "i measured, so i, then i, first i, i used, i changed, "
              "decidi, construi, propuse, empece, hable, organice, implemente, escribi, monte, pedi, escuche, "
              "cree, disene, lidere, sugeri, analice, entrene, probe, me reuni, explique, convenci, medi, use, "
              "cambie, primero, hice, reescribi, arregle, anadi, quite, movi, llame, consegui, migre, automatice, "
              "documente, presente, mostre, prepare, revise, compare",
    "result": "as a result, the result, in the end, ended up, we reduced, we improved, we increased, we cut, "
              "we saved, it reduced, it improved, reduced, improved, increased, decreased, saved, percent, "
              "outcome, i learned, we learned, lesson, finally, we shipped, was adopted, "
              "como resultado, el resultado, al final, acabamos, redujimos, mejoramos, aumentamos, ahorramos, "
              "bajamos, se redujo, mejoro, aumento, bajo, por ciento, aprendi, aprendimos, la leccion, "
              "finalmente, lanzamos, se adopto",
}
# "I/we" and a past tense: an action told in any words ("I rewrote", "we migrated")
_DID = re.compile(r"\b(?:i|we)\s+(?:also\s+|then\s+|first\s+)?(?:\w+ed|built|wrote|rewrote|ran|led|made|took|"
                  r"set|spoke|met|found|chose|brought|did|got|sent|drew|kept|put|told|began|sat|split|cut|shipped)\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|percent|por ciento|x\b|times|veces)")

TERMS = {
    "en": {"situation": "the situation", "task": "the task", "action": "the action", "result": "the result"},
    "es": {"situation": "la situación", "task": "la tarea", "action": "la acción", "result": "el resultado"},
}


def _patterns() -> dict[str, re.Pattern]:
    out = {}
    for part, cues in CUES.items():
        phrases = sorted((c.strip() for c in cues.split(",") if c.strip()), key=len, reverse=True)
        out[part] = re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")\b")
    return out


PATTERNS = _patterns()


def is_behavioural(question: Question) -> bool:
    return bool(BEHAVIOURAL_TAGS & {t.lower() for t in question.tags})


def _pieces(text: str) -> list[str]:
    folded = fold_accents(text.lower())
    return [p.strip() for p in re.split(r"[.;!?]+|\b(?:and then|y luego|but|pero)\b", folded) if p.strip()]


def star_parts(answer: str) -> StarParts:
    words = dict.fromkeys(PARTS, 0)
    for piece in _pieces(answer):
        n = len(piece.split())
        parts = [part for part in PARTS if PATTERNS[part].search(piece)]
        if _DID.search(piece) and "action" not in parts:
            parts.append("action")
        if _NUMBER.search(piece) and "result" not in parts:
            parts.append("result")
        for part in parts:
            words[part] += n
    return StarParts(words=words, missing=[p for p in PARTS if words[p] == 0],
                     thin=[p for p in PARTS if 0 < words[p] < THIN_WORDS])


def star_text(parts: StarParts, language: str) -> str:
    """One sentence naming the first missing part (else the first thin one), or ""."""
    lang = clamp_language(language)
    names = TERMS[lang]
    if parts.missing:
        listed = [names[p] for p in parts.missing]
        if lang == "es":
            return "En STAR te faltó " + _join(listed, " y ") + "."
        return "For STAR, you left out " + _join(listed, " and ") + "."
    if parts.thin:
        listed = [names[p] for p in parts.thin]
        if lang == "es":
            return "En STAR, desarrolla más " + _join(listed, " y ") + "."
        return "For STAR, say more about " + _join(listed, " and ") + "."
    return ""


def _join(items: list[str], last: str) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + last + items[-1]
