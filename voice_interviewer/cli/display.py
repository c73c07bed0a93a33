"""Rich rendering of turns and sessions, shared by practice, replay and score."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .. import coaching
from ..hearing.unsure import marked
from ..judging.delivery import pace
from ..review.stats import session_stats
from ..language import clamp_language
from ..schema import KeyPointResult, Question, QuestionPlan, Session, Turn

MARKS = {"covered": ("✔", "green"), "partly": ("◐", "yellow"), "missing": ("✘", "red")}


def score_style(score: float | None) -> str:
    if score is None:
        return "dim"
    return "green" if score >= 7 else "yellow" if score >= 4 else "red"


def key_point_lines(points: list[KeyPointResult]) -> Text:
    text = Text()
    for kp in points:
        mark, style = MARKS.get(kp.verdict, ("?", ""))
        text.append(f" {mark} ", style=style)
        text.append(kp.statement)
        if kp.evidence and kp.verdict != "missing":
            text.append(f'  “{kp.evidence}”', style="dim")
        text.append("\n")
    return text


def delivery_line(turn: Turn) -> Text | None:
    """How the answer was said: pace (slow / comfortable / fast), fillers, long pauses, hedges."""
    d = turn.delivery
    if d is None or not d.words:
        return None
    text = Text("delivery: ", style="bold")
    text.append(f"{d.words} words")
    speed = pace(d.words_per_minute)
    if d.words_per_minute and speed:
        text.append(" · ")
        text.append(f"{d.words_per_minute:.0f} wpm ({speed})", style="green" if speed == "comfortable" else "yellow")
    if d.fillers:
        per_min = f" ({d.fillers_per_minute:.1f}/min)" if d.fillers_per_minute is not None else ""
        text.append(" · fillers: " + ", ".join(f"{w}×{n}" for w, n in d.fillers.items()) + per_min)
    if d.long_pauses:
        text.append(" · ")
        text.append("long pauses: " + ", ".join(f"{p:.1f} s" for p in d.long_pauses), style="yellow")
    if d.hedges:
        text.append(" · hedges: " + ", ".join(f"{w}×{n}" for w, n in d.hedges.items()))
    return text


def answer_text(turn: Turn, style: str = "italic") -> Text:
    """The answer; a word the recogniser was unsure of is marked (underlined, with a "?")."""
    text = Text(style=style)
    for piece, p in marked(turn.answer, turn.unsure_words):
        if p is None:
            text.append(piece)
        else:
            text.append(piece, style="underline yellow")
            text.append("?", style="bold yellow")
    return text


def star_line(turn: Turn) -> Text:
    """STAR: each part ✔ told, ◐ thin, ✘ missing."""
    text = Text("STAR: ", style="bold")
    for part in ("situation", "task", "action", "result"):
        verdict = "missing" if part in turn.star.missing else "partly" if part in turn.star.thin else "covered"
        mark, style = MARKS[verdict]
        text.append(f"{mark} {part}  ", style=style)
    return text


def model_answer_text(turn: Turn) -> Text:
    """The model answer; a sentence stating a point the answer missed is marked ✘."""
    text = Text("model answer: ", style="bold green")
    for sentence, missed in coaching.marked_model_answer(turn):
        if missed:
            text.append("✘ ", style="bold red")
            text.append(sentence, style="underline")
        else:
            text.append(sentence)
        text.append(" ")
    return text


def attempt_lines(turn: Turn, before: Turn) -> Text:
    """Attempt ``turn`` against ``before``: score, key points gained and lost, a word diff."""
    change = coaching.retry_change(before, turn)
    text = Text(f"against attempt {before.attempt} (turn {before.index}): ", style="bold")
    if change.score_delta is not None:
        text.append(f"{before.score:.1f} → {turn.score:.1f} ({change.score_delta:+.1f})",
                    style="green" if change.score_delta >= 0 else "red")
    text.append("\n")
    for s in change.gained:
        text.append(" + ", style="green")
        text.append(f"{s}\n")
    for s in change.lost:
        text.append(" - ", style="red")
        text.append(f"{s}\n")
    for op, words in coaching.word_diff(before.answer, turn.answer):
        style = {"added": "bold green", "removed": "red strike"}.get(op, "dim")
        text.append(words + " ", style=style)
    return text


def turn_panel(turn: Turn, show_question: bool = False, show_answer: bool = False,
               show_model_answer: bool = False, before: Turn | None = None) -> Panel:
    """``before``: the previous attempt at the same question (shown against this one)."""
    body: list = []
    if show_question:
        body.append(Text(turn.question_text, style="bold cyan"))
    if show_answer:
        body.append(answer_text(turn) if turn.answer else Text("(no answer)", style="italic"))
    elif turn.unsure_words and turn.answer:  # heard: show what was heard, the doubtful words marked
        body.append(Text.assemble(("heard: ", "dim"), answer_text(turn)))
    if turn.skipped:
        body.append(Text("skipped", style="dim"))
    else:
        body.append(key_point_lines(turn.key_points))
        if turn.feedback:
            body.append(Text(turn.feedback))
        for note in turn.scorer_notes:
            body.append(Text(f"note: {note}", style="magenta"))
        line = delivery_line(turn)
        if line is not None:
            body.append(line)
        if turn.star is not None:
            body.append(star_line(turn))
        if before is not None:
            body.append(attempt_lines(turn, before))
        if show_model_answer and turn.model_answer:
            body.append(model_answer_text(turn))
    score = "—" if turn.score is None else f"{turn.score:.1f}/10"
    title = Text.assemble(
        (f"Turn {turn.index}", "bold"),
        (" (follow-up)" if turn.is_follow_up else "", "dim"),
        (f" attempt {turn.attempt}" if turn.attempt > 1 else "", "bold magenta"),
        "  ",
        (score, score_style(turn.score)),
        (f"  [{turn.scorer}]" if turn.scorer else "", "dim"),
    )
    return Panel(Group(*body), title=title, title_align="left", expand=True)


def summary_table(session: Session) -> Table:
    s = session.summary
    table = Table(title=f"Session {session.id}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    mean = session.mean_score()
    table.add_row("mean score", "—" if mean is None else f"{mean:.1f}/10")
    table.add_row("state", session.state)
    table.add_row("answered", str(session_stats(session).answered))
    if s and s.by_category:
        table.add_row("by category", ", ".join(f"{k} {v:.1f}" for k, v in s.by_category.items()))
    if s and s.wait_p50 is not None:
        table.add_row("wait p50", f"{s.wait_p50:.2f} s")
    return table


def print_turn(console: Console, turn: Turn, **kw) -> None:
    console.print(turn_panel(turn, **kw))


def plan_table(plan: QuestionPlan, questions: list[Question], language: str) -> Table:
    """The questions chosen for a job, in order, and why each one."""
    lang = clamp_language(language)
    es = lang == "es"
    table = Table(title="Preguntas para esta oferta" if es else "Questions for this job", title_justify="left",
                  show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("pregunta" if es else "question", ratio=2)
    table.add_column("por qué" if es else "why", ratio=3)
    for n, (planned, q) in enumerate(zip(plan.questions, questions), 1):
        table.add_row(str(n), Text(f"{q.text.get(lang)} ({q.id})"), Text(planned.reason, style="dim"))
    return table
