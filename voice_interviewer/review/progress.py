"""``progress``: trends across all sessions (scores per category, pace, fillers) and the
weakest questions and key points; as rich tables or a self-contained HTML page."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..schema import CATEGORIES
from ..store import SessionStore
from .charts import line_chart
from .i18n import strings
from .render import render
from .stats import mean


class SessionPoint(BaseModel):
    id: str
    started_at: datetime
    language: str
    mean_score: float | None
    best_mean_score: float | None = None  # with each question's best attempt
    by_category: dict[str, float] = Field(default_factory=dict)
    words_per_minute: float | None = None
    fillers_per_minute: float | None = None

    @property
    def label(self) -> str:
        return self.started_at.astimezone().strftime("%m-%d")


class QuestionStat(BaseModel):
    question_id: str
    category: str | None
    text: str
    scores: list[float] = Field(default_factory=list)  # chronological; a skip counts as 0

    @property
    def asked(self) -> int:
        return len(self.scores)

    @property
    def mean(self) -> float:
        return round(sum(self.scores) / len(self.scores), 2)

    @property
    def last(self) -> float:
        return self.scores[-1]


class KeyPointStat(BaseModel):
    question_id: str
    key_point: str
    statement: str
    judged: int = 0
    missed: int = 0
    partly: int = 0

    @property
    def miss_rate(self) -> float:
        return (self.missed + 0.5 * self.partly) / self.judged if self.judged else 0.0


class ReviewRow(BaseModel):
    """A question's place in the spaced-repetition order (what ``practice --review-weak`` asks)."""

    question_id: str
    box: int
    last_score: float | None
    due: str  # "now", "in 3 d", "new"


class Progress(BaseModel):
    sessions: list[SessionPoint] = Field(default_factory=list)
    review_next: list[ReviewRow] = Field(default_factory=list)
    damaged: list[str] = Field(default_factory=list)
    questions: list[QuestionStat] = Field(default_factory=list)  # weakest first
    key_points: list[KeyPointStat] = Field(default_factory=list)  # most missed first
    language: str = "en"

    def categories(self) -> list[str]:
        seen = {c for p in self.sessions for c in p.by_category}
        return [c for c in CATEGORIES if c in seen] + sorted(seen - set(CATEGORIES))


def review_rows(store: SessionStore, bank, count: int = 5, entries: dict | None = None) -> list[ReviewRow]:
    from datetime import timezone

    from .schedule import review_items

    now = datetime.now(timezone.utc)
    rows = []
    for item in review_items(store, bank, now, entries=entries)[:count]:
        if item.due_at is None:
            due = "new"
        elif item.due(now):
            due = "now"
        else:
            due = f"in {max(1, round((item.due_at - now).total_seconds() / 86400))} d"
        rows.append(ReviewRow(question_id=item.question_id, box=item.box, last_score=item.last_score, due=due))
    return rows


def build_progress(store: SessionStore, bank=None) -> Progress:
    """Trends over every readable session; with a question bank, also what to review next."""
    prog = Progress()
    entries = store.digests()
    if bank is not None:
        prog.review_next = review_rows(store, bank, entries=entries)
    # plain accumulators: setting a pydantic field costs ~1 µs, and 10,000 sessions set ~500,000
    questions: dict[str, list] = {}  # id -> [category, latest text, scores]
    kps: dict[tuple[str, str], list] = {}  # (question, key point) -> [first statement, judged, missed, partly]
    good = sorted((e.digest for e in entries.values() if e.digest is not None), key=lambda d: d.started_at)
    prog.damaged = [sid for sid, e in entries.items() if e.digest is None]
    points = []
    for s in good:
        st = s.stats
        points.append(dict(id=s.id, started_at=s.started_at, language=s.language, mean_score=st.mean_score,
                           best_mean_score=st.best_mean_score, by_category=st.by_category, words_per_minute=st.words_per_minute,
                           fillers_per_minute=st.fillers_per_minute))
        prog.language = s.language
        for qid, category, text, score, skipped in s.answers:
            q = questions.setdefault(qid, [category, text, []])
            q[1] = text
            q[2].append(0.0 if skipped else score)
        for qid, kp_id, statement, judged, missed, partly in s.key_points:
            k = kps.setdefault((qid, kp_id), [statement, 0, 0, 0])
            k[1] += judged
            k[2] += missed
            k[3] += partly
    prog.sessions = [SessionPoint.model_validate(p) for p in points]
    questions = {qid: QuestionStat(question_id=qid, category=c, text=t, scores=sc)
                 for qid, (c, t, sc) in questions.items()}
    kps = {key: KeyPointStat(question_id=key[0], key_point=key[1], statement=v[0], judged=v[1], missed=v[2],
                             partly=v[3]) for key, v in kps.items()}
    prog.questions = sorted(questions.values(), key=lambda q: (q.mean, q.last, -q.asked))
    prog.key_points = sorted(
        (k for k in kps.values() if k.missed or k.partly), key=lambda k: (-k.miss_rate, -k.missed, k.question_id)
    )
    return prog


