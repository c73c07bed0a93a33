"""``report``: one self-contained HTML file for a session.

CSS, JavaScript, charts (inline SVG) and, by default, the audio (Ogg/Opus as base64
``data:`` URIs) are all inside the file, so it opens from a file:// URL, offline, on a
phone. ``link_audio`` refers to the session's WAV files by relative path instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup
from pydantic import BaseModel

from .. import coaching
from ..errors import SessionError
from ..hearing.unsure import word_key
from ..schema import KeyPointResult, Session, Turn
from ..store import SessionStore
from . import clips as audio
from .charts import Bar, bar_chart
from .highlight import evidence_display, highlight
from .i18n import strings
from .render import grade, render
from .stats import session_stats

GOOD_PACE = (110.0, 160.0)  # words per minute that sound unhurried but fluent


class TurnView(BaseModel):
    model_config = {"arbitrary_types_allowed": True}

    index: int
    is_follow_up: bool
    category: str | None
    question_text: str
    skipped: bool
    score: float | None
    grade: str
    transcript: object  # Markup with the evidence highlighted
    key_points: list[KeyPointResult]
    feedback: str
    scorer_notes: list[str]
    metrics: list[tuple[str, str]]
    delivery_notes: list[str]
    question_audio: str | None
    answer_audio: str | None
    model_answer: list[tuple[str, list[str]]] = []  # sentence, the missed points it states
    model_answer_said: str = ""
    attempt: int = 1
    retry: coaching.RetryChange | None = None
    before_score: float | None = None
    diff: list[tuple[str, str]] = []  # ("same"|"added"|"removed", words) against the previous attempt
    star: list[tuple[str, str, int]] = []  # STAR part, "covered"|"partly"|"missing", words
    why: str = ""  # practice --job: why this question was chosen


def audio_sources(
    session: Session, session_dir: Path, out_dir: Path, link: bool, progress: Callable[[int, int], None] | None = None
) -> dict[str, str]:
    """``src`` for every recording of the session, by its name in session.json.

    Embedded: Ogg/Opus data URIs, encoded on a few threads (libsndfile runs without the
    GIL). Linked: paths relative to the report. A damaged file raises AudioError either way.
    """
    paths: dict[str, Path] = {}
    for turn in session.turns:
        for rel in (turn.question_audio_file, turn.audio_file):
            path = audio.audio_path(session_dir, rel)
            if path is not None:
                paths[rel] = path
    if link:
        for path in paths.values():
            audio.read_audio(path)  # a damaged file is reported now, not as a silent player
        return {rel: quote(Path(os.path.relpath(p, out_dir)).as_posix()) for rel, p in paths.items()}
    out: dict[str, str] = {}
    workers = max(1, min(4, os.cpu_count() or 1, len(paths)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(audio.data_uri, p): rel for rel, p in paths.items()}
        for done, fut in enumerate(as_completed(futures), 1):
            out[futures[fut]] = fut.result()
            if progress:
                progress(done, len(paths))
    return out


def _metrics(turn: Turn, t: dict[str, str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    d = turn.delivery
    if d is not None:
        if d.words_per_minute:
            rows.append((t["pace"], f"{d.words_per_minute:.0f} {t['wpm']} ({d.words})"))
        if d.duration_s:
            rows.append((t["speaking_time"], f"{d.duration_s:.1f} s"))
        fillers = ", ".join(f"{w} ×{n}" for w, n in sorted(d.fillers.items(), key=lambda kv: -kv[1]))
        if d.fillers_per_minute is not None or fillers:
            per_min = f" ({d.fillers_per_minute:.1f}/min)" if d.fillers_per_minute is not None else ""
            rows.append((t["fillers"], (fillers or "0") + per_min))
        if d.long_pauses:
            rows.append((t["long_pauses"], ", ".join(f"{p:.1f} s" for p in d.long_pauses)))
    if turn.timings.wait is not None:
        rows.append((t["wait"], f"{turn.timings.wait:.2f} s"))
    return rows


def mark_unsure(html: Markup, unsure: dict[str, float], label: str) -> Markup:
    """Wrap each word the recogniser was unsure of in ``<span class="unsure">`` (outside tags)."""
    if not unsure:
        return html
    parts = re.split(r"(<[^>]*>)", str(html))
    for i, part in enumerate(parts):
        if part.startswith("<"):
            continue

        def wrap(m: re.Match) -> str:
            p = unsure.get(word_key(m.group()))
            if p is None:
                return m.group()
            return f'<span class="unsure" title="{label} ({p:.0%})">{m.group()}</span>'

        parts[i] = re.sub(r"(?<![&#\w])[\w']+(?![\w;])", wrap, part)
    return Markup("".join(parts))


def _turn_view(turn: Turn, sources: dict[str, str], t: dict[str, str], before: Turn | None = None,
               why: str = "") -> TurnView:
    return TurnView(
        why=why,
        model_answer=coaching.marked_model_answer(turn),
        star=[(p, "missing" if p in turn.star.missing else "partly" if p in turn.star.thin else "covered",
               turn.star.words.get(p, 0)) for p in ("situation", "task", "action", "result")] if turn.star else [],
        model_answer_said=turn.model_answer_said,
        attempt=turn.attempt,
        retry=coaching.retry_change(before, turn) if before else None,
        before_score=before.score if before else None,
        diff=coaching.word_diff(before.answer, turn.answer) if before else [],
        index=turn.index,
        is_follow_up=turn.is_follow_up,
        category=turn.category,
        question_text=turn.question_text,
        skipped=turn.skipped,
        score=turn.score,
        grade=grade(turn.score),
        transcript=mark_unsure(highlight(
            turn.answer, turn.key_points, list(turn.delivery.fillers) if turn.delivery else [], t["fillers"]
        ), turn.unsure_words, t["unsure"])
        if turn.answer.strip()
        else "",
        key_points=[
            k.model_copy(update={"evidence": evidence_display(k.evidence)})
            for k in sorted(turn.key_points, key=lambda k: ("covered", "partly", "missing").index(k.verdict))
        ],
        feedback=turn.feedback,
        scorer_notes=turn.scorer_notes,
        metrics=_metrics(turn, t),
        delivery_notes=list(turn.delivery.notes) if turn.delivery else [],
        question_audio=sources.get(turn.question_audio_file or ""),
        answer_audio=sources.get(turn.audio_file or ""),
    )


def render_report(
    session: Session,
    session_dir: Path,
    out_path: Path,
    link_audio: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    t = strings(session.language)
    stats = session_stats(session)
    sources = audio_sources(session, session_dir, out_path.resolve().parent, link_audio, progress)
    turns = [_turn_view(turn, sources, t, coaching.previous_attempt(session.turns, turn), session.why_asked(turn))
             for turn in session.turns]
    score_bars = [
        Bar(
            label=f"{turn.index}{'↳' if turn.is_follow_up else ''}",
            value=None if turn.skipped else turn.score,
            href=f"#turn-{turn.index}",
            tip=f"{t['turn']} {turn.index}: {turn.question_id}",
            css=grade(turn.score) or "c0",
        )
        for turn in session.turns
    ]
    pace_bars = [
        Bar(label=str(turn.index), value=turn.delivery.words_per_minute, href=f"#turn-{turn.index}", css="c0")
        for turn in session.turns
        if turn.delivery is not None and turn.delivery.words_per_minute
    ]
    category_bars = [Bar(label=c, value=v, css=grade(v)) for c, v in stats.by_category.items()]
    return render(
        "report.html.j2",
        session.language,
        session=session,
        state=t.get(f"state_{session.state}", session.state),
        started=session.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        stats=stats,
        turns=turns,
        has_audio=any(v.answer_audio or v.question_audio for v in turns),
        score_chart=bar_chart(score_bars, t["score_per_question"], ymax=10, chart_id="chart-scores"),
        pace_chart=bar_chart(pace_bars, t["pace_per_answer"], band=GOOD_PACE, chart_id="chart-pace")
        if pace_bars
        else None,
        category_chart=bar_chart(category_bars, t["by_category"], ymax=10, chart_id="chart-categories")
        if len(category_bars) > 1
        else None,
    )


def write_report(
    store: SessionStore,
    session_id: str,
    out: Path | None = None,
    link_audio: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Render the report of ``session_id`` to ``out`` (default: report.html in the session folder)."""
    sid = store.resolve(session_id)
    session = store.load(sid)
    session_dir = store.session_dir(sid)
    out_path = Path(out) if out else session_dir / "report.html"
    if out_path.is_dir():
        out_path = out_path / f"report-{sid}.html"
    html = render_report(session, session_dir, out_path, link_audio=link_audio, progress=progress)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(f".{out_path.name}.tmp")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out_path)
    except OSError as exc:
        raise SessionError(f"cannot write report {out_path}: {exc.strerror or exc}") from None
    return out_path
