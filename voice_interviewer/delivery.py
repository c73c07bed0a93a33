"""Delivery metrics: how an answer was said (pace, fillers, pauses, hedges)."""

from __future__ import annotations

from .models import DeliveryMetrics


def measure(
    text: str,
    language: str,
    words: list[dict] | None = None,
    duration_s: float | None = None,
) -> DeliveryMetrics:
    """Metrics from the transcript and, when given, word timestamps and audio duration."""
    tokens = text.split()
    wpm = None
    if duration_s and duration_s > 0:
        wpm = round(len(tokens) / duration_s * 60, 1)
    return DeliveryMetrics(words=len(tokens), duration_s=duration_s, words_per_minute=wpm)
