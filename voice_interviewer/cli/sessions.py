"""``voice-interviewer sessions`` and ``replay``: look back at saved sessions."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from .app import RecordingsDir, app, console, err_console, store_for, write_stdout
from .display import score_style, summary_table, turn_panel
from ..coaching import previous_attempt


def _session_row(sid: str, entry) -> dict:
    s = entry.digest
    if s is None:
        return {"id": sid, "state": "damaged", "error": entry.error}
    st = s.stats
    return {
        "id": sid,
        "started_at": s.started_at.isoformat(),
        "state": s.state,
        "language": s.language,
        "mode": s.mode,
        "scorer": s.scorer,
        "questions": st.questions,
        "turns": st.turns,
        "answered": st.answered,
        "skipped": st.skipped,
        "mean_score": st.mean_score,
        "duration_s": None if st.duration_s is None else round(st.duration_s, 1),
    }


@app.command()
def sessions(
    recordings_dir: RecordingsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """List saved sessions: date, language, questions, mean score, state, duration.

    Damaged or half-written sessions are listed as such.
    """
    store = store_for(recordings_dir)
    rows = [_session_row(sid, entry) for sid, entry in store.digests().items()]
    if as_json:
        write_stdout(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        err_console.print(f"No sessions in {store.root} yet (start one with: voice-interviewer practice).")
        return
    _print_table(rows, store.root)


def _print_table(rows: list[dict], root) -> None:
    """Aligned columns written at once (a rich Table of thousands of rows takes seconds)."""
    from rich.markup import escape

    from ..review.stats import fmt_duration
    from ..terminal import clean

    cols = ("id", "date", "lang", "qs", "mean", "state", "time")
    right = {"qs", "mean", "time"}
    cells, styles, damaged = [], [], []
    for r in rows:
        if r["state"] == "damaged":
            cells.append([clean(r["id"]), "", "", "", "", "damaged", ""])
            styles.append({"state": "red"})
            damaged.append(r)
            continue
        mean = "—" if r["mean_score"] is None else f"{r['mean_score']:.1f}"
        state = "unfinished" if r["state"] == "in_progress" else r["state"]
        time_s = fmt_duration(r["duration_s"]).replace(" min ", "m").replace(" s", "s").replace(" h ", "h")
        cells.append([clean(r["id"]), r["started_at"][:16].replace("T", " "), clean(r["language"])[:8],
                      str(r["questions"]), mean, state, time_s])
        styles.append({"mean": score_style(r["mean_score"]),
                       "state": "yellow" if r["state"] == "in_progress" else ""})
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]

    def line(values: list[str], style: dict | None = None) -> str:
        out = []
        for name, value, width in zip(cols, values, widths):
            padded = value.rjust(width) if name in right else value.ljust(width)
            st = (style or {}).get(name)
            out.append(f"[{st}]{escape(padded)}[/]" if st else escape(padded))
        return "  ".join(out).rstrip()

    text = [f"{len(rows)} session(s) in {escape(clean(str(root)))}", "",
            f"[bold]{line(list(cols))}[/]", "  ".join("─" * w for w in widths)]
    text += [line(row, st) for row, st in zip(cells, styles)]
    if damaged:
        text.append("")
        for r in damaged:
            reason = (r["error"] or "").removeprefix(f"session '{r['id']}' is damaged: ")
            text.append(f"[red]damaged[/] {escape(clean(r['id']))}: {escape(clean(reason))}")
    console.print("\n".join(text), soft_wrap=True, highlight=False)


@app.command()
def replay(
    session_id: Annotated[str, typer.Argument(help="Session id, or 'latest'.")],
    recordings_dir: RecordingsDir = None,
    turn: Annotated[Optional[int], typer.Option(help="Only this turn.")] = None,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Do not play audio.")] = False,
) -> None:
    """Walk through a session turn by turn: question, recorded answer, score and feedback.

    On a terminal: n/Enter next, s skip the recording, r repeat, b back, q quit.
    """
    from ..review.clips import SoundDevicePlayer
    from ..review.replay import NoKeys, Replayer, TerminalKeys

    from ..terminal import clean_model

    store = store_for(recordings_dir)
    sid = store.resolve(session_id)
    session = clean_model(store.load(sid))  # no escape sequences from an answer reach the terminal
    console.print(summary_table(session))
    replayer = Replayer(
        session,
        store.session_dir(sid),
        console,
        render_turn=lambda t: turn_panel(t, show_answer=True, show_model_answer=True,
                                         before=previous_attempt(session.turns, t)),
        player_factory=None if no_audio else SoundDevicePlayer,
        keys=NoKeys(),
    )
    if sys.stdin.isatty() and sys.stdout.isatty():
        with TerminalKeys() as keys:
            replayer.keys = keys
            replayer.run(turn)
    else:
        replayer.run(turn)
