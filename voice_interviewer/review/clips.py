"""Session audio for review: safe paths, reading, compact Opus embedding, playback.

soundfile (libsndfile) reads the WAVs and writes Ogg/Opus; sounddevice plays them.
Both are imported lazily so listing and exporting sessions need neither.
"""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import AudioError, DeviceError
from ..sound import import_sounddevice, resample

if TYPE_CHECKING:
    import numpy as np

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)  # the sample rates Opus accepts
PLAYBACK_LATENCY_S = 0.5  # output buffer: replay needs no low latency, and this survives a busy CPU


def audio_path(session_dir: Path, rel: str | None) -> Path | None:
    """The turn audio file inside ``session_dir``, or None if not recorded / not there.

    A name that points outside the session folder (e.g. a tampered session.json) is refused.
    """
    if not rel:
        return None
    base = session_dir.resolve()
    path = (base / rel).resolve()
    if base not in path.parents:
        raise AudioError(f"{session_dir.name}: audio path '{rel}' points outside the session folder")
    return path if path.is_file() else None


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate; a damaged file raises AudioError."""
    import numpy as np
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError) as exc:  # LibsndfileError is a RuntimeError
        reason = str(exc).split(":")[-1].strip() or type(exc).__name__
        raise AudioError(f"{path.parent.name}/{path.name}: cannot read audio ({reason})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{path.parent.name}/{path.name}: audio file has no samples")
    return np.ascontiguousarray(data.mean(axis=1, dtype=np.float32)), int(rate)


def opus_bytes(path: Path) -> bytes:
    """The file re-encoded as Ogg/Opus (a few kB per second of speech)."""
    import soundfile as sf

    samples, rate = read_audio(path)
    target = next((r for r in OPUS_RATES if r >= rate), OPUS_RATES[-1])
    samples = resample(samples, rate, target)
    buf = io.BytesIO()
    buf.name = "audio.ogg"
    try:
        sf.write(buf, samples, target, format="OGG", subtype="OPUS")
    except (RuntimeError, ValueError, TypeError) as exc:
        raise AudioError(f"{path.name}: cannot encode Opus audio ({exc})") from None
    return buf.getvalue()


def data_uri(path: Path) -> str:
    """A ``data:`` URI with the audio as base64 Ogg/Opus, for a self-contained page."""
    return "data:audio/ogg;codecs=opus;base64," + base64.b64encode(opus_bytes(path)).decode("ascii")


def duration_s(path: Path) -> float:
    samples, rate = read_audio(path)
    return len(samples) / rate


class ReplayPlayer(Protocol):
    """Plays a recording without blocking; ``active`` says whether it is still playing."""

    def start(self, path: Path) -> float: ...  # returns the clip length in seconds

    def active(self) -> bool: ...

    def stop(self) -> None: ...


class SoundDeviceReplayPlayer:
    """Plays recordings through the default output device with sounddevice (PortAudio).

    (The interviewer's voice is played by ``speaking.playback.SoundDevicePlayer``, which
    blocks and times the first sample; replay only starts, polls and stops.)"""

    def __init__(self, device: str | int | None = None):
        self._sd = import_sounddevice("cannot play audio", hint="use --no-audio")
        self._device = device
        self._until = 0.0

    def start(self, path: Path) -> float:
        samples, rate = read_audio(path)
        try:
            self._sd.play(samples, rate, device=self._device, latency=PLAYBACK_LATENCY_S)
            latency = float(self._sd.get_stream().latency or 0.0)
        except Exception as exc:  # PortAudioError, ValueError for a bad device
            raise DeviceError(f"cannot play audio: {exc}", hint="use --no-audio") from None
        length = len(samples) / rate
        # the stream reports "done" once the last block is handed over; the sound is still
        # in the output buffer for ``latency`` seconds, and starting the next clip drops it
        self._until = time.monotonic() + length + latency
        return length

    def active(self) -> bool:
        return time.monotonic() < self._until

    def stop(self) -> None:
        self._until = 0.0
        self._sd.stop()


# the names replay.py and cli/sessions.py still use
Player = ReplayPlayer
SoundDevicePlayer = SoundDeviceReplayPlayer
