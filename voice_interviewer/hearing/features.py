"""Whisper-style log-mel features in numpy, as the Smart Turn v3 model expects them.

Same math as the Whisper feature extractor with ``chunk_length=8`` and ``do_normalize=True``:
zero-mean unit-variance waveform, centred reflect-padded STFT (n_fft 400, hop 160, periodic
Hann), power spectrum onto 80 Slaney mel filters (0–8 kHz), log10 floored at 1e-10, the last
frame dropped, clamped to (max − 8), then (x + 4) / 4. Input: exactly 8 s at 16 kHz.
"""

from __future__ import annotations

import numpy as np

from ..sound import SAMPLE_RATE as RATE

N_FFT = 400
HOP = 160
N_MELS = 80
SECONDS = 8
N_SAMPLES = RATE * SECONDS


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64)
    mel = 3.0 * f / 200.0
    log_region = f >= 1000.0
    return np.where(log_region, 15.0 + np.log(np.maximum(f, 1e-12) / 1000.0) * (27.0 / np.log(6.4)), mel)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f = 200.0 * m / 3.0
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), f)


def mel_filters(n_freqs: int = N_FFT // 2 + 1, n_mels: int = N_MELS, rate: int = RATE) -> np.ndarray:
    """Slaney-normalised triangular filters, shape (n_freqs, n_mels)."""
    mels = np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), n_mels + 2)
    edges = _mel_to_hz(mels)
    fft_freqs = np.linspace(0, rate // 2, n_freqs)
    slopes = edges[None, :] - fft_freqs[:, None]
    diff = np.diff(edges)
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    filt = np.maximum(0.0, np.minimum(down, up))
    filt *= (2.0 / (edges[2:] - edges[:-2]))[None, :]
    return filt


_WINDOW = np.hanning(N_FFT + 1)[:-1]  # periodic Hann
_FILTERS = mel_filters()


def fit_last_seconds(audio: np.ndarray, seconds: float = SECONDS, rate: int = RATE) -> np.ndarray:
    """The last ``seconds`` of audio, left-padded with zeros to exactly that length."""
    n = int(seconds * rate)
    x = np.asarray(audio, dtype=np.float32).reshape(-1)[-n:]
    if len(x) < n:
        x = np.concatenate([np.zeros(n - len(x), dtype=np.float32), x])
    return x


def log_mel(audio: np.ndarray) -> np.ndarray:
    """Features of shape (80, 800) from exactly 8 s of 16 kHz audio."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    if len(x) != N_SAMPLES:
        raise ValueError(f"expected {N_SAMPLES} samples, got {len(x)}")
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x.astype(np.float64), (N_FFT // 2, N_FFT // 2), mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * _WINDOW, axis=-1)) ** 2  # (frames, freqs)
    mel = np.maximum(1e-10, power @ _FILTERS).T  # (mels, frames)
    logs = np.log10(mel)[:, :-1]
    logs = np.maximum(logs, logs.max() - 8.0)
    return ((logs + 4.0) / 4.0).astype(np.float32)
