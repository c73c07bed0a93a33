"""``voice-interviewer sessions`` and ``replay``: look back at saved sessions."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from .app import RecordingsDir, app, console, err_console, store_for
from .display import score_style, summary_table, turn_panel


def _session_row(info) -> dict:
    s = info.session
    if s is None:
        return {"id": info.id, "state": "damaged", "error": info.error}
    from ..review.stats import session_stats

    st = session_stats(s)
    return {
        "id": info.id,
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
    from ..review.stats import fmt_duration

    store = store_for(recordings_dir)
    rows = [_session_row(info) for info in store.list()]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        err_console.print(f"No sessions in {store.root} yet (start one with: voice-interviewer practice).")
        return
    from rich import box

    from rich.markup import escape

    table = Table(
        title=f"{len(rows)} session(s) in {escape(str(store.root))}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col, justify in (("id", "left"), ("date", "left"), ("lang", "left"), ("qs", "right"),
                         ("mean", "right"), ("state", "left"), ("time", "right")):
        table.add_column(col, justify=justify, no_wrap=True)
    damaged = []
    for r in rows:
        if r["state"] == "damaged":
            table.add_row(r["id"], "", "", "", "", "[red]damaged[/]", "")
            damaged.append(r)
            continue
        mean = "—" if r["mean_score"] is None else f"[{score_style(r['mean_score'])}]{r['mean_score']:.1f}[/]"
        state = r["state"] if r["state"] != "in_progress" else "[yellow]unfinished[/]"
        table.add_row(
            r["id"],
            r["started_at"][:16].replace("T", " "),
            r["language"],
            str(r["questions"]),
            mean,
            state,
            fmt_duration(r["duration_s"]).replace(" min ", "m").replace(" s", "s").replace(" h ", "h"),
        )
    console.print(table)
    for r in damaged:
        console.print(f"[red]damaged[/] {escape(r['id'])}: {escape(r['error'] or '')}", soft_wrap=True)


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

    store = store_for(recordings_dir)
    sid = store.resolve(session_id)
    session = store.load(sid)
    console.print(summary_table(session))
    replayer = Replayer(
        session,
        store.session_dir(sid),
        console,
        render_turn=lambda t: turn_panel(t, show_answer=True),
        player_factory=None if no_audio else SoundDevicePlayer,
        keys=NoKeys(),
    )
    if sys.stdin.isatty() and sys.stdout.isatty():
        with TerminalKeys() as keys:
            replayer.keys = keys
            replayer.run(turn)
    else:
        replayer.run(turn)
