"""``voice-interviewer score``: grade answers without an interview.

``--batch IN.jsonl`` writes one JSON line per input line to stdout, in order (a bad line
gives ``{"id", "error"}``); ``--question-id ID --answer "…"`` shows one judgement.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InterviewerError
from .app import app, console, err_console


@app.command()
def score(
    batch: Annotated[
        Optional[Path], typer.Option("--batch", help="JSON lines: id, question, reference, question_id, answer.")
    ] = None,
    question_id: Annotated[Optional[str], typer.Option("--question-id", help="Bank question to grade against.")] = None,
    answer: Annotated[Optional[str], typer.Option("--answer", help="The answer to grade.")] = None,
    scorer: Annotated[str, typer.Option("--scorer", help="offline, llm or fusion.")] = "offline",
    language: Annotated[str, typer.Option("--language", "-l", help="es, en or auto.")] = "auto",
    bank: Annotated[
        Optional[list[Path]], typer.Option("--bank", help="Question bank file or folder (repeatable).")
    ] = None,
) -> None:
    """Score answers: a JSON-lines batch, or one answer to a bank question."""
    from ..bank import QuestionBank
    from ..config import load_settings
    from ..judging.batch import SCORERS, make_scorer, score_lines

    if scorer not in SCORERS:
        raise InterviewerError(f"unknown scorer '{scorer}' (one of: {', '.join(SCORERS)})")
    if language not in ("es", "en", "auto"):
        raise InterviewerError(f"unknown language '{language}' (es, en or auto)")
    if (batch is None) == (question_id is None):
        raise InterviewerError("give either --batch FILE or --question-id ID --answer TEXT")
    settings = load_settings(banks=bank or None)
    judge = make_scorer(scorer, settings)
    if batch is not None:
        if str(batch) != "-" and not batch.is_file():
            raise InterviewerError(f"{batch}: no such file")
        qbank = _load_bank_quietly(settings.banks or None)
        stream = sys.stdin if str(batch) == "-" else batch.open(encoding="utf-8")
        n = errors = 0
        try:
            for row in score_lines(stream, judge, qbank, language):
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                n += 1
                errors += "error" in row
        finally:
            if stream is not sys.stdin:
                stream.close()
        err_console.print(f"scored {n - errors} answer(s), {errors} error(s) [{scorer}]")
        return
    if answer is None:
        raise InterviewerError("--question-id needs --answer TEXT")
    question = QuestionBank.load(settings.banks or None).get(question_id)
    judgement = judge.judge(question, answer, language)
    _show(question, answer, judgement, language)


def _load_bank_quietly(paths):
    """The bank for ``question_id`` lookups; a batch of free references works without one."""
    from ..bank import QuestionBank
    from ..errors import BankError

    try:
        return QuestionBank.load(paths)
    except BankError as exc:
        if paths:
            raise
        err_console.print(f"note: no question bank ({exc.line()}); only lines with a reference can be scored")
        return None


def _show(question, answer: str, judgement, language: str) -> None:
    from ..judging.lexical import guess_language
    from ..schema import Turn
    from .display import print_turn

    lang = guess_language(answer, default=language if language in ("es", "en") else "en")
    turn = Turn(index=1, question_id=question.id, category=question.category,
                question_text=question.text.get(lang), answer=answer, answer_language=lang)
    turn.apply(judgement)
    print_turn(console, turn, show_question=True, show_answer=True)
    console.print(f"confidence {judgement.confidence:.2f}", style="dim")
    if judgement.follow_up:
        console.print(f"follow-up: {judgement.follow_up}", style="cyan")
