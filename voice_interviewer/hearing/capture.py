"""Microphone capture: a sounddevice callback stream feeding a queue, 16 kHz mono.

``Recorder`` is a context manager: entering opens the input stream (the microphone records
only inside it), ``read()`` hands back blocks in order (after the ``lead_in``: audio recorded
just before, by another stream) and appends them to the WAV file as it
goes (soundfile, flushed about once a second), so a crash keeps the audio recorded so far.
sounddevice is imported lazily; a missing PortAudio or input device becomes a DeviceError.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DeviceError
from ..sound import SAMPLE_RATE, import_sounddevice

BLOCK = 512  # 32 ms: the silero VAD window at 16 kHz


def _device_arg(device: str | int | None):
    if device is None or device == "":
        return None
    if isinstance(device, int):
        return device
    return int(device) if device.strip().isdigit() else device


def list_devices() -> list[dict]:
    """Input and output devices as plain dicts (index, name, inputs, outputs, rate, default)."""
    sd = import_sounddevice()
    try:
        devices = sd.query_devices()
        default_in, default_out = sd.default.device
    except Exception as exc:  # noqa: BLE001 - PortAudioError and friends
        raise DeviceError(f"cannot list audio devices: {exc}") from None
    return [
        {
            "index": i,
            "name": d["name"],
            "inputs": d["max_input_channels"],
            "outputs": d["max_output_channels"],
            "default_samplerate": d["default_samplerate"],
            "default_input": i == default_in,
            "default_output": i == default_out,
        }
        for i, d in enumerate(devices)
    ]


def check_input_device(device: str | int | None = None) -> dict:
    """The input device that would be used; DeviceError if there is none."""
    sd = import_sounddevice()
    try:
        info = sd.query_devices(_device_arg(device), kind="input")
        sd.check_input_settings(device=_device_arg(device), channels=1, samplerate=SAMPLE_RATE,
                                dtype="float32")
    except Exception as exc:  # noqa: BLE001
        which = f"input device {device!r}" if device is not None else "no usable microphone"
        raise DeviceError(f"{which}: {exc}") from None
    return dict(info)


def level_dbfs(block: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64)))) if len(block) else 0.0
    return 20 * np.log10(max(rms, 1e-10))


@dataclass
class Block:
    samples: np.ndarray  # float32, mono
    t_end: float  # clock time at which the block's last sample arrived
    index: int  # sample index of the block's first sample in the recording


class Recorder:
    """Records the microphone into a queue (and a WAV file) between __enter__ and __exit__."""

    def __init__(self, path: Path | str | None = None, *, device: str | int | None = None,
                 samplerate: int = SAMPLE_RATE, blocksize: int = BLOCK, clock=time.monotonic,
                 lead_in: Callable[[float], list[np.ndarray]] | None = None):
        """``lead_in(t)``, called once the stream runs, gives the blocks recorded elsewhere up to
        clock time ``t`` (the candidate's first words, heard while the interviewer spoke)."""
        self.path = Path(path) if path else None
        self.device = _device_arg(device)
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.clock = clock
        self._q: queue.Queue = queue.Queue()
        self._stream = None
        self._file = None
        self._samples = 0
        self._last_flush = 0.0
        self.overflows = 0
        self.started_at: float | None = None
        self.lead_in = lead_in
        self._lead: list[tuple[np.ndarray, float]] = []

    def _callback(self, indata, frames, time_info, status) -> None:
        if status and status.input_overflow:
            self.overflows += 1
        self._q.put((indata[:, 0].copy(), self.clock()))

    def __enter__(self) -> Recorder:
        sd = import_sounddevice()
        if self.path:
            import soundfile as sf

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = sf.SoundFile(str(self.path), "w", samplerate=self.samplerate, channels=1,
                                      subtype="PCM_16", format="WAV")
        try:
            self._stream = sd.InputStream(samplerate=self.samplerate, channels=1, dtype="float32",
                                          blocksize=self.blocksize, device=self.device,
                                          latency="low", callback=self._callback)
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError, ValueError for bad device
            self._close_file()
            which = f"input device {self.device!r}" if self.device is not None else "microphone"
            raise DeviceError(f"cannot open the {which}: {exc}") from None
        self.started_at = self.clock()
        if self.lead_in is not None:
            blocks = self.lead_in(self.started_at)
            left = sum(len(b) for b in blocks)
            for b in blocks:  # times as if this stream had recorded them
                left -= len(b)
                self._lead.append((b, self.started_at - left / self.samplerate))
        return self

    def read(self, timeout: float = 1.0) -> Block | None:
        """The next block (written to the WAV file), or None if none came within ``timeout``."""
        if self._lead:
            samples, t = self._lead.pop(0)
        else:
            try:
                samples, t = self._q.get(timeout=timeout)
            except queue.Empty:
                return None
        block = Block(samples=samples, t_end=t, index=self._samples)
        self._samples += len(samples)
        if self._file is not None:
            self._file.write(samples)
            if t - self._last_flush > 1.0:
                self._file.flush()
                self._last_flush = t
        return block

    @property
    def samples_read(self) -> int:
        return self._samples

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __exit__(self, *exc) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            finally:
                self._stream = None
        # keep what was already delivered, drop nothing: drain the queue into the file
        while True:
            try:
                samples, _ = self._q.get_nowait()
            except queue.Empty:
                break
            if self._file is not None:
                self._file.write(samples)
        self._close_file()


def record_seconds(seconds: float, *, device: str | int | None = None,
                   path: Path | str | None = None) -> np.ndarray:
    """Record a fixed duration (used by ``check``)."""
    out: list[np.ndarray] = []
    need = int(seconds * SAMPLE_RATE)
    with Recorder(path, device=device) as rec:
        got = 0
        deadline = time.monotonic() + seconds + 5
        while got < need and time.monotonic() < deadline:
            b = rec.read(timeout=1.0)
            if b is not None:
                out.append(b.samples)
                got += len(b.samples)
    if not out:
        raise DeviceError("the microphone delivered no audio")
    return np.concatenate(out)[:need]
