"""Delivery counts thinking pauses of 1.5 s and more (Settings.long_pause_s), from word timestamps."""

from __future__ import annotations

import pytest

from voice_interviewer.config import Settings
from voice_interviewer.judging.delivery import measure

pytestmark = pytest.mark.unit

TEXT = " ".join(f"w{i}" for i in range(20))


def timed(gaps: dict[int, float], step: float = 0.4, word_s: float = 0.3) -> list[dict]:
    """One word every ``step`` s; a silence of ``gaps[i]`` s between word i-1 and word i."""
    words, t = [], 0.5
    for i, tok in enumerate(TEXT.split()):
        if i in gaps:
            t = words[-1]["end"] + gaps[i]
        words.append({"word": f" {tok}", "start": round(t, 3), "end": round(t + word_s, 3), "probability": 0.9})
        t += step
    return words


def test_every_thinking_pause_of_one_and_a_half_seconds_or_more_counts():
    pauses = [1.6, 1.7, 1.8, 2.0, 2.1, 2.2, 2.4, 2.5]  # 1 of these 8 was counted at 2.5 s
    gaps = {2 * k + 2: p for k, p in enumerate(pauses)}
    gaps[19] = 1.2  # a breath between sentences is not one
    m = measure(TEXT, "en", words=timed(gaps))
    assert m.long_pauses == pytest.approx(pauses, abs=0.011)
    assert Settings().long_pause_s == 1.5
    assert measure(TEXT, "en", words=timed({5: 1.5})).long_pauses == [1.5]


def test_the_threshold_is_a_setting():
    words = timed({4: 1.6, 9: 2.6})
    assert measure(TEXT, "es", words=words, long_pause_s=2.5).long_pauses == [2.6]
    assert measure(TEXT, "es", words=words, long_pause_s=Settings(long_pause_s=1.0).long_pause_s) == \
        measure(TEXT, "es", words=words, long_pause_s=1.0)
    assert len(measure(TEXT, "es", words=words, long_pause_s=1.0).long_pauses) == 2
    with pytest.raises(ValueError):
        Settings(long_pause_s=0)
