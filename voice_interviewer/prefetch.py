"""Background work on a partial answer while the candidate is still speaking.

The judge's ``prefetch`` runs on one worker thread; only the newest partial transcript
is kept, so a slow prefetch never queues up behind the speaker. ``close`` waits for the
running prefetch to end, so the final judgement never runs beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .ports import Judge, Prefetching
from .schema import Question


class Prefetcher:
    def __init__(self, work: Callable[[str], object]):
        self._work = work
        self._cond = threading.Condition()
        self._pending: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="prefetch", daemon=True)
        self._thread.start()

    def submit(self, text: str) -> None:
        with self._cond:
            if not self._closed:
                self._pending = text
                self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                text, self._pending = self._pending, None
            try:
                self._work(text)
            except Exception:  # a failed prefetch only costs the time it would have saved
                pass

    def close(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify()
        self._thread.join(timeout)


def prefetcher_for(judge: Judge, question: Question) -> Prefetcher | None:
    if not isinstance(judge, Prefetching):
        return None
    return Prefetcher(lambda text: judge.prefetch(question, text))
