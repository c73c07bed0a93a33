"""Turn-taking cues through the virtual microphone (real audio, real Whisper, VAD and turn model):
a spoken closer ends the answer promptly, "let me think" holds the floor through a 4 s pause,
Enter (``Listener.finish_answer``) ends an answer, and delivery counts the pauses heard.

The speech is natural voices (tests/data/said, made by make_said.py) with silences put between clips."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from test_capture import Playback, normalise, request
from stt_paths import STT_DATA, retry_once
from voice_interviewer.judging.delivery import measure
from voice_interviewer.sound import SAMPLE_RATE

pytestmark = [pytest.mark.audio, pytest.mark.model, pytest.mark.slow]

SAID_DIR = Path(__file__).parent / "data" / "said"
CLOSER = {"en": "that's it", "es": "eso es todo"}  # what closed-answer ends with


def speech(tmp_path, language: str, *parts: str | float) -> tuple:
    """The natural-voice clips named by the text parts (keys of said.yaml) with the float parts
    as seconds of silence between them, as a 16 kHz mono WAV; returns (path, seconds)."""
    pieces = []
    for part in parts:
        if isinstance(part, float):
            pieces.append(np.zeros(int(part * SAMPLE_RATE), np.float32))
            continue
        audio, rate = sf.read(str(SAID_DIR / language / f"{part}.opus"), dtype="float32")
        assert rate == SAMPLE_RATE
        pieces.append(audio)
    audio = np.concatenate(pieces)
    path = tmp_path / "speech.wav"
    sf.write(str(path), audio, SAMPLE_RATE, subtype="PCM_16")
    return path, len(audio) / SAMPLE_RATE


@retry_once
@pytest.mark.parametrize("language", ["en", "es"])
def test_a_spoken_closer_ends_the_answer_promptly(make_listener, mic, tmp_path, language):
    wav, _ = speech(tmp_path, language, "closed-answer")
    # without a closer this answer could only end after 8 s of silence: the turn model's quick
    # end is switched off (no probability reaches 1.0) and the pause limit is long
    listener = make_listener(turn_threshold=1.0, max_pause_s=8.0)
    play = Playback(mic, wav)
    answer = listener.get_answer(request(tmp_path, play, language))
    play.thread.join(timeout=30)
    t = answer.timings
    assert t.endpoint - t.speech_end < 3.0, (t.endpoint - t.speech_end, answer.text)
    assert normalise(answer.text).endswith(CLOSER[language]), answer.text


@retry_once
@pytest.mark.parametrize("language", ["en", "es"])
def test_let_me_think_holds_the_floor_through_a_4_s_pause(make_listener, mic, tmp_path, language):
    wav, seconds = speech(tmp_path, language, "think-ask", 4.0, "think-rest")
    play = Playback(mic, wav)
    answer = make_listener(think_s=10.0).get_answer(request(tmp_path, play, language))  # max_pause_s 3 s
    play.thread.join(timeout=30)
    words = answer.words
    gap, at = max((b["start"] - a["end"], i) for i, (a, b) in enumerate(zip(words, words[1:])))
    # the answer after the pause was heard
    assert gap > 3.3 and len(words) - at - 1 >= 3, answer.text
    assert answer.timings.endpoint >= play.ended - 0.5
    assert answer.timings.speech_end - answer.timings.speech_start > seconds - 1.0
    # the thinking pause is in the words, and delivery counts it
    pauses = measure(answer.text, language, words=answer.words).long_pauses
    assert any(p > 3.3 for p in pauses), (pauses, answer.text)


@retry_once
def test_the_same_4_s_pause_without_asking_for_time_ends_the_answer(make_listener, mic, tmp_path):
    (tmp_path / "first").mkdir()
    _, first_s = speech(tmp_path / "first", "en", "regularization-helps")
    wav, _ = speech(tmp_path, "en", "regularization-helps", 4.0, "think-rest")
    play = Playback(mic, wav)
    answer = make_listener(think_s=10.0).get_answer(request(tmp_path, play, "en"))
    play.thread.join(timeout=30)
    assert answer.timings.endpoint < play.ended - 1.0  # ended in the pause
    assert answer.timings.speech_end - answer.timings.speech_start < first_s + 0.3, answer.text


@retry_once
def test_enter_ends_the_answer_and_delivery_counts_its_pause(make_listener, mic, tmp_path):
    # "... collect more data, and then" + 2 s + "add dropout and weight decay to the network."
    listener = make_listener(turn_threshold=1.0, max_pause_s=10.0)  # no end of its own for 10 s
    play = Playback(mic, STT_DATA / "en_pause.wav")
    pressed: list[float] = []

    def on_listening():
        play()

        def press_enter():
            play.thread.join()
            time.sleep(0.8)
            pressed.append(time.monotonic())
            listener.finish_answer()  # what the CLI does for a line read from the terminal

        threading.Thread(target=press_enter, daemon=True).start()

    answer = listener.get_answer(request(tmp_path, on_listening, "en"))
    assert pressed and 0 <= answer.timings.endpoint - pressed[0] < 0.3
    # the words after the 2 s pause were heard ("dropout" comes back as "drop out" too; "network" is
    # often misheard as "an ad work")
    assert "drop" in normalise(answer.text), answer.text
    pauses = measure(answer.text, "en", words=answer.words).long_pauses
    assert len(pauses) == 1 and 1.5 <= pauses[0] < 3.0, (pauses, answer.words)  # 2 s of silence
    listener.finish_answer()  # between answers: nothing to end, nothing breaks
