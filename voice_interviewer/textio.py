"""Typed-answer mode: the interviewer prints, the candidate types.

An empty line ends an answer. Typing ``/skip``, ``/repeat``, ``/stop``, ``/answer`` (the model
answer of the question just judged), ``/retry`` (answer it again) or ``/delivery`` (how it was said)
alone on the first line acts like the spoken commands (``/quit`` is ``/stop``). After the last reaction
one line is read: ``/answer``, ``/retry`` or ``/delivery``, else (Enter) the interview ends. End of input (Ctrl-D, or a closed pipe) stops.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from rich.console import Console

from .language import guess_language
from .ports import AnswerRequest, Clock, MonotonicClock
from .schema import Answer, Timings

STYLES = {
    "question": ("bold cyan", "Interviewer"),
    "follow_up": ("bold cyan", "Interviewer"),
    "reaction": ("yellow", "Interviewer"),
    "summary": ("bold green", "Interviewer"),
    "info": ("dim", "Interviewer"),
    "model_answer": ("green", "Interviewer"),
}
COMMANDS = {"/skip": "skip", "/repeat": "repeat", "/stop": "stop", "/quit": "stop", "/answer": "answer",
            "/retry": "retry", "/delivery": "delivery"}
END_PROMPT = {"en": "/answer, /retry, /delivery, or Enter to finish", "es": "/answer, /retry, /delivery o Enter para terminar"}


class ConsoleSpeaker:
    """Shows what the interviewer says; returns the clock time it was shown."""

    def __init__(self, console: Console, clock: Clock | None = None):
        self.console = console
        self.clock = clock or MonotonicClock()

    def say(self, text: str, *, kind: str, language: str, save_to: Path | None = None) -> float:
        style, who = STYLES.get(kind, ("", "Interviewer"))
        if kind in ("question", "follow_up"):
            self.console.print()
        started = self.clock.now()
        self.console.print(f"[{style}]{who}:[/] {text}", highlight=False)
        return started


class TypedAnswers:
    """Reads answers from a text stream (stdin by default)."""

    def __init__(self, console: Console, stream: TextIO | None = None, clock: Clock | None = None):
        self.console = console
        self.stream = stream or sys.stdin
        self.clock = clock or MonotonicClock()

    def get_answer(self, request: AnswerRequest) -> Answer:
        if request.end_moment:
            return self._last_command(request)
        prompt = "Tu respuesta" if request.language == "es" else "Your answer"
        self.console.print(f"[dim]{prompt} (empty line to finish; /repeat /skip /stop /answer /retry /delivery):[/]")
        request.on_listening()
        start = self.clock.now()
        lines: list[str] = []
        while True:
            line = self.stream.readline()
            if line == "":  # end of input
                if not lines:
                    return Answer(command="stop", timings=Timings(listening_start=start))
                break
            line = line.rstrip("\n")
            if not line.strip():
                if lines:
                    break
                continue
            if not lines and line.strip().lower() in COMMANDS:
                return Answer(command=COMMANDS[line.strip().lower()], timings=Timings(listening_start=start))
            lines.append(line)
        end = self.clock.now()
        return Answer(
            text="\n".join(lines),
            language=guess_language(" ".join(lines)) if request.language == "auto" else request.language,
            timings=Timings(listening_start=start, endpoint=end, transcript_ready=end),
        )

    def _last_command(self, request: AnswerRequest) -> Answer:
        """After the last reaction: one line; a command acts, anything else (Enter) ends."""
        self.console.print(f"[dim]{END_PROMPT['es' if request.language == 'es' else 'en']}:[/]")
        request.on_listening()
        start = self.clock.now()
        line = self.stream.readline().strip()
        return Answer(command=COMMANDS.get(line.lower(), "stop"), timings=Timings(listening_start=start))
