"""The spoken interview end to end: `voice-interviewer practice` on the virtual microphone.

A driver polls session.json's ``status`` and, each time the interview is listening for a
new turn, plays a spoken answer (espeak-ng, ``tests/data/voice/``) into the microphone.
Real TTS, real capture, real endpointing and Whisper, the offline judge.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from voice_helpers import read_wav, voiced_seconds

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "voice"
TURN_TIMINGS = ("speech_end", "endpoint", "transcript_ready", "judged", "reply_audio_start", "wait")

# answer WAV and words its transcript must contain (accents and case ignored)
ANSWERS = {
    "en": [("en-bias-variance.wav", ["variance", "underfitting"]), ("en-regularization.wav", ["weight", "dropout"])],
    "es": [("es-bias-variance.wav", ["modelo", "simple"]), ("es-regularization.wav", ["regularizacion", "penalizacion"])],
}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def heard(word: str, transcript: str, close: float = 0.75) -> bool:
    """``word`` is in the transcript, or a near spelling of it: Whisper base hears espeak-ng
    through the virtual mic with ~10% WER ("underfading", "regularination"). Two words
    written apart count joined ("drop out")."""
    tokens = re.findall(r"[a-z0-9]+", _plain(transcript))
    candidates = tokens + [a + b for a, b in zip(tokens, tokens[1:])]
    return any(SequenceMatcher(None, word, c).ratio() >= close for c in candidates)


@pytest.mark.unit
def test_key_words_are_found_when_heard_and_only_then():
    assert heard("underfitting", "Which means underfading.") and heard("dropout", "use drop out and")
    assert heard("regularizacion", "La regularización añade") and heard("variance", "and variance is")
    assert not heard("variance", "And Marians is how much") and not heard("weight", "gives power way")


def _status(recordings: Path) -> tuple[Path | None, dict | None]:
    for path in recordings.glob("*/session.json"):
        try:
            return path, json.loads(path.read_text())["status"]
        except (OSError, ValueError, KeyError):
            return path, None  # being replaced right now: read again
    return None, None


def _play(mic, wav: Path, errors: list[str]) -> None:
    try:
        mic.play(wav)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(f"playing {wav.name}: {exc}")


def run_spoken_interview(language: str, tmp_path: Path, mic, timeout: float = 600.0):
    recordings = tmp_path / "recordings"
    cmd = [
        sys.executable, "-m", "voice_interviewer", "practice",
        "--question", "bias-variance", "--question", "regularization",
        "--followups", "0", "--scorer", "offline", "--language", language,
        "--recordings-dir", str(recordings),
    ]  # fmt: skip
    out, err = (tmp_path / "stdout.txt").open("w"), (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )  # fmt: skip
    answers = ANSWERS[language]
    answered: set[int] = set()
    player: threading.Thread | None = None
    errors: list[str] = []
    speaker_rec = None
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            assert time.monotonic() < deadline, "interview did not finish in time"
            _, status = _status(recordings)
            if status and status["state"] == "listening" and status["turn"] not in answered:
                turn = status["turn"]
                assert 1 <= turn <= len(answers), status
                if player is not None:
                    player.join()
                answered.add(turn)
                wav = DATA / answers[turn - 1][0]
                player = threading.Thread(target=_play, args=(mic, wav, errors), daemon=True)
                player.start()  # keep polling while the answer plays
            reacting = status and status["state"] == "speaking" and status["turn"] == 1 and 1 in answered
            if reacting and speaker_rec is None:
                speaker_rec = mic.record_speaker(4, tmp_path / "speaker.wav")  # the reaction to turn 1
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        out.close()
        err.close()
        if player is not None:
            player.join(timeout=60)
    assert not errors, errors
    assert speaker_rec is not None, "never saw the interviewer speak after turn 1"
    assert speaker_rec.wait(timeout=60) == 0
    logs = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 0, logs[-3000:]
    session_json, _ = _status(recordings)
    assert session_json is not None
    return json.loads(session_json.read_text()), session_json.parent


@pytest.mark.audio
@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "es"])
def test_spoken_interview_end_to_end(language, mic, tmp_path, whisper_transcriber):
    import jiwer

    session, folder = run_spoken_interview(language, tmp_path, mic)

    assert session["state"] == "completed"
    assert session["mode"] == "voice"
    assert session["status"] == {"state": "done", "turn": 2}
    turns = session["turns"]
    assert [t["question_id"] for t in turns] == ["bias-variance", "regularization"]

    for turn, (_wav, words) in zip(turns, ANSWERS[language]):
        assert all(heard(w, turn["answer"]) for w in words), (words, turn["answer"])
        assert turn["score"] is not None and 0 <= turn["score"] <= 10
        assert turn["reaction"]
        # heard again: Whisper's pass over the whole recording, with the question as context, is
        # what was judged and saved when it read the answer otherwise; the live transcript is kept
        whole = whisper_transcriber.transcribe(folder / turn["audio_file"], language,
                                               context=turn["question_text"]).text.strip()
        if turn.get("live_answer"):
            assert jiwer.wer(whole, turn["answer"]) <= 0.05, (whole, turn["answer"])
            assert any("second hearing" in n for n in turn["scorer_notes"])
        else:
            assert not any("second hearing" in n for n in turn["scorer_notes"])
        for name in (turn["audio_file"], turn["question_audio_file"]):
            assert name and not Path(name).is_absolute()
            audio, rate = read_wav(folder / name)
            assert voiced_seconds(audio, rate) > 1.0, name
        t = turn["timings"]
        missing = [k for k in TURN_TIMINGS if t.get(k) is None]
        assert not missing, (turn["index"], missing)
        assert t["speech_end"] <= t["endpoint"] <= t["transcript_ready"] <= t["judged"] <= t["reply_audio_start"]
        assert t["wait"] == pytest.approx(t["reply_audio_start"] - t["speech_end"], abs=0.01)

    audio, rate = read_wav(tmp_path / "speaker.wav")
    assert voiced_seconds(audio, rate) > 1.0  # the interviewer was heard on the speaker


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.audio
@pytest.mark.model
@pytest.mark.slow
def test_ctrl_c_while_the_question_is_spoken(mic, tmp_path):
    """Ctrl-C mid-question: speech stops, the session is kept as interrupted, no worker left."""
    import signal

    from voice_helpers import process_gone

    recordings = tmp_path / "recordings"
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice_interviewer", "practice", "--question", "bias-variance",
         "--followups", "0", "--language", "en", "--recordings-dir", str(recordings)],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )  # fmt: skip
    deadline = time.monotonic() + 300
    workers: list[int] = []
    try:
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            _, status = _status(recordings)
            if status and status["state"] == "speaking" and status["turn"] == 1:
                break
            time.sleep(0.02)
        workers = _children(proc.pid)
        assert workers, "no speech worker process"
        time.sleep(0.5)  # inside the question's audio
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    session_json, _ = _status(recordings)
    session = json.loads(session_json.read_text())
    assert session["state"] == "interrupted" and session["turns"] == []
    assert all(process_gone(pid) for pid in workers)
