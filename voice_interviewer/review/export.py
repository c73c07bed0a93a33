"""``export``: a session as Markdown (to read or share) or JSON (the stored session plus
computed statistics)."""

from __future__ import annotations

import json

from .. import coaching
from ..hearing.unsure import marked
from ..schema import Session
from .highlight import evidence_display
from .i18n import strings
from .stats import fmt_duration, fmt_score, fmt_seconds, session_stats

FORMATS = ("md", "json")


def to_json(session: Session) -> str:
    data = session.model_dump(mode="json")
    data["stats"] = session_stats(session).model_dump(mode="json")
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _md_inline(text: str) -> str:
    """Keep user text from turning into Markdown structure (headings, lists, HTML)."""
    text = " ".join(text.split())
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def _md_answer(text: str, unsure: dict[str, float]) -> str:
    """The transcript, each word the recogniser was unsure of followed by "(?)"."""
    return "".join(_md_inline(piece) + ("(?)" if p is not None else "") if piece.strip() else piece
                   for piece, p in marked(" ".join(text.split()), unsure))


def to_markdown(session: Session) -> str:
    t = strings(session.language)
    st = session_stats(session)
    out = [
        f"# {t['report_title']}: {session.id}",
        "",
        f"- {t['started']}: {session.started_at.astimezone().strftime('%Y-%m-%d %H:%M')}",
        f"- {t['language']}: {session.language} · {t['mode']}: {session.mode} · "
        f"{t['scorer']}: {session.scorer} · {t['state']}: {t.get('state_' + session.state, session.state)}",
        f"- {t['mean_score']}: {fmt_score(st.mean_score)}/10 · {t['answered']}: {st.answered}/{st.turns} · "
        f"{t['skipped']}: {st.skipped} · {t['follow_ups']}: {st.follow_ups}",
        f"- {t['duration']}: {fmt_duration(st.duration_s)} · {t['wait_p50']}: {fmt_seconds(st.wait_p50)} · "
        f"{t['wait_p95']}: {fmt_seconds(st.wait_p95)}",
    ]
    if any(turn.unsure_words for turn in session.turns):
        out.append(f"- (?): {t['unsure']}")
    if st.words_per_minute:
        out.append(f"- {t['pace']}: {st.words_per_minute:.0f} {t['wpm']} · {t['fillers']}: {st.fillers}")
    if st.by_category:
        out += ["", f"## {t['by_category']}", "", "| | |", "|---|---:|"]
        out += [f"| {c} | {fmt_score(v)} |" for c, v in st.by_category.items()]
    marks = {"covered": "✔", "partly": "◐", "missing": "✘"}
    for turn in session.turns:
        kind = f" ({t['follow_up']})" if turn.is_follow_up else ""
        kind += f" · {t['attempt']} {turn.attempt}" if turn.attempt > 1 else ""
        score = t["skipped_turn"] if turn.skipped else f"{fmt_score(turn.score)}/10"
        out += ["", f"## {t['turn']} {turn.index}{kind}: {score}", "", f"**{_md_inline(turn.question_text)}**", ""]
        if session.why_asked(turn):
            out += [f"_{_md_inline(session.why_asked(turn))}_", ""]
        out.append(f"> {_md_answer(turn.answer, turn.unsure_words)}" if turn.answer.strip() else f"_{t['no_answer']}_")
        if turn.key_points:
            out.append("")
            for kp in turn.key_points:
                ev = evidence_display(kp.evidence) if kp.verdict != "missing" else None
                out.append(f"- {marks[kp.verdict]} {_md_inline(kp.statement)}" + (f" — “{_md_inline(ev)}”" if ev else ""))
        if turn.feedback:
            out += ["", f"{t['feedback']}: {_md_inline(turn.feedback)}"]
        d = turn.delivery
        if d is not None and d.words:
            bits = []
            if d.words_per_minute:
                bits.append(f"{t['pace']} {d.words_per_minute:.0f} {t['wpm']}")
            if d.fillers:
                bits.append(f"{t['fillers']}: " + ", ".join(f"{w} ×{n}" for w, n in d.fillers.items()))
            if d.long_pauses:
                bits.append(f"{t['long_pauses']}: {len(d.long_pauses)}")
            if bits:
                out += ["", " · ".join(bits)]
        before = coaching.previous_attempt(session.turns, turn)
        if before is not None:
            ch = coaching.retry_change(before, turn)
            delta = f" ({ch.score_delta:+.1f})" if ch.score_delta is not None else ""
            out += ["", f"{t['against_attempt']} {before.attempt}{delta}:"]
            out += [f"- + {_md_inline(s)}" for s in ch.gained] + [f"- − {_md_inline(s)}" for s in ch.lost]
        if turn.model_answer:
            text = " ".join(f"**✘ {_md_inline(s)}**" if missed else _md_inline(s)
                            for s, missed in coaching.marked_model_answer(turn))
            out += ["", f"{t['model_answer']}: {text}"]
    return "\n".join(out) + "\n"


def export(session: Session, fmt: str) -> str:
    return to_json(session) if fmt == "json" else to_markdown(session)
