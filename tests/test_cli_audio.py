"""CLI: transcribe (JSON alone on stdout), models list/prepare, bad input → one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stt_paths import STT_DATA


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice_interviewer", *args], capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL, env=env)


@pytest.mark.model
@pytest.mark.slow
def test_transcribe_json_is_alone_on_stdout():
    r = cli("transcribe", str(STT_DATA / "en_sentence.wav"), "--json", "--stt-model", "tiny.en",
            "--threads", "1")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)  # nothing else on stdout
    assert data["language"] == "en" and "overfitting" in data["text"].lower().replace("-", "")
    assert data["words"] and {"word", "start", "end", "probability"} <= set(data["words"][0])
    assert data["segments"] and data["duration"] > 4


@pytest.mark.unit
def test_transcribe_bad_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    r = cli("transcribe", str(bad))
    assert r.returncode == 2
    assert r.stdout == ""
    assert "cannot read audio" in r.stderr and "Traceback" not in r.stderr
    r = cli("transcribe", str(STT_DATA / "en_sentence.wav"), "--language", "fr")
    assert r.returncode == 2 and "unsupported language" in r.stderr


@pytest.mark.unit
def test_models_list_json_and_prepare_unknown(tmp_path):
    r = cli("models", "list", "--json", "--models-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    names = {row["name"] for row in rows}
    assert {"whisper-base", "whisper-tiny.en", "silero-vad", "smart-turn-v3.2"} <= names
    assert not any(row["prepared"] for row in rows)  # empty cache dir
    r = cli("models", "prepare", "no-such-model", "--models-dir", str(tmp_path))
    assert r.returncode == 2 and "unknown model" in r.stderr


@pytest.mark.model
def test_models_prepare_one_into_a_fresh_cache(tmp_path):
    r = cli("models", "prepare", "silero-vad", "--models-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "silero_vad.onnx").stat().st_size == 2_327_524
    assert (tmp_path / "silero_vad.onnx.verified").is_file()
