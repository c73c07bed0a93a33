"""``report``, ``progress``, ``export`` and ``delete``: review and manage saved sessions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InterviewerError, SessionError
from .app import RecordingsDir, app, console, err_console, store_for, write_stdout


@app.command()
def report(
    session_id: Annotated[str, typer.Argument(help="Session id, or 'latest'.")],
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="HTML file to write (default: report.html in the session folder).")
    ] = None,
    link_audio: Annotated[
        bool, typer.Option("--link-audio", help="Link the session's WAV files instead of embedding the audio.")
    ] = False,
    recordings_dir: RecordingsDir = None,
) -> None:
    """Write one self-contained HTML report of a session (audio, transcripts, scores, charts)."""
    from ..review.report import write_report

    store = store_for(recordings_dir)

    def progress(done: int, total: int) -> None:
        err_console.print(f"[dim]audio {done}/{total} encoded[/]", end="\r" if err_console.is_terminal else "\n")

    path = write_report(store, session_id, output, link_audio=link_audio,
                        progress=progress if err_console.is_terminal else None)
    err_console.print(f"[dim]Report written ({path.stat().st_size / 1024:.0f} kB); open it in a browser:[/]")
    print(path)


def _bank_or_none():
    """The configured question bank, for the review order; progress works without it."""
    from ..bank import QuestionBank
    from ..config import load_settings

    try:
        settings = load_settings()
        return QuestionBank.load(settings.banks or None, settings.max_bank_mb)
    except InterviewerError as exc:
        err_console.print(f"[yellow]note:[/] no review order: {exc.line()}")
        return None


@app.command()
def progress(
    html: Annotated[Optional[Path], typer.Option("--html", help="Also write a self-contained HTML chart page.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout instead of tables.")] = False,
    limit: Annotated[
        int, typer.Option(min=1, help="Rows in the weakest-questions tables and sessions in the trend table.")
    ] = 10,
    recordings_dir: RecordingsDir = None,
) -> None:
    """Progress across sessions: score trends, weakest questions and key points, pace, fillers."""
    from rich.markup import escape

    from ..review.progress import build_progress, progress_tables, render_progress

    if html is not None and html.is_dir():
        raise SessionError(f"cannot write {html}: it is a directory (give a file name like progress.html)")
    store = store_for(recordings_dir)
    prog = build_progress(store, _bank_or_none())
    if prog.damaged:
        shown = ", ".join(prog.damaged[:5]) + (f" and {len(prog.damaged) - 5} more" if len(prog.damaged) > 5 else "")
        err_console.print(f"[yellow]note:[/] skipped {len(prog.damaged)} damaged session(s): {escape(shown)}"
                          " (see: voice-interviewer sessions)")
    if as_json:
        write_stdout(prog.model_dump_json(indent=2) + "\n")
    elif not prog.sessions:
        err_console.print(f"No readable sessions in {store.root} yet.")
    elif html is None:
        for table in progress_tables(prog, limit=limit):
            console.print(table)
        if len(prog.sessions) > limit:
            err_console.print(f"[dim]score trend: the last {limit} of {len(prog.sessions)} sessions (--limit)[/]")
    if html is not None:
        try:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(render_progress(prog, limit=limit), encoding="utf-8")
        except OSError as exc:
            raise SessionError(f"cannot write {html}: {exc.strerror or exc}") from None
        err_console.print(f"[dim]Progress page written: {html}[/]")


@app.command()
def export(
    session_id: Annotated[str, typer.Argument(help="Session id, or 'latest'.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="md or json.")] = "md",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    recordings_dir: RecordingsDir = None,
) -> None:
    """Export a session as Markdown or JSON."""
    from ..review.export import FORMATS, export as render_export

    if fmt not in FORMATS:
        raise InterviewerError(f"unknown export format '{fmt}' (use: {', '.join(FORMATS)})")
    from ..terminal import clean_model

    store = store_for(recordings_dir)
    session = store.load(session_id)
    text = render_export(clean_model(session) if fmt == "md" else session, fmt)
    if output is None:
        write_stdout(text)
        return
    try:
        output.write_text(text, encoding="utf-8", errors="backslashreplace")
    except OSError as exc:
        raise SessionError(f"cannot write {output}: {exc.strerror or exc}") from None
    err_console.print(f"[dim]Exported to {output}[/]")


@app.command()
def delete(
    session_id: Annotated[str, typer.Argument(help="Session id, or 'latest'.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    recordings_dir: RecordingsDir = None,
) -> None:
    """Delete a saved session and its recordings."""
    store = store_for(recordings_dir)
    sid = store.resolve(session_id)
    folder = store.session_dir(sid)
    if not yes:
        if not sys.stdin.isatty():
            raise SessionError(f"not deleting '{sid}' without confirmation", hint="add --yes")
        files = sum(1 for p in folder.iterdir() if p.is_file())
        if not typer.confirm(f"Delete session {sid} ({files} file(s) in {folder})?", default=False):
            err_console.print("kept")
            raise typer.Exit(1)
    try:
        store.delete(sid)
    except OSError as exc:
        raise SessionError(f"cannot delete session '{sid}': {exc.strerror or exc}") from None
    err_console.print(f"Deleted session {sid}")
