"""``voice-interviewer sessions`` and ``replay``: look back at saved sessions."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from .app import RecordingsDir, app, console, store_for
from .display import print_turn, summary_table


@app.command()
def sessions(
    recordings_dir: RecordingsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """List saved sessions (damaged ones are listed as such)."""
    store = store_for(recordings_dir)
    infos = store.list()
    rows = []
    for info in infos:
        s = info.session
        if s is None:
            rows.append({"id": info.id, "state": "damaged", "error": info.error})
            continue
        rows.append({
            "id": s.id,
            "started_at": s.started_at.isoformat(),
            "state": s.state,
            "language": s.language,
            "mode": s.mode,
            "scorer": s.scorer,
            "questions": len({t.question_id for t in s.turns}),
            "turns": len(s.turns),
            "mean_score": s.mean_score(),
            "duration_s": s.duration_s(),
        })
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(rows)} session(s) in {store.root}", title_justify="left")
    for col in ("id", "date", "lang", "questions", "mean", "state"):
        table.add_column(col)
    for r in rows:
        if r["state"] == "damaged":
            table.add_row(r["id"], "", "", "", "", f"[red]damaged[/]: {r['error']}")
            continue
        mean = "—" if r["mean_score"] is None else f"{r['mean_score']:.1f}"
        table.add_row(r["id"], r["started_at"][:16].replace("T", " "), r["language"], str(r["questions"]), mean, r["state"])
    console.print(table)


@app.command()
def replay(
    session_id: Annotated[str, typer.Argument(help="Session id, or 'latest'.")],
    recordings_dir: RecordingsDir = None,
    turn: Annotated[Optional[int], typer.Option(help="Only this turn.")] = None,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Do not play audio.")] = False,
) -> None:
    """Walk through a session: questions, answers, scores and feedback."""
    store = store_for(recordings_dir)
    session = store.load(session_id)
    console.print(summary_table(session))
    for t in session.turns:
        if turn is None or t.index == turn:
            print_turn(console, t, show_question=True, show_answer=True)
