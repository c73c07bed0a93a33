"""Speech output with the real pyttsx3 + espeak-ng, heard on the virtual speaker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from voice_interviewer.errors import ConfigError
from voice_interviewer.speaking.tts import EspeakSpeaker, VoiceInfo, list_voices, pick_voice, split_sentences
from voice_interviewer.textio import ConsoleSpeaker

from voice_helpers import process_gone, read_wav, voiced_seconds, voiced_segments

REPO = Path(__file__).resolve().parents[1]

VOICES = [
    VoiceInfo(id="gmw/en", name="English (Great Britain)", languages=["en-gb"]),
    VoiceInfo(id="gmw/en-us", name="English (America)", languages=["en-us"]),
    VoiceInfo(id="roa/es", name="Spanish (Spain)", languages=["es"]),
    VoiceInfo(id="roa/es-419", name="Spanish (Latin America)", languages=["es-419"]),
]


@pytest.mark.unit
def test_pick_voice_by_language_and_override():
    assert pick_voice(VOICES, "en").id == "gmw/en-us"
    assert pick_voice(VOICES, "es").id == "roa/es"
    assert pick_voice(VOICES, "auto").id == "gmw/en-us"
    assert pick_voice(VOICES[:1] + VOICES[3:], "es").id == "roa/es-419"  # no default: any es voice
    assert pick_voice(VOICES, "en", "es-419").id == "roa/es-419"
    assert pick_voice(VOICES, "en", "English (Great Britain)").id == "gmw/en"
    assert pick_voice(VOICES, "es", "GMW/EN-US").id == "gmw/en-us"
    with pytest.raises(ConfigError, match="unknown voice 'klingon'"):
        pick_voice(VOICES, "en", "klingon")


@pytest.mark.unit
def test_split_sentences_keeps_decimals_and_drops_blanks():
    assert split_sentences("6.7 out of 10. You missed: the L1 penalty.  ") == ["6.7 out of 10.", "You missed: the L1 penalty."]
    assert split_sentences("¿Qué es? ¡Dímelo!") == ["¿Qué es?", "¡Dímelo!"]
    assert split_sentences("   ") == []


@pytest.mark.tts
def test_list_voices_has_both_languages():
    voices = list_voices()
    ids = {v.id for v in voices}
    assert {"gmw/en-us", "roa/es"} <= ids
    assert any(v.speaks("es") for v in voices) and any(v.speaks("en") for v in voices)


@pytest.fixture(scope="module")
def speaker(virtual_audio):
    from rich.console import Console

    sp = EspeakSpeaker("en", printer=ConsoleSpeaker(Console(stderr=True))).start()
    yield sp
    pid = sp.worker.pid
    sp.close()
    assert pid is not None and process_gone(pid)


@pytest.mark.audio
@pytest.mark.slow
def test_two_utterances_in_a_row_are_both_heard(speaker, mic, tmp_path):
    """The pyttsx3 2.99 pitfall: a second utterance right after a first one was silent."""
    q1, q2 = tmp_path / "q1.wav", tmp_path / "q2.wav"
    rec = mic.record_speaker(12, tmp_path / "speaker.wav")
    time.sleep(0.8)
    t0 = time.monotonic()
    first = speaker.say("What is the bias variance trade-off?", kind="question", language="en", save_to=q1)
    t1 = time.monotonic()
    time.sleep(1.0)
    speaker.say("¿Qué es la regularización y para qué sirve?", kind="question", language="es", save_to=q2)
    assert rec.wait(timeout=60) == 0
    assert t0 <= first <= t1  # first audio is reported on the session clock, inside the call

    heard, rate = read_wav(tmp_path / "speaker.wav")
    made = [voiced_seconds(*read_wav(q)) for q in (q1, q2)]
    assert min(made) > 0.8
    assert voiced_seconds(heard, rate) >= 0.8 * sum(made)
    segments = voiced_segments(heard, rate, min_gap_s=0.7)
    assert len(segments) == 2, segments  # two separate utterances, both with sound
    for (start, end), expected in zip(segments, made):
        assert end - start >= 0.8 * expected


@pytest.mark.audio
def test_saved_question_wav_is_speech_in_each_language(speaker, tmp_path):
    for language, text in (("en", "Explain regularization."), ("es", "Explica la regularización.")):
        path = tmp_path / f"turn-01-question-{language}.wav"
        speaker.say(text, kind="question", language=language, save_to=path)
        audio, rate = read_wav(path)
        assert rate == 22050
        assert voiced_seconds(audio, rate) > 0.6
        assert not list(tmp_path.glob("*.part.wav"))
    assert speaker.last is not None and speaker.last.synth_s < 5

    # several sentences are made one by one but saved as one WAV with all of them
    one = tmp_path / "one.wav"
    speaker.say("Seven out of ten.", kind="reaction", language="en", save_to=one)
    both = tmp_path / "both.wav"
    speaker.say("Seven out of ten. You missed the irreducible error.", kind="reaction", language="en", save_to=both)
    assert speaker.last.first_synth_s is not None and speaker.last.first_synth_s <= speaker.last.synth_s
    assert voiced_seconds(*read_wav(both)) > voiced_seconds(*read_wav(one)) + 0.8


CHILD = textwrap.dedent(
    """
    import sys, time
    from voice_interviewer.speaking.tts import EspeakSpeaker
    sp = EspeakSpeaker("en").start()
    print(sp.worker.pid, flush=True)
    try:
        sp.say("This is a long question. " * 30, kind="question", language="en")
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sp.close()
        sys.exit(130)
    """
)


def _start_child(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    worker_pid = int(proc.stdout.readline())
    time.sleep(1.5)  # well inside the (long) utterance's playback
    return proc, worker_pid


@pytest.mark.audio
@pytest.mark.slow
def test_ctrl_c_mid_utterance_stops_and_leaves_no_worker(virtual_audio, tmp_path):
    proc, worker_pid = _start_child(tmp_path)
    assert not process_gone(worker_pid, timeout=0)
    t = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert time.monotonic() - t < 3  # playback stops at once, not after the utterance
    assert proc.returncode == 130 and "interrupted" in out
    assert process_gone(worker_pid)


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_parent_leaves_no_worker(virtual_audio, tmp_path, sig):
    proc, worker_pid = _start_child(tmp_path)
    proc.send_signal(sig)
    proc.wait(timeout=20)
    assert process_gone(worker_pid)  # end of its stdin ends the worker


@pytest.mark.tts
def test_voices_command_lists_defaults_as_json():
    import json

    out = subprocess.run(
        [sys.executable, "-m", "voice_interviewer", "voices", "--json"],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    defaults = {r["default_for"]: r["id"] for r in rows if r["default_for"]}
    assert defaults == {"en": "gmw/en-us", "es": "roa/es"}
    assert all(any(lang.startswith(("en", "es")) for lang in r["languages"]) for r in rows)


@pytest.mark.tts
def test_unknown_voice_is_one_clear_error():
    out = subprocess.run(
        [sys.executable, "-m", "voice_interviewer", "say", "hello", "--voice", "no-such-voice"],
        capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60,
    )  # fmt: skip
    assert out.returncode == 2
    assert "unknown voice 'no-such-voice'" in out.stderr and "Traceback" not in out.stderr
