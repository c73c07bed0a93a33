"""Offline rubric judge: key-point coverage from evidence terms, no network, no LLM."""

from __future__ import annotations

import re
import unicodedata

from ..models import Judgement, KeyPointResult, Question


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9²]+", " ", text).strip()


class OfflineJudge:
    name = "offline"

    def judge(self, question: Question, answer: str, language: str) -> Judgement:
        lang = "es" if language == "es" else "en"
        norm = f" {normalize(answer)} "
        results: list[KeyPointResult] = []
        total = sum(kp.weight for kp in question.rubric)
        got = 0.0
        for kp in question.rubric:
            terms = [normalize(t) for t in kp.evidence.all() if normalize(t)]
            hits = [t for t in terms if f" {t} " in norm]
            if len(hits) >= 2 or (hits and len(terms) <= 2):
                verdict, credit = "covered", 1.0
            elif hits:
                verdict, credit = "partly", 0.5
            else:
                verdict, credit = "missing", 0.0
            got += credit * kp.weight
            results.append(
                KeyPointResult(
                    id=kp.id,
                    statement=kp.statement.get(lang),
                    weight=kp.weight,
                    verdict=verdict,
                    evidence=", ".join(hits) or None,
                )
            )
        score = round(10 * got / total, 1) if total else 0.0
        missing = [r for r in results if r.verdict != "covered"]
        missing.sort(key=lambda r: -r.weight)
        if lang == "es":
            feedback = f"Puntuación {score:.1f}/10."
            if missing:
                feedback += f" Lo más importante que faltó: {missing[0].statement}"
        else:
            feedback = f"Score {score:.1f}/10."
            if missing:
                feedback += f" The most important thing missing: {missing[0].statement}"
        follow = next(
            (f for m in missing for f in question.follow_ups if f.key_point == m.id), None
        )
        return Judgement(
            score=score,
            key_points=results,
            feedback=feedback,
            confidence=0.5,
            scorer=self.name,
            follow_up=follow.text.get(lang) if follow else None,
            follow_up_key_point=follow.key_point if follow else None,
        )
