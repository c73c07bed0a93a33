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

from .transcript import Transcriber

MAX_SPEECH_S = 120.0  # longer recordings are not heard again: the pass would outlast the reaction


class WholeFilePass:
    """Starts whole-recording Whisper passes, one background thread each."""

    def __init__(self, transcriber: Transcriber, max_s: float = MAX_SPEECH_S):
        self.transcriber = transcriber
        self.max_s = max_s

    def start(self, path: Path, language: str | None, context: str | None = None,
              duration_s: float | None = None) -> Callable[[float], str | None] | None:
        """Transcribe ``path`` in the background; the callable returned waits up to its argument
        (seconds) and gives the text, or None when the pass failed or is not done. None when
        the recording is missing or longer than ``max_s``."""
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
            return box.get("text")

        return text
