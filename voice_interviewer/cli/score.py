"""``voice-interviewer score``: grade answers without an interview.

``--batch IN.jsonl`` writes one JSON line per input line to stdout, in order (a bad line
gives ``{"id", "error"}``); ``--question-id ID --answer "…"`` shows one judgement.
"""

from __future__ import annotations

import json
import re
import sys
from collections import deque
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InterviewerError
from .app import app, console, err_console, write_stdout


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
    from ..judging.batch import SCORERS, make_scorer
    from ..limits import limit_words

    if scorer not in SCORERS:
        raise InterviewerError(f"unknown scorer '{scorer}' (one of: {', '.join(SCORERS)})")
    if language not in ("es", "en", "auto"):
        raise InterviewerError(f"unknown language '{language}' (es, en or auto)")
    if (batch is None) == (question_id is None):
        raise InterviewerError("give either --batch FILE or --question-id ID --answer TEXT")
    settings = load_settings(banks=bank or None)
    if batch is not None and str(batch) != "-" and not batch.is_file():
        raise InterviewerError(f"{batch}: no such file")
    qbank = (_load_bank_quietly(settings.banks or None, settings.max_bank_mb) if batch is not None
             else QuestionBank.load(settings.banks or None, settings.max_bank_mb))
    # the bank's other questions tell the judge when an answer belongs to another question (off-topic)
    background = list(qbank.questions.values()) if qbank is not None else []
    judge = limit_words(make_scorer(scorer, settings, background), settings.max_answer_words)
    if batch is not None:
        try:
            stream = sys.stdin.buffer if str(batch) == "-" else batch.open("rb")
        except OSError as exc:
            raise InterviewerError(f"cannot read {batch}: {exc.strerror or exc}") from None
        n = errors = 0
        try:
            for row in _scored(stream, judge, qbank, language):
                _write_line(row)
                n += 1
                errors += "error" in row
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        err_console.print(f"scored {n - errors} answer(s), {errors} error(s) [{scorer}]")
        return
    if answer is None:
        raise InterviewerError("--question-id needs --answer TEXT")
    question = qbank.get(question_id)
    judgement = judge.judge(question, answer, language)
    _show(question, answer, judgement, language)


MAX_LINE_BYTES = 1024 * 1024  # a longer batch line is reported, not read into memory


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _without_lone_surrogates(line: str) -> str:
    """A JSON line whose ``\\udXXX`` escapes leave a lone surrogate is rewritten with U+FFFD
    in its place (such text cannot be encoded, so no judge could read it)."""
    if not _SURROGATE_ESCAPE.search(line):
        return line
    try:
        data = json.loads(line)
    except ValueError:
        return line  # the scorer reports it as invalid JSON
    text = json.dumps(data, ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _has_surrogates(text) else line


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _decoded_lines(stream, bad: dict[int, dict], good: deque[int]):
    """Text lines from a byte stream. A line that is not UTF-8 or too long gets an error row in
    ``bad`` (by line number) and is given to the scorer as an empty line, which it skips but
    counts; the numbers of the lines it will answer go to ``good``, in order."""
    from ..judging.batch import is_blank

    n = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        n += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                raw = stream.readline(MAX_LINE_BYTES)
            bad[n] = {"id": f"line-{n}", "error": f"line {n}: longer than {MAX_LINE_BYTES // 1024} kB"}
            yield ""
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[n] = {"id": f"line-{n}",
                      "error": f"line {n}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"}
            yield ""
            continue
        if not is_blank(text):
            good.append(n)
        yield _without_lone_surrogates(text)


def _scored(stream, judge, bank, language):
    """Result rows in input order, with the error rows of lines that could not be decoded."""
    from ..judging.batch import score_lines

    bad: dict[int, dict] = {}
    good: deque[int] = deque()
    for row in score_lines(_decoded_lines(stream, bad, good), judge, bank, language):
        n = good.popleft()  # one row per non-empty line, in order
        for m in sorted(k for k in bad if k < n):
            yield bad.pop(m)
        yield row
    for m in sorted(bad):
        yield bad[m]


def _write_line(row: dict) -> None:
    """One JSON line as UTF-8 whatever the locale; a lone surrogate is written as its JSON escape."""
    write_stdout(json.dumps(row, ensure_ascii=False) + "\n")


def _load_bank_quietly(paths, max_mb: float):
    """The bank for ``question_id`` lookups; a batch of free references works without one."""
    from ..bank import QuestionBank
    from ..errors import BankError

    try:
        return QuestionBank.load(paths, max_mb)
    except BankError as exc:
        if paths:
            raise
        err_console.print(f"note: no question bank ({exc.line()}); only lines with a reference can be scored")
        return None


def _show(question, answer: str, judgement, language: str) -> None:
    from ..language import clamp_language, guess_language
    from ..schema import Turn
    from .display import print_turn

    lang = guess_language(answer, default=clamp_language(language))
    turn = Turn(index=1, question_id=question.id, category=question.category,
                question_text=question.text.get(lang), answer=answer, answer_language=lang)
    turn.apply(judgement)
    print_turn(console, turn, show_question=True, show_answer=True)
    console.print(f"confidence {judgement.confidence:.2f}", style="dim")
    if judgement.follow_up:
        console.print(f"follow-up: {judgement.follow_up}", style="cyan")
