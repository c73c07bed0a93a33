"""A second hearing of a finished answer: one Whisper pass over its whole recording.

The live transcript is decoded in chunks cut at the candidate's pauses, so that the reply can
come soon after the answer ends; Whisper reads the whole recording at once better (it hears each
word with what comes after it). That pass takes about a second per 20 s of speech on one core,
too long to wait for before the reaction, so ``WholeFilePass.start`` runs it in the background
while the reaction plays; the interview then judges the answer again on that text
(``Interview._heard_again``). Measured in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from .cleanup import loop_start, token
from .transcript import Transcriber

MAX_SPEECH_S = 120.0  # longer recordings are not heard again: the pass would outlast the reaction
# the second hearing is kept only with between these shares of the live transcript's words: fewer,
# Whisper skipped speech; many more, its decoder locked onto its own output
MIN_SHARE, MAX_SHARE = 0.85, 1.5


def replaces(again: str, live: str) -> bool:
    """Whether the second hearing ``again`` should replace the ``live`` transcript: it reads other
    words, not far fewer or far more, and loops ("to- to- to- …") only where the live one does."""
    heard, said = _tokens(again), _tokens(live)
    if not heard or heard == said:
        return False
    if not said:
        return True
    if not MIN_SHARE * len(said) <= len(heard) <= MAX_SHARE * len(said):
        return False
    return loop_start(heard) is None or loop_start(said) is not None


def _tokens(text: str) -> list[str]:
    return [t for t in (token(w) for w in text.split()) if t]


class WholeFilePass:
    """Starts whole-recording Whisper passes, one background thread each."""

    def __init__(self, transcriber: Transcriber, max_s: float = MAX_SPEECH_S):
        self.transcriber = transcriber
        self.max_s = max_s

    def start(self, path: Path, language: str | None, live: str, context: str | None = None,
              duration_s: float | None = None) -> Callable[[float], str | None] | None:
        """Transcribe ``path`` in the background; the callable returned waits up to its argument
        (seconds) and gives the text when it ``replaces`` the ``live`` transcript, else None (also
        when the pass failed or is not done). None when the recording is missing or longer than
        ``max_s``."""
        if not path.is_file() or (duration_s is not None and duration_s > self.max_s):
            return None
        box: dict[str, str] = {}

        def run() -> None:
            try:
                box["text"] = self.transcriber.transcribe(path, language or "auto", context=context).text.strip()
            except Exception:  # noqa: BLE001 - the live transcript stands
                pass

        thread = threading.Thread(target=run, name="whole-file-pass", daemon=True)
        thread.start()

        def text(timeout: float) -> str | None:
            thread.join(timeout)
            again = box.get("text")
            return again if again is not None and replaces(again, live) else None

        return text
