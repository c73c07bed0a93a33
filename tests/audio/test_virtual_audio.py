"""The audio harness itself (``tests/audio/virtual-audio``): what is played into the virtual
microphone reaches a program recording with sounddevice, what a program plays reaches the
speaker capture, and the speaker is heard by the microphone only while the echo loop is on.
Every check finds the real speech clip in the recording by cross-correlation, 0.5 s at a time
(a buffer underrun on a busy machine costs a piece, not the clip)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from stt_paths import SPEECH_DIR
from voice_helpers import found_in, read_wav

pytestmark = [pytest.mark.audio, pytest.mark.slow]
CLIP = SPEECH_DIR / "sense_and_sensibility_01_austen_64kb-0880.flac"  # 2.99 s of real speech
RATE = 16000


def record_mic_while(action, seconds: float = 5.0) -> np.ndarray:
    """Record the default input (the virtual microphone) with sounddevice while ``action`` runs
    0.5 s into the recording."""
    import sounddevice as sd

    audio = sd.rec(int(seconds * RATE), samplerate=RATE, channels=1, dtype="float32")
    time.sleep(0.5)
    action()
    sd.wait()
    return audio[:, 0]


def test_the_microphone_hears_what_is_played_into_it(mic):
    clip, _ = read_wav(CLIP)
    heard = record_mic_while(lambda: mic.play(CLIP))
    share, at = found_in(clip, heard)
    assert share >= 0.8, share
    assert 0.3 < at < 1.0, at  # played 0.5 s in


def test_the_speaker_capture_holds_what_a_program_played(mic, tmp_path):
    import sounddevice as sd

    clip, _ = read_wav(CLIP)
    rec = mic.record_speaker(5, tmp_path / "speaker.wav")
    time.sleep(0.5)
    sd.play(clip, RATE)
    sd.wait()
    assert rec.wait(timeout=30) == 0
    captured, rate = read_wav(tmp_path / "speaker.wav")
    assert rate == RATE
    share, _ = found_in(clip, captured)
    assert share >= 0.8, share


def test_the_echo_loop_carries_the_speaker_into_the_microphone_only_while_on(mic):
    clip, _ = read_wav(CLIP)

    def speak():  # the clip goes to the speaker, as the interviewer's voice would
        mic.play_speaker(CLIP)

    with mic.echo():
        heard = record_mic_while(speak)
    share, at = found_in(clip, heard)
    assert share >= 0.8, share
    assert 0.3 < at < 1.2, at  # played 0.5 s in, plus the loop's latency

    quiet = record_mic_while(speak)
    assert float(np.abs(quiet).max()) < 1e-3  # loop off: the microphone hears nothing
