"""``replay``: walk through a session turn by turn, playing the saved audio.

For every turn: the question (its saved audio when there is some), the candidate's
recorded answer, then transcript, score, key points, feedback and delivery. On a
terminal, single keys steer: ``n``/Enter next, ``s`` skip this recording, ``r`` repeat
the turn, ``b`` back one turn, ``q`` quit. Without a terminal it simply walks through.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from ..errors import SessionError
from ..schema import Session, Turn
from . import clips as audio

HELP = "keys: [bold]n[/]/Enter next · [bold]s[/] skip audio · [bold]r[/] repeat · [bold]b[/] back · [bold]q[/] quit"


class Keys(Protocol):
    def poll(self, timeout: float) -> str | None: ...  # a key pressed within timeout, else None

    def wait(self) -> str: ...  # block until a key is pressed


class NoKeys:
    """Not a terminal: nobody steers, the replay walks straight through."""

    interactive = False

    def poll(self, timeout: float) -> str | None:
        time.sleep(timeout)
        return None

    def wait(self) -> str:
        return "n"


class TerminalKeys(AbstractContextManager):
    """Single key presses from a terminal (cbreak mode, restored on exit)."""

    interactive = True

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.fd = self.stream.fileno()
        self._saved = None

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc) -> None:
        import termios

        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def _read(self) -> str:
        ch = os.read(self.fd, 1).decode(errors="ignore")
        if ch == "":  # end of input
            return "q"
        return "n" if ch in ("\n", "\r", " ") else ch.lower()

    def poll(self, timeout: float) -> str | None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        return self._read() if ready else None

    def wait(self) -> str:
        return self._read()


def check_audio(session: Session, session_dir: Path, turns: list[Turn]) -> int:
    """Fail early (AudioError, one line) on a damaged recording; returns how many files play."""
    count = 0
    for turn in turns:
        for rel in (turn.question_audio_file, turn.audio_file):
            path = audio.audio_path(session_dir, rel)
            if path is not None:
                audio.read_audio(path)
                count += 1
    return count


class Replayer:
    def __init__(
        self,
        session: Session,
        session_dir: Path,
        console: Console,
        render_turn: Callable[[Turn], object],
        player_factory: Callable[[], audio.Player] | None,
        keys: Keys,
    ):
        self.session = session
        self.session_dir = session_dir
        self.console = console
        self.render_turn = render_turn
        self.player_factory = player_factory
        self._player: audio.Player | None = None
        self.keys = keys
        self.played: list[str] = []  # files played, in order

    def player(self) -> audio.Player | None:
        if self._player is None and self.player_factory is not None:
            self._player = self.player_factory()
        return self._player

    def _play(self, rel: str | None, label: str) -> str | None:
        """Play one recording; returns a key that ended it early (n/b/q/r), else None."""
        path = audio.audio_path(self.session_dir, rel)
        if path is None or self.player_factory is None:
            return None
        player = self.player()
        length = player.start(path)
        self.played.append(path.name)
        self.console.print(Text(f"▶ {label} ({length:.1f} s)", style="dim"))
        try:
            while player.active():
                key = self.keys.poll(0.05)
                if key in ("s", "n", "b", "q", "r"):
                    player.stop()
                    return None if key == "s" else key
        except KeyboardInterrupt:
            player.stop()
            raise
        return None

    def _turn(self, turn: Turn, position: int, total: int) -> str | None:
        kind = " · follow-up" if turn.is_follow_up else ""
        self.console.print(Rule(f"Turn {turn.index}{kind} ({position}/{total})", align="left"))
        self.console.print(Text(turn.question_text, style="bold cyan"))
        why = self.session.why_asked(turn)
        if why:
            self.console.print(Text(why, style="dim"))
        key = self._play(turn.question_audio_file, "question")
        if key:
            return key
        if turn.skipped:
            self.console.print(Text("skipped", style="dim"))
        else:
            key = self._play(turn.audio_file, "answer")
            if key:
                return key
        self.console.print(self.render_turn(turn))
        return None

    def run(self, only_turn: int | None = None) -> list[str]:
        turns = self.session.turns
        if only_turn is not None:
            turns = [t for t in turns if t.index == only_turn]
            if not turns:
                have = f"1–{len(self.session.turns)}" if self.session.turns else "none"
                raise SessionError(f"session '{self.session.id}' has no turn {only_turn} (turns: {have})")
        if not turns:
            self.console.print(Text("this session has no turns yet", style="dim"))
            return self.played
        if self.player_factory is not None:
            check_audio(self.session, self.session_dir, turns)
        interactive = getattr(self.keys, "interactive", False)
        if interactive:
            self.console.print(HELP)
        i = 0
        while 0 <= i < len(turns):
            key = self._turn(turns[i], i + 1, len(turns))
            if key is None and interactive and i < len(turns) - 1:
                key = self.keys.wait()
            if key == "q":
                break
            if key == "r":
                continue
            i = max(i - 1, 0) if key == "b" else i + 1
        return self.played
