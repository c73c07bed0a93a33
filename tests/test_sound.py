"""Resampling and sounddevice access (sound.py), without audio devices."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from voice_interviewer.errors import DeviceError
from voice_interviewer.sound import SAMPLE_RATE, import_sounddevice, resample

pytestmark = pytest.mark.unit  # no model, device, server or browser


def tone(hz: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate).astype(np.float32)


def test_resample_keeps_duration_and_a_tone_and_damps_what_cannot_be_kept():
    x = tone(440, 44100)
    y = resample(x, 44100, SAMPLE_RATE)
    assert y.dtype == np.float32 and len(y) == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1  # 1 Hz bins over 1 s
    high = resample(tone(15000, 44100), 44100, SAMPLE_RATE)  # above 8 kHz: would alias to 1 kHz
    assert np.abs(high).max() < 0.5
    assert resample(x, 44100, 44100) is x and len(resample(x[:1], 44100, 8000)) == 0
    up = resample(tone(440, 8000), 8000, SAMPLE_RATE)
    assert len(up) == SAMPLE_RATE and abs(int(np.argmax(np.abs(np.fft.rfft(up)))) - 440) <= 1


def test_missing_portaudio_is_one_device_error_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(DeviceError, match=r"no audio output: .* \(install libportaudio2\)") as err:
        import_sounddevice("no audio output", hint="use --no-tts")
    assert err.value.hint == "use --no-tts"
    with pytest.raises(DeviceError) as err:
        import_sounddevice()
    assert "--text" in err.value.line()  # DeviceError's own hint when none is given
