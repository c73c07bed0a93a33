"""What the interviewer says about answers: the spoken reaction to a judged answer and the
closing summary (en and es)."""

from __future__ import annotations

from .judging.feedback import wrong_claim_text
from .language import clamp_language
from .review.stats import summarize
from .schema import Judgement, Session

CATEGORY_NAMES = {
    "fundamentals": ("fundamentals", "fundamentos"),
    "practical": ("practical experience", "experiencia práctica"),
    "system-design": ("system design", "diseño de sistemas"),
    "coding": ("coding", "código"),
    "communication": ("communication", "comunicación"),
}

def lower_first(s: str) -> str:
    s = s.strip()
    return s[:1].lower() + s[1:] if s else s



def category_name(category: str | None, language: str) -> str:
    en, es = CATEGORY_NAMES.get(category or "", (category or "", category or ""))
    return es if clamp_language(language) == "es" else en


def reaction_text(j: Judgement, language: str) -> str:
    """One spoken sentence: the score and the wrong claim, else the most important missing point."""
    missing = sorted(
        (k for k in j.key_points if k.verdict != "covered"), key=lambda k: -k.weight
    )
    score = f"{j.score:.1f}".rstrip("0").rstrip(".")
    if j.wrong_claims:  # a wrong claim matters more than a gap: say it first
        head = f"{score} de 10." if language == "es" else f"{score} out of 10."
        return f"{head} {wrong_claim_text(j.wrong_claims[0], language)}"
    if language == "es":
        head = f"{score} de 10."
        if not j.key_points:
            return head
        tail = f" Te faltó: {lower_first(missing[0].statement)}" if missing else " Cubriste los puntos clave."
    else:
        head = f"{score} out of 10."
        if not j.key_points:
            return head
        tail = f" You missed: {lower_first(missing[0].statement)}" if missing else " You covered the key points."
    return head + tail


def summary_text(session: Session, language: str) -> str:
    s = session.summary or summarize(session)
    name = (lambda x: category_name(x, language)) if s.by_category and len(s.by_category) > 1 else str
    if s.mean_score is None:
        return (
            "Fin de la entrevista. No hubo respuestas puntuadas."
            if language == "es"
            else "That's the end of the interview. There were no scored answers."
        )
    mean = f"{s.mean_score:.1f}".rstrip("0").rstrip(".")
    if language == "es":
        text = f"Fin de la entrevista. Tu nota media es {mean} de 10."
        if s.strongest:
            text += f" Lo más fuerte: {name(s.strongest)}. Para practicar: {name(s.weakest)}."
    else:
        text = f"That's the end of the interview. Your mean score was {mean} out of 10."
        if s.strongest:
            text += f" Strongest: {name(s.strongest)}. To work on: {name(s.weakest)}."
    return text