def trend_series(prog: Progress) -> dict[str, dict[str, list[float | None]]]:
    pts = prog.sessions
    scores: dict[str, list[float | None]] = {"all": [p.mean_score for p in pts]}
    best = [p.mean_score if p.best_mean_score is None else p.best_mean_score for p in pts]
    if best != scores["all"]:  # some question was tried again: its best attempt, beside the first
        scores["best attempt"] = best
    for cat in prog.categories():
        scores[cat] = [p.by_category.get(cat) for p in pts]
    return {
        "scores": scores,
        "pace": {"wpm": [p.words_per_minute for p in pts]},
        "fillers": {"/min": [p.fillers_per_minute for p in pts]},
    }


def progress_tables(prog: Progress, limit: int = 10) -> list:
    """Rich tables for the terminal."""
    from rich.table import Table

    t = strings(prog.language)
    series = trend_series(prog)
    trend = Table(title=t["score_trend"], title_justify="left")
    trend.add_column(t["date"])
    trend.add_column(t["session"])
    for name in series["scores"]:
        trend.add_column(name, justify="right")
    trend.add_column(t["pace"], justify="right")
    trend.add_column(f"{t['fillers']}/min", justify="right")
    first = max(0, len(prog.sessions) - limit)
    for i, p in enumerate(prog.sessions[first:], start=first):
        row = [p.started_at.astimezone().strftime("%Y-%m-%d %H:%M"), p.id]
        row += ["–" if v[i] is None else f"{v[i]:.1f}" for v in series["scores"].values()]
        row.append("–" if p.words_per_minute is None else f"{p.words_per_minute:.0f}")
        row.append("–" if p.fillers_per_minute is None else f"{p.fillers_per_minute:.1f}")
        trend.add_row(*row)
    weak = Table(title=t["weakest_questions"], title_justify="left")
    for col, just in ((t["question"], "left"), (t["category"], "left"), (t["times_asked"], "right"),
                      (t["avg_score"], "right"), (t["last_score"], "right")):
        weak.add_column(col, justify=just)
    for q in prog.questions[:limit]:
        weak.add_row(q.question_id, q.category or "", str(q.asked), f"{q.mean:.1f}", f"{q.last:.1f}")
    missed = Table(title=t["weakest_key_points"], title_justify="left")
    for col, just in ((t["question"], "left"), (t["key_point"], "left"), (t["missed"], "right")):
        missed.add_column(col, justify=just)
    for k in prog.key_points[:limit]:
        missed.add_row(k.question_id, f"{k.key_point}: {k.statement}", f"{k.missed + k.partly}/{k.judged}")
    tables = [trend, weak, missed]
    if prog.review_next:
        nxt = Table(title=f"{t['review_next']} (practice --review-weak)", title_justify="left")
        for col, just in ((t["question"], "left"), (t["last_score"], "right"), ("box", "right"), (t["due"], "left")):
            nxt.add_column(col, justify=just)
        for row in prog.review_next:
            last = "–" if row.last_score is None else f"{row.last_score:.1f}"
            nxt.add_row(row.question_id, last, str(row.box), t.get(f"due_{row.due}", row.due))
        tables.append(nxt)
    return tables


MAX_CHART_POINTS = 120  # more sessions are drawn as the means of consecutive groups


def _bucketed(labels: list[str], series: dict, size: int) -> tuple[list[str], dict]:
    """Each run of ``size`` consecutive sessions as one point: its last label, the mean of each series."""
    from .stats import mean as mean_of

    starts = range(0, len(labels), size)
    out = {group: {name: [mean_of(values[i:i + size]) for i in starts] for name, values in lines.items()}
           for group, lines in series.items()}
    return [labels[min(i + size, len(labels)) - 1] for i in starts], out


def render_progress(prog: Progress, limit: int = 15) -> str:
    t = strings(prog.language)
    labels = [p.label for p in prog.sessions]
    series = trend_series(prog)
    if len(labels) > MAX_CHART_POINTS:  # thousands of points make a page of megabytes and no clearer trend
        labels, series = _bucketed(labels, series, -(-len(labels) // MAX_CHART_POINTS))
    return render(
        "progress.html.j2",
        prog.language,
        prog=prog,
        questions=prog.questions[:limit],
        key_points=prog.key_points[:limit],
        score_chart=line_chart(series["scores"], labels, t["score_trend"], ymax=10, chart_id="chart-score-trend"),
        pace_chart=line_chart(series["pace"], labels, t["pace_trend"], chart_id="chart-pace-trend"),
        filler_chart=line_chart(series["fillers"], labels, t["filler_trend"], chart_id="chart-filler-trend"),
        overall=mean([p.mean_score for p in prog.sessions]),
    )
