"""Speech synthesis worker: pyttsx3 + espeak-ng in its own long-lived process.

Run as a script (``python tts_worker.py``) by ``tts.WorkerClient``; it imports only the
standard library and pyttsx3, so it starts fast and does not need the package on
``sys.path``. Protocol: one JSON object per line on stdin, one JSON reply per line on the
original stdout (the worker points fd 1 at /dev/null because pyttsx3 prints to it):

    {"op": "synth", "text": ..., "voice": ..., "rate": ..., "path": ...}
        -> {"ok": true, "path": ..., "frames": n, "rate": hz, "synth_s": s}
    {"op": "voices"} -> {"ok": true, "voices": [{"id", "name", "languages", "gender"}]}
    {"op": "ping"}   -> {"ok": true}
    any failure      -> {"ok": false, "error": "one line"}

pyttsx3 2.99 pitfalls handled here: ``runAndWait()`` may return before the utterance is
finished, so each request waits for the ``finished-utterance`` event and then checks the
WAV header before replying. SIGINT is ignored: the parent owns Ctrl-C and terminates the
worker; end of stdin (the parent died) ends the worker.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import wave


def _reply(out, **data) -> None:
    out.write(json.dumps(data) + "\n")
    out.flush()


class Synth:
    def __init__(self) -> None:
        import pyttsx3

        self.engine = pyttsx3.init("espeak")
        self.done = threading.Event()
        self.completed = False
        self.engine.connect("finished-utterance", self._finished)

    def _finished(self, name=None, completed=True) -> None:
        self.completed = bool(completed)
        self.done.set()

    def voices(self) -> list[dict]:
        return [
            {
                "id": v.id,
                "name": v.name,
                "languages": list(v.languages or []),
                "gender": v.gender,
            }
            for v in self.engine.getProperty("voices")
        ]

    def _idle(self, timeout: float = 5.0) -> None:
        """Wait until espeak's synthesis thread is idle.

        The finished-utterance event fires from that thread just before it goes idle; if
        the next ``runAndWait()`` starts inside that window, pyttsx3's ``endLoop`` sees
        "still playing", flags a stop, and the stop then cancels the *next* utterance.
        """
        from pyttsx3.drivers import _espeak

        deadline = time.monotonic() + timeout
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.001)

    def _once(self, text: str, tmp: str) -> bool:
        if os.path.exists(tmp):
            os.remove(tmp)
        self._idle()
        self.done.clear()
        self.completed = False
        self.engine.save_to_file(text, tmp)
        self.engine.runAndWait()
        # runAndWait returns while espeak is still synthesizing: the file is complete
        # only after the finished-utterance event
        if not self.done.wait(timeout=30 + len(text) * 0.05):
            raise RuntimeError("speech synthesis did not finish")
        self._idle()
        return self.completed

    def synth(self, text: str, voice: str | None, rate: int | None, path: str) -> dict:
        if voice:
            self.engine.setProperty("voice", voice)
        if rate:
            self.engine.setProperty("rate", int(rate))
        tmp = f"{path}.part.wav"
        start = time.monotonic()
        attempts = 0
        while not self._once(text, tmp):
            attempts += 1  # a stale stop cancelled it (see _idle): once more
            if attempts >= 3:
                raise RuntimeError("speech synthesis was cancelled")
        with wave.open(tmp, "rb") as w:
            frames, hz = w.getnframes(), w.getframerate()
        os.replace(tmp, path)
        return {
            "path": path,
            "frames": frames,
            "rate": hz,
            "synth_s": time.monotonic() - start,
            "retries": attempts,
        }


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pyttsx3 prints "Audio saved to ..." on stdout
    try:
        synth = Synth()
    except Exception as exc:  # espeak-ng library missing, broken install, ...
        _reply(out, ok=False, error=f"cannot start pyttsx3/espeak-ng: {exc}", fatal=True)
        return 1
    _reply(out, ok=True, ready=True, pid=os.getpid())
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "synth":
                _reply(out, ok=True, **synth.synth(req["text"], req.get("voice"), req.get("rate"), req["path"]))
            elif op == "voices":
                _reply(out, ok=True, voices=synth.voices())
            elif op == "ping":
                _reply(out, ok=True)
            elif op == "quit":
                _reply(out, ok=True)
                break
            else:
                _reply(out, ok=False, error=f"unknown op {op!r}")
        except Exception as exc:
            _reply(out, ok=False, error=f"{type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
