"""The typer application and the consoles every command prints to.

``console`` is stdout (tables, machine-readable output); ``err_console`` is stderr
(progress, notes, warnings, errors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

app = typer.Typer(
    name="voice-interviewer",
    help="A spoken mock interviewer for machine-learning job interviews, fully local.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        console.print(f"voice-interviewer {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    pass

RecordingsDir = Annotated[
    Optional[Path],
    typer.Option(
        "--recordings-dir",
        help="Where sessions are saved [env: VOICE_INTERVIEWER_RECORDINGS_DIR] (default ./recordings).",
        show_default=False,
    ),
]


def store_for(recordings_dir: Path | None):
    """The session store for a command's --recordings-dir (or env/config/default)."""
    from ..config import load_settings
    from ..store import SessionStore

    settings = load_settings(recordings_dir=recordings_dir)
    return SessionStore(settings.recordings_dir, max_mb=settings.max_session_mb)


def write_stdout(text: str) -> None:
    """Machine-readable output as UTF-8 whatever the locale (a lone surrogate as its escape)."""
    import sys

    data = text.encode("utf-8", "backslashreplace")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (a StringIO)
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()
