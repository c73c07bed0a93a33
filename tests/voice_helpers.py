"""Helpers for tests that check real audio: reading WAVs, finding a clip in a recording, voiced time,
process state."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.mean(axis=1), rate


def correlate(ref: np.ndarray, rec: np.ndarray, rate: int = 16000) -> tuple[float, float]:
    """Peak normalised cross-correlation of ``ref`` inside ``rec`` (1.0: an exact copy, at any
    level) and where it is (seconds into ``rec``)."""
    n = 1 << (len(ref) + len(rec)).bit_length()
    num = np.fft.irfft(np.fft.rfft(rec, n) * np.conj(np.fft.rfft(ref, n)), n)[: len(rec) - len(ref) + 1]
    c = np.concatenate([[0.0], np.cumsum(rec.astype(np.float64) ** 2)])
    win = c[len(ref):] - c[: len(rec) - len(ref) + 1]
    k = num / np.sqrt(np.maximum(win, 1e-12) * np.sum(ref.astype(np.float64) ** 2))
    i = int(np.argmax(k))
    return float(k[i]), i / rate


def found_in(ref: np.ndarray, rec: np.ndarray, rate: int = 16000, chunk_s: float = 0.5) -> tuple[float, float]:
    """How much of ``ref`` is in ``rec`` and where it starts: each 0.5 s chunk is looked up on
    its own, so a short gap (a buffer underrun on a busy CPU) costs a chunk, not the clip.
    Returns (share of chunks found with correlation > 0.9 at the clip's place, its start in seconds)."""
    n = int(chunk_s * rate)
    chunks = [ref[i : i + n] for i in range(0, max(len(ref) - n // 2, 1), n)]
    voiced = [k for k, c in enumerate(chunks) if np.sqrt(np.mean(c**2)) >= 1e-3]  # silence matches anywhere
    starts = []
    for k in voiced:
        score, at = correlate(chunks[k], rec, rate)
        if score > 0.9:
            starts.append(at - k * chunk_s)
    if not starts:
        return 0.0, -1.0
    start = float(np.median(starts))
    agreeing = [s for s in starts if abs(s - start) < 0.15]  # chunks found where the clip is
    return len(agreeing) / max(len(voiced), 1), start


def voiced_mask(audio: np.ndarray, rate: int, frame_s: float = 0.02, threshold: float = 0.02) -> np.ndarray:
    """Per 20 ms frame: is the RMS above ``threshold`` (full scale = 1)?"""
    n = int(rate * frame_s)
    frames = len(audio) // n
    if frames == 0:
        return np.zeros(0, dtype=bool)
    chunks = audio[: frames * n].reshape(frames, n)
    return np.sqrt((chunks**2).mean(axis=1)) > threshold


def voiced_seconds(audio: np.ndarray, rate: int) -> float:
    return float(voiced_mask(audio, rate).sum() * 0.02)


def voiced_segments(audio: np.ndarray, rate: int, min_gap_s: float = 0.5) -> list[tuple[float, float]]:
    """(start, end) seconds of voiced stretches, merging gaps shorter than ``min_gap_s``."""
    mask = voiced_mask(audio, rate)
    segments: list[list[float]] = []
    for i, voiced in enumerate(mask):
        if not voiced:
            continue
        t = i * 0.02
        if segments and t - segments[-1][1] < min_gap_s:
            segments[-1][1] = t + 0.02
        else:
            segments.append([t, t + 0.02])
    return [(a, b) for a, b in segments]


def process_gone(pid: int, timeout: float = 5.0) -> bool:
    """True once ``pid`` no longer runs (exited, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return True
        except FileNotFoundError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not process_gone(pid, timeout=0)
