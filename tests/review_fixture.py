"""A real recorded session for review tests: 3 turns (one a follow-up, one skipped) whose
question and answer WAVs are spoken by espeak-ng.

The judgements are written out here (not computed by a judge) so the review views are
tested against known scores and evidence; evidence comes in both forms judges produce:
a list of matched terms and a quoted span of the answer."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from voice_interviewer.schema import (
    DeliveryMetrics,
    FollowUp,
    Judgement,
    KeyPoint,
    KeyPointResult,
    Localized,
    LocalizedTerms,
    Question,
    Session,
    Timings,
    Turn,
)
from voice_interviewer.store import SessionStore

QUESTIONS = [
    Question(
        id="overfitting",
        category="fundamentals",
        text=Localized(
            en="How do you detect and reduce overfitting?",
            es="¿Cómo detectas y reduces el sobreajuste?",
        ),
        rubric=[
            KeyPoint(
                id="validation-gap",
                statement=Localized(
                    en="Compare training and validation error", es="Comparar el error de entrenamiento y validación"
                ),
                evidence=LocalizedTerms(en=["validation", "training error"], es=["validación", "entrenamiento"]),
            ),
            KeyPoint(
                id="regularization",
                weight=2,
                statement=Localized(en="Regularization such as L2 or dropout", es="Regularización como L2 o dropout"),
                evidence=LocalizedTerms(en=["regularization", "dropout"], es=["regularización", "dropout"]),
            ),
            KeyPoint(
                id="more-data",
                statement=Localized(en="More data or augmentation", es="Más datos o aumento de datos"),
                evidence=LocalizedTerms(en=["more data", "augmentation"], es=["más datos", "aumento de datos"]),
            ),
        ],
        model_answer=Localized(en="Watch the validation gap; regularize.", es="Mira la brecha; regulariza."),
        follow_ups=[
            FollowUp(
                text=Localized(en="What else besides regularization?", es="¿Qué más aparte de regularizar?"),
                key_point="more-data",
            )
        ],
    ),
    Question(
        id="precision-recall",
        category="practical",
        text=Localized(en="When do you prefer recall over precision?", es="¿Cuándo prefieres recall a precisión?"),
        rubric=[
            KeyPoint(
                id="cost-fn",
                statement=Localized(en="When false negatives are costly", es="Cuando los falsos negativos cuestan"),
                evidence=LocalizedTerms(en=["false negatives"], es=["falsos negativos"]),
            )
        ],
        model_answer=Localized(en="When missing a positive is costly.", es="Cuando perder un positivo cuesta."),
    ),
]

ANSWERS = {
    "en": [
        "Um, I compare the training error with the validation error, and I add regularization like dropout.",
        "Well, I would also collect more data, or use augmentation.",
    ],
    "es": [
        "Eh, comparo el error de entrenamiento con la validación y añado regularización como dropout.",
        "Bueno, también buscaría más datos o aumento de datos.",
    ],
}


def judgement(question: Question, language: str, index: int) -> Judgement:
    """What a judge said: turn 1 covers two key points, misses more-data; the follow-up covers it."""
    en = language == "en"
    evidence = {
        "validation-gap": "training error, validation" if en else "entrenamiento, validacion",
        "regularization": "regularization like dropout" if en else "regularización como dropout",
        "more-data": ("more data, or use augmentation" if en else "más datos o aumento de datos") if index == 2 else None,
    }
    results = [
        KeyPointResult(
            id=kp.id,
            statement=kp.statement.get(language),
            weight=kp.weight,
            verdict="covered" if evidence.get(kp.id) else "missing",
            evidence=evidence.get(kp.id),
        )
        for kp in question.rubric
    ]
    total = sum(r.weight for r in results)
    score = round(10 * sum(r.weight for r in results if r.verdict == "covered") / total, 1)
    missing = [r.statement for r in results if r.verdict == "missing"]
    if en:
        feedback = f"Score {score:.1f}/10." + (f" The most important thing missing: {missing[0]}" if missing else "")
    else:
        feedback = f"Puntuación {score:.1f}/10." + (f" Lo más importante que faltó: {missing[0]}" if missing else "")
    return Judgement(score=score, key_points=results, feedback=feedback, scorer="offline")


def espeak(text: str, path: Path, language: str) -> Path:
    subprocess.run(
        ["espeak-ng", "-v", "es" if language == "es" else "en-us", "-s", "170", "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    return path


def build_session(root: Path, language: str = "en", session_id: str | None = None,
                  started: datetime | None = None, scores_only: bool = False) -> Session:
    """Create a session with real audio in ``root`` and return it (saved)."""
    import soundfile as sf

    store = SessionStore(root)
    sid = session_id or f"2026112{'5' if language == 'en' else '4'}-1000{'00' if language == 'en' else '01'}"
    started = started or datetime(2026, 11, 25 if language == "en" else 24, 10, 0, tzinfo=timezone.utc)
    session = Session(id=sid, language=language, mode="voice", started_at=started)
    folder = store.create(session)
    q0, q1 = QUESTIONS
    follow = q0.follow_ups[0]
    plan = [
        (1, q0, q0.text.get(language), False, ANSWERS[language][0]),
        (2, q0.focused(follow.key_point, follow.text), follow.text.get(language), True, ANSWERS[language][1]),
        (3, q1, q1.text.get(language), False, None),  # skipped
    ]
    clock = 100.0
    for index, question, qtext, is_follow, answer in plan:
        turn = Turn(
            index=index,
            question_id=question.id,
            category=question.category,
            question_text=qtext,
            is_follow_up=is_follow,
            follow_up_of=1 if is_follow else None,
            follow_up_key_point=follow.key_point if is_follow else None,
        )
        if not scores_only:
            espeak(qtext, folder / f"turn-{index:02d}-question.wav", language)
            turn.question_audio_file = f"turn-{index:02d}-question.wav"
        if answer is None:
            turn.skipped = True
        else:
            turn.answer = answer
            turn.answer_language = language
            if not scores_only:
                wav = espeak(answer, folder / f"turn-{index:02d}.wav", language)
                turn.audio_file = wav.name
                info = sf.info(str(wav))
                seconds = info.frames / info.samplerate
            else:
                seconds = 6.0
            turn.apply(judgement(question, language, index))
            words = len(answer.split())
            filler = "um" if language == "en" else "eh"
            turn.delivery = DeliveryMetrics(
                words=words,
                duration_s=round(seconds, 2),
                words_per_minute=round(words / seconds * 60, 1),
                fillers={filler: 1} if index == 1 else {},
                fillers_per_minute=round(60 / seconds, 2) if index == 1 else 0.0,
                long_pauses=[1.8] if index == 1 else [],
            )
            turn.timings = Timings(speech_end=clock + 5, judged=clock + 5.4, reply_audio_start=clock + 5.9 + index / 10)
            turn.timings.wait = round(turn.timings.reply_audio_start - turn.timings.speech_end, 3)
        clock += 20
        session.turns.append(turn)
    session.state = "completed"
    session.finished_at = started + timedelta(minutes=3, seconds=20)
    store.save(session)
    return session
