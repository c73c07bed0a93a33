"""Audio basics shared by hearing, speaking and review: the sample rate, resampling, and
access to the sound devices.

Everything the microphone records and Whisper, the VAD and the turn model read is 16 kHz mono
float32 (``SAMPLE_RATE``). sounddevice (PortAudio) is imported only by ``import_sounddevice``:
a missing PortAudio library becomes one ``DeviceError`` line, and alsa-lib's diagnostics are
kept off the terminal.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

from .errors import DeviceError

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000
_alsa_handler = None


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Mono float32 ``samples`` at ``rate`` Hz resampled to ``target`` Hz by linear
    interpolation, after a moving-average low-pass when the rate goes down."""
    import numpy as np

    samples = np.asarray(samples, dtype=np.float32)
    if rate == target:
        return samples
    n = int(round(len(samples) * target / rate))
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    if target < rate:  # crude low-pass before decimating: moving average over the ratio
        k = int(np.ceil(rate / target))
        samples = np.convolve(samples, np.ones(k, dtype=np.float32) / k, mode="same")
    t_src = np.arange(len(samples), dtype=np.float64) / rate
    t_dst = np.arange(n, dtype=np.float64) / target
    return np.interp(t_dst, t_src, samples).astype(np.float32)


def quiet_alsa() -> None:
    """Stop alsa-lib printing diagnostics on stderr (through PulseAudio's ALSA plugin it
    prints "snd_pcm_recover underrun occurred" at the end of some streams, harmlessly,
    in the middle of the interview). Errors still reach us as PortAudio errors."""
    global _alsa_handler
    if _alsa_handler is not None:
        return
    try:
        asound = ctypes.cdll.LoadLibrary("libasound.so.2")
    except OSError:
        return
    handler_type = ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
    )
    _alsa_handler = handler_type(lambda *args: None)  # kept alive for the process
    asound.snd_lib_error_set_handler(_alsa_handler)


def import_sounddevice(what: str = "audio unavailable", hint: str | None = None):
    """The sounddevice module; ``DeviceError("<what>: <reason> (install libportaudio2)")``
    when PortAudio (or the package) is missing."""
    try:
        import sounddevice as sd
    except (OSError, ImportError) as exc:  # "PortAudio library not found"
        reason = exc or "sounddevice is not available"
        message = f"{what}: {reason} (install libportaudio2)"
        raise (DeviceError(message, hint) if hint else DeviceError(message)) from None
    quiet_alsa()
    return sd
