"""Short feedback in the answer's language: what was good, and the most important gap."""

from __future__ import annotations

from ..language import clamp_language
from ..schema import KeyPointResult, WrongClaim

_TEXT = {
    "en": {
        "empty": "No answer to grade: nothing but silence or filler words.",
        "good": "Good: {points}.",
        "partly": "Partly there: {point}.",
        "none_good": "The answer did not cover any key point clearly.",
        "missing": "Most important missing: {point}",
        "all": "You covered every key point.",
        "list": "It reads as a list of terms: explain how they connect, in full sentences.",
        "off_topic": "The answer does not address the question.",
        "injection": "Instructions aimed at the grader were ignored; they do not earn points.",
        "wrong": "You said “{said}”; in fact, {correction}",
    },
    "es": {
        "empty": "No hay respuesta que evaluar: solo silencio o muletillas.",
        "good": "Bien: {points}.",
        "partly": "A medias: {point}.",
        "none_good": "La respuesta no cubrió claramente ningún punto clave.",
        "missing": "Lo más importante que faltó: {point}",
        "all": "Cubriste todos los puntos clave.",
        "list": "Suena a una lista de términos: explica cómo se relacionan, con frases completas.",
        "off_topic": "La respuesta no trata sobre la pregunta.",
        "injection": "Se ignoraron las instrucciones dirigidas al evaluador; no suman puntos.",
        "wrong": "Dijiste “{said}”; en realidad, {correction}",
    },
}


def _short(statement: str, limit: int = 90) -> str:
    s = statement.strip().split(";")[0].rstrip(".")  # the first clause carries the idea
    if len(s) > limit:
        s = s[:limit].rsplit(" ", 1)[0] + "…"
    return s[:1].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


def wrong_claim_text(w: WrongClaim, language: str) -> str:
    """"You said “X”; in fact, <what is true>." in the answer's language."""
    t = _TEXT[clamp_language(language)]
    said = (w.said or w.claim).strip()
    if len(said) > 120:
        said = said[:120].rsplit(" ", 1)[0] + "…"
    return t["wrong"].format(said=said, correction=_lower(_sentence(w.correction)))


def _sentence(s: str) -> str:
    s = s.strip()
    return s if s.endswith((".", "!", "?", "…")) else s + "."


def _lower(s: str) -> str:
    return s[:1].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


def write_feedback(
    results: list[KeyPointResult], language: str, flags: list[str], empty: bool = False,
    wrong: list[WrongClaim] = (),
) -> str:
    t = _TEXT[clamp_language(language)]
    if empty:
        return t["empty"]
    parts: list[str] = [wrong_claim_text(w, language) for w in wrong[:2]]
    if "injection" in flags:
        parts.append(t["injection"])
    if "off_topic" in flags:
        parts.append(t["off_topic"])
    covered = sorted((r for r in results if r.verdict == "covered"), key=lambda r: -r.weight)
    partly = sorted((r for r in results if r.verdict == "partly"), key=lambda r: -r.weight)
    if covered:
        parts.append(t["good"].format(points="; ".join(_short(r.statement, 70) for r in covered[:2])))
    elif partly:
        parts.append(t["partly"].format(point=_short(partly[0].statement)))
    elif "off_topic" not in flags:
        parts.append(t["none_good"])
    if "list" in flags:
        parts.append(t["list"])
    gap = most_important_gap(results)
    if gap is not None:
        parts.append(t["missing"].format(point=gap.statement.strip()))
    else:
        parts.append(t["all"])
    return " ".join(parts).replace("….", "…")


def most_important_gap(results: list[KeyPointResult]) -> KeyPointResult | None:
    """The heaviest missing key point, else the heaviest partly covered one."""
    for verdict in ("missing", "partly"):
        gaps = [r for r in results if r.verdict == verdict]
        if gaps:
            return max(gaps, key=lambda r: (r.weight, -results.index(r)))
    return None
