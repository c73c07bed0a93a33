"""Audio playback for the interviewer's voice (sounddevice), with first-sample timing."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from ..errors import DeviceError
from ..ports import Clock, MonotonicClock
from ..sound import import_sounddevice

NO_TTS_HINT = "use --no-tts to read the questions instead"


class Player(Protocol):
    def play_clips(
        self, clips: Iterable[tuple[Any, int]], on_start: Callable[[float], None] | None = None
    ) -> tuple[float, float]:
        """Play clips back to back; returns (first audio, end) on the session clock."""
        ...


class SoundDevicePlayer:
    """Plays WAV files on the default (or a chosen) output with sounddevice.

    The first-audio time is the clock time of the first output callback plus the
    output latency PortAudio reports for the stream; ``play`` returns once that time plus
    the clip's duration has passed, so the last sample has been handed to the device.

    ``stop()`` (from any thread) silences the clip being played: the next output callback
    writes silence and ends the stream, ``play_clips`` returns at once and ``stopped_at``
    holds the time the sound stopped (that callback's time plus the output latency).
    """

    def __init__(self, device: str | int | None = None, clock: Clock | None = None):
        self.device = device
        self.clock = clock or MonotonicClock()
        self._sd = None
        self._stop = threading.Event()
        self.stopped_at: float | None = None  # set when the last play_clips was cut short

    def stop(self) -> None:
        """Cut the clips being played short; called before they start, they do not sound."""
        self._stop.set()

    def rearm(self) -> None:
        """Forget a ``stop()`` that came after the clips ended."""
        self._stop.clear()

    def _sounddevice(self):
        if self._sd is None:
            self._sd = import_sounddevice("no audio output", hint=NO_TTS_HINT)
        return self._sd

    def check(self) -> str:
        """The output device name; DeviceError when there is none."""
        sd = self._sounddevice()
        try:
            info = sd.query_devices(self.device, kind="output")
        except (ValueError, sd.PortAudioError) as exc:
            raise DeviceError(f"no audio output device: {exc}", hint=NO_TTS_HINT) from None
        return str(info["name"])

    def warm(self) -> None:
        """Open the output once (the first stream of a process is the slowest to open)."""
        import numpy as np

        self.play_array(np.zeros((int(22050 * 0.15), 1), dtype="float32"), 22050)

    def play(self, path: Path, on_start: Callable[[float], None] | None = None) -> tuple[float, float]:
        import soundfile as sf

        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return self.play_array(data, rate, on_start)

    def play_array(self, data, rate: int, on_start: Callable[[float], None] | None = None) -> tuple[float, float]:
        return self.play_clips([(data, rate)], on_start)

    def play_clips(
        self, clips: Iterable[tuple[Any, int]], on_start: Callable[[float], None] | None = None
    ) -> tuple[float, float]:
        """Play ``(frames × channels float32 array, rate)`` clips back to back on one stream.

        ``clips`` is consumed in this thread while earlier clips play, so the next one can
        still be in the making (sentence by sentence synthesis). All clips share the first
        one's rate and channels. Returns (first audio, end) on the session clock: the first
        callback's time plus the reported output latency, and the time the last real frame
        leaves the device; returns after that end.
        """
        sd = self._sounddevice()
        it = iter(clips)
        head = next(it, None)
        if head is None:
            now = self.clock.now()
            return now, now
        data, rate = head
        pending: deque = deque([data])
        lock = threading.Lock()
        state: dict[str, Any] = {"first": None, "end": None, "offset": 0, "done": False}
        finished = threading.Event()
        latency = [0.0]
        self.stopped_at = None

        def callback(out, frames, _time, _status):
            now = self.clock.now()
            if self._stop.is_set():  # cut short: what was handed out before still sounds
                out[:] = 0
                self.stopped_at = now + latency[0]
                raise sd.CallbackAbort
            if state["first"] is None:
                state["first"] = now + latency[0]
            filled = 0
            with lock:
                while filled < frames and pending:
                    clip, offset = pending[0], state["offset"]
                    take = min(frames - filled, len(clip) - offset)
                    out[filled : filled + take] = clip[offset : offset + take]
                    filled += take
                    state["offset"] = offset + take
                    if state["offset"] >= len(clip):
                        pending.popleft()
                        state["offset"] = 0
                drained = state["done"] and not pending
            out[filled:] = 0  # a clip still in the making: a short gap
            if filled:
                state["end"] = now + latency[0] + filled / rate
            if drained:
                raise sd.CallbackStop

        try:
            stream = sd.OutputStream(
                samplerate=rate,
                channels=data.shape[1],
                dtype="float32",
                device=self.device,
                callback=callback,
                finished_callback=finished.set,
            )
        except (ValueError, sd.PortAudioError) as exc:
            raise DeviceError(f"cannot open the audio output: {exc}", hint=NO_TTS_HINT) from None
        latency[0] = float(stream.latency)
        try:
            stream.start()
            for more, _rate in it:
                if self._stop.is_set():
                    break
                with lock:
                    pending.append(more)
            with lock:
                state["done"] = True
            while not finished.wait(0.05):
                pass
            first = state["first"] if state["first"] is not None else self.clock.now()
            if on_start:
                on_start(first)
            end = state["end"] or self.clock.now()
            if self.stopped_at is not None:
                end = self.stopped_at
            now = self.clock.now()
            if end > now:  # the device still holds the tail
                time.sleep(end - now)
        except BaseException:
            stream.abort()  # Ctrl-C: silence at once
            raise
        finally:
            stream.close()
            self._stop.clear()
        return first, max(end, self.clock.now())


def beep(rate: int = 22050, seconds: float = 0.12, hz: float = 880.0):
    """A short, soft tone (with fades) that says "your turn"."""
    import numpy as np

    t = np.arange(int(rate * seconds)) / rate
    tone = 0.25 * np.sin(2 * np.pi * hz * t)
    fade = min(len(t) // 4, int(rate * 0.015))
    ramp = np.linspace(0, 1, fade)
    tone[:fade] *= ramp
    tone[-fade:] *= ramp[::-1]
    return tone.astype("float32").reshape(-1, 1), rate
