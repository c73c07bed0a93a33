"""``voice-interviewer bank list|validate``: inspect and check question banks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from ..errors import BankError, clip
from .app import app, console, err_console

bank_app = typer.Typer(help="Inspect and validate question banks.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


@bank_app.command("list")
def bank_list(
    category: Annotated[Optional[str], typer.Option(help="Only this category.")] = None,
    bank: Annotated[Optional[list[Path]], typer.Option("--bank", help="Bank file or folder (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout.")] = False,
    language: Annotated[str, typer.Option("--language", "-l", help="Language of the texts shown.")] = "en",
) -> None:
    """List the questions in the bank."""
    from ..bank import QuestionBank
    from ..schema import CATEGORIES

    if category and category not in CATEGORIES:
        raise BankError(f"unknown category '{category}' (one of: {', '.join(CATEGORIES)})")
    qbank = QuestionBank.load(bank or None)
    questions = qbank.by_category(category)
    if as_json:
        for q in questions:
            print(json.dumps({"id": q.id, "category": q.category, "difficulty": q.difficulty,
                              "text": q.text.model_dump(), "key_points": [k.id for k in q.rubric]},
                             ensure_ascii=False))
        return
    table = Table(title=f"{len(questions)} questions", title_justify="left")
    for col in ("id", "category", "difficulty", "key points", "question"):
        table.add_column(col, overflow="fold")
    for q in sorted(questions, key=lambda q: (q.category, q.id)):
        table.add_row(q.id, q.category, q.difficulty, str(len(q.rubric)), q.text.get(language))
    console.print(table)


@bank_app.command("validate")
def bank_validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Bank files or folders (default: built-in bank).")] = None,
) -> None:
    """Check bank files; report each problem with its file and line."""
    from ..bank import bank_files, default_bank_dir, load_file

    files = bank_files(paths or [default_bank_dir()])
    if not files:
        raise BankError("no .yaml files to validate")
    failures = 0
    seen: dict[str, Path] = {}
    for f in files:
        try:
            questions = load_file(f)
        except BankError as exc:
            failures += 1
            err_console.print(Text.assemble(("✘ ", "red"), exc.line()), soft_wrap=True)
            continue
        dupes = [q.id for q in questions if q.id in seen]
        for q in questions:
            seen.setdefault(q.id, f)
        if dupes:
            failures += 1
            err_console.print(Text.assemble(("✘ ", "red"), clip(f"{f}: duplicate question id(s) {', '.join(dupes)}")))
            continue
        problems = _red_flag_problems(f, questions)
        for line in problems:
            err_console.print(Text.assemble(("✘ ", "red"), line), soft_wrap=True)
        if problems:
            failures += 1
            continue
        bare = [q.id for q in questions if not q.red_flags]
        note = f" ({len(bare)} without red flags: wrong claims about them go unnoticed)" if bare else ""
        console.print(Text.assemble(("✔ ", "green"), f"{f}: {len(questions)} questions{note}"))
    if failures:
        raise typer.Exit(2)


def _red_flag_problems(path: Path, questions) -> list[str]:
    """Red flags that would misfire, as "file:line: question: problem" lines."""
    from ..bank import line_of
    from ..judging.claims import red_flag_problems

    out = []
    for qi, q in enumerate(questions):
        for fi, problem in red_flag_problems(q):
            line = line_of(path, ("questions", qi, "red_flags", fi))
            out.append(f"{path}{f':{line}' if line else ''}: {q.id}: {problem}")
    return out
