"""Numbers about one session: scores by category, waits, delivery; shared by every view and by
the ``Summary`` the interview stores in ``session.json`` (``summarize``)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from ..schema import Session, Summary, Turn


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of ``values``; None when empty."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return round(data[lo] + (data[hi] - data[lo]) * (pos - lo), 3)


def mean(values: Sequence[float | None]) -> float | None:
    data = [v for v in values if v is not None]
    return sum(data) / len(data) if data else None


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def turn_fillers(turn: Turn) -> int:
    return sum(turn.delivery.fillers.values()) if turn.delivery else 0


class SessionStats(BaseModel):
    mean_score: float | None = None  # of first attempts
    best_mean_score: float | None = None  # of each question's best attempt
    turns: int = 0
    answered: int = 0
    skipped: int = 0
    follow_ups: int = 0
    questions: int = 0  # distinct main questions asked
    by_category: dict[str, float] = Field(default_factory=dict)
    duration_s: float | None = None
    wait_p50: float | None = None
    wait_p95: float | None = None
    speaking_s: float | None = None
    words_per_minute: float | None = None
    fillers: int = 0
    fillers_per_minute: float | None = None
    long_pauses: int = 0


def session_stats(session: Session) -> SessionStats:
    turns = session.turns
    scored = session.scored_turns()
    cats: dict[str, list[float]] = {}
    for t in scored:
        cats.setdefault(t.category or "other", []).append(t.score)
    waits = [t.timings.wait for t in turns if t.timings.wait is not None]
    spoken = [t for t in turns if t.delivery and t.delivery.duration_s]
    speaking = sum(t.delivery.duration_s for t in spoken) if spoken else None
    words = sum(t.delivery.words for t in spoken)
    fillers = sum(turn_fillers(t) for t in turns)
    duration = session.duration_s()
    if duration is None and turns:
        # an unfinished session: the span of the recorded turn timings
        stamps = [v for t in turns for v in t.timings.model_dump().values() if v is not None]
        stamps = [v for v in stamps if v > 0]
        if len(stamps) >= 2:
            duration = max(stamps) - min(stamps)
    return SessionStats(
        mean_score=session.mean_score(),
        best_mean_score=_round(mean([t.score for t in session.best_turns()])),
        turns=len(turns),
        answered=len([t for t in turns if not t.skipped and t.answer.strip()]),
        skipped=len([t for t in turns if t.skipped]),
        follow_ups=len([t for t in turns if t.is_follow_up]),
        questions=len({t.question_id for t in turns if not t.is_follow_up}),
        by_category={c: round(sum(v) / len(v), 2) for c, v in sorted(cats.items())},
        duration_s=duration,
        wait_p50=percentile(waits, 50),
        wait_p95=percentile(waits, 95),
        speaking_s=speaking,
        words_per_minute=round(words / speaking * 60, 1) if speaking else None,
        fillers=fillers,
        fillers_per_minute=round(fillers / speaking * 60, 2) if speaking else None,
        long_pauses=sum(len(t.delivery.long_pauses) for t in turns if t.delivery),
    )


def summarize(session: Session) -> Summary:
    """The summary stored with a finished session: its stats, the strongest and weakest
    category (question, with one category) and the fillers said, by word."""
    st = session_stats(session)
    groups: dict[str, float] = dict(st.by_category)
    if len(groups) < 2:
        by_q: dict[str, list[float]] = {}
        for t in session.scored_turns():
            by_q.setdefault(t.question_id, []).append(t.score)
        groups = {q: sum(v) / len(v) for q, v in by_q.items()}
    fillers: dict[str, int] = {}
    for t in session.turns:
        for word, n in (t.delivery.fillers if t.delivery else {}).items():
            fillers[word] = fillers.get(word, 0) + n
    return Summary(
        mean_score=st.mean_score,
        answered=st.answered,
        skipped=st.skipped,
        by_category=st.by_category,
        strongest=max(groups, key=groups.get) if len(groups) > 1 else None,
        weakest=min(groups, key=groups.get) if len(groups) > 1 else None,
        wait_p50=st.wait_p50,
        delivery={"words_per_minute": st.words_per_minute, "fillers": fillers},
    )


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fmt_seconds(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f} s"


def fmt_score(score: float | None) -> str:
    return "–" if score is None else f"{score:.1f}"
