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
            row = {"id": q.id, "category": q.category, "difficulty": q.difficulty,
                   "text": q.text.model_dump(), "key_points": [k.id for k in q.rubric]}
            if q.generated:
                row["generated"] = q.generated.model_dump(mode="json")
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table(title=f"{len(questions)} questions", title_justify="left")
    generated = any(q.generated for q in questions)
    for col in ("id", "category", "difficulty", "key points", "question", *(["generated"] if generated else [])):
        table.add_column(col, overflow="fold")
    for q in sorted(questions, key=lambda q: (q.category, q.id)):
        made = [f"{q.generated.by}, {q.generated.job}, {q.generated.at}" if q.generated else ""] if generated else []
        table.add_row(q.id, q.category, q.difficulty, str(len(q.rubric)), q.text.get(language), *made)
    console.print(table)


@bank_app.command("generate")
def bank_generate(
    job: Annotated[Path, typer.Option("--job", help="The job description (a text or Markdown file).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The bank file to write (YAML).")],
    count: Annotated[int, typer.Option(min=1, max=20, help="Questions to ask the LLM for.")] = 5,
    language: Annotated[
        Optional[str], typer.Option("--language", "-l", help="Language of the prompts: es or en (default: the job's).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")] = False,
    model: Annotated[Optional[str], typer.Option(help="LLM model name.")] = None,
    llm_timeout: Annotated[Optional[float], typer.Option(help="Seconds per LLM request (default 180 here).")] = None,
    local_llm: Annotated[bool, typer.Option("--local-llm", help="Start a local llama.cpp server.")] = False,
    llm_model: Annotated[Optional[str], typer.Option(help="GGUF path or known local model name.")] = None,
) -> None:
    """Write new questions with full rubrics for a job description, through the configured LLM."""
    from ..bank import QuestionBank
    from ..bank_generation import GENERATION_TIMEOUT, BankGenerator, bank_yaml, job_text, write_bank
    from ..jobtext import read_document
    from ..config import load_settings
    from ..errors import ConfigError
    from ..judging.llm_client import Endpoint, LLMFault
    from ..language import guess_language

    if language not in (None, "es", "en"):
        raise BankError(f"unknown language '{language}' (es or en)")
    if output.is_dir():
        raise BankError(f"{output}: is a folder (give the bank file to write)")
    if output.exists() and not force:
        raise BankError(f"{output}: already exists (use --force to replace it)")
    if not output.parent.is_dir():
        raise BankError(f"{output.parent}: no such folder")
    doc = read_document(job, "job")
    text, cut = job_text(doc)
    for note in [*doc.notes, *cut]:
        err_console.print(Text(f"{job}: {note}"), soft_wrap=True)
    settings = load_settings(model=model, llm_timeout=llm_timeout, local_llm=local_llm or None, llm_model=llm_model)
    if not settings.llm_configured():
        raise ConfigError("bank generate needs an LLM",
                          hint="set OPENAI_API_KEY or OPENAI_BASE_URL, or use --local-llm")
    if "llm_timeout" not in settings.model_fields_set:
        settings = settings.model_copy(update={"llm_timeout": GENERATION_TIMEOUT})
    taken = QuestionBank.load().questions  # the built-in ids: the new bank can be used beside it
    secret = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    endpoint = Endpoint.from_settings(settings)
    name = Path(settings.llm_model).name if settings.local_llm else settings.model
    generator = BankGenerator(
        endpoint, job=text, job_name=job.name, model_name=name, language=language or guess_language(text, "en"),
        taken=taken, prompts_dir=settings.prompts_dir, secret=secret,
        note=lambda line: err_console.print(Text(line), soft_wrap=True))
    err_console.print(Text(f"Asking {name} for {count} question(s) about {job.name}…", style="dim"), soft_wrap=True)
    try:
        questions = generator.generate(count)
    except LLMFault as exc:
        raise BankError(f"cannot generate questions: {exc}", hint="nothing written") from None
    finally:
        endpoint.close()
    if not questions:
        raise BankError(f"the LLM wrote no valid question out of {count} (nothing written)")
    write_bank(output, bank_yaml(questions, generator.stamp), check=lambda p: file_problems(p, {})[1], force=force)
    console.print(Text.assemble(("✔ ", "green"), f"{output}: {len(questions)} of {count} questions "
                                f"(use it with --bank {output})"), soft_wrap=True)


@bank_app.command("validate")
def bank_validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Bank files or folders (default: built-in bank).")] = None,
) -> None:
    """Check bank files; report each problem with its file and line."""
    from ..bank import bank_files, default_bank_dir

    files = bank_files(paths or [default_bank_dir()])
    if not files:
        raise BankError("no .yaml files to validate")
    failures = 0
    seen: dict[str, Path] = {}
    for f in files:
        questions, problems = file_problems(f, seen)
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


def file_problems(f: Path, seen: dict[str, Path]) -> tuple[list, list[str]]:
    """One bank file's questions and what ``bank validate`` reports about it (``seen``: the
    question ids of the files checked before, updated)."""
    from ..bank import load_file

    try:
        questions = load_file(f)
    except BankError as exc:
        return [], [exc.line()]
    dupes = [q.id for q in questions if q.id in seen]
    for q in questions:
        seen.setdefault(q.id, f)
    if dupes:
        return questions, [clip(f"{f}: duplicate question id(s) {', '.join(dupes)}")]
    return questions, _red_flag_problems(f, questions)


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
