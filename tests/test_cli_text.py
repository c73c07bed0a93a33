"""The typed-answer interview and the review basics, driven as a user would: real subprocesses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
BANK = DATA / "mini-bank.yaml"


def vi(*args, input=None, env=None, cwd=None, timeout=120):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("VOICE_INTERVIEWER_RECORDINGS_DIR", None) if env is None or "VOICE_INTERVIEWER_RECORDINGS_DIR" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "voice_interviewer", *args],
        input=input, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout,
    )


def assert_one_line_error(r):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.mark.model
def test_practice_text_then_sessions_and_replay(tmp_path):
    rec = tmp_path / "rec"
    answers = (
        "Overfitting is when the model memorises noise in the training data\n"
        "so it does not generalise; you see a gap with the validation error\n\n"
        "you move the weights in the opposite direction of the gradient of the loss\n\n"
    )
    r = vi("practice", "--text", "--bank", str(BANK), "--question", "overfitting", "--question", "gradient-descent",
           "--followups", "0", "--scorer", "offline", "--language", "en", "--recordings-dir", str(rec), input=answers)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "out of 10" in r.stdout
    (sid,) = [p.name for p in rec.iterdir()]
    data = json.loads((rec / sid / "session.json").read_text())
    assert data["state"] == "completed" and data["status"]["state"] == "done"
    assert [t["question_id"] for t in data["turns"]] == ["overfitting", "gradient-descent"]
    assert data["turns"][0]["score"] > 5
    assert "memorises noise" in data["turns"][0]["answer"]
    assert '"openai_api_key":' not in json.dumps(data["settings"])

    r = vi("sessions", "--json", "--recordings-dir", str(rec))
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows[0]["id"] == sid and rows[0]["questions"] == 2 and rows[0]["mean_score"] > 0

    r = vi("replay", sid, "--no-audio", "--recordings-dir", str(rec))
    assert r.returncode == 0, r.stderr
    assert "What is overfitting" in r.stdout and "memorises noise" in r.stdout


@pytest.mark.model
def test_recordings_dir_from_environment(tmp_path):
    rec = tmp_path / "env-rec"
    r = vi("practice", "--text", "--bank", str(BANK), "-q", "feature-store", "--followups", "0",
           input="consistency between training and online serving\n\n",
           env={"VOICE_INTERVIEWER_RECORDINGS_DIR": str(rec)})
    assert r.returncode == 0, r.stderr
    assert len(list(rec.iterdir())) == 1
    r = vi("sessions", "--json", env={"VOICE_INTERVIEWER_RECORDINGS_DIR": str(rec)})
    assert len(json.loads(r.stdout)) == 1


@pytest.mark.model
def test_spanish_follow_up_and_end_of_input_stops(tmp_path):
    rec = tmp_path / "rec"
    r = vi("practice", "--text", "--bank", str(BANK), "-q", "overfitting", "-q", "gradient-descent",
           "--followups", "1", "--language", "es", "--recordings-dir", str(rec),
           input="el modelo memoriza el ruido de los datos de entrenamiento\n\n")
    assert r.returncode == 0, r.stderr
    assert "¿Cómo lo detectarías en la práctica?" in r.stdout
    data = json.loads(next(rec.glob("*/session.json")).read_text())
    assert len(data["turns"]) == 1 and data["turns"][0]["answer_language"] == "es"


@pytest.mark.model
def test_config_file_is_read(tmp_path):
    rec = tmp_path / "from-toml"
    (tmp_path / "voice-interviewer.toml").write_text(f'recordings_dir = "{rec}"\nfollowups = 0\nlanguage = "es"\n')
    r = vi("practice", "--text", "--bank", str(BANK), "-q", "feature-store", input="consistencia\n\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(next(rec.glob("*/session.json")).read_text())
    assert data["language"] == "es" and data["settings"]["followups"] == 0


@pytest.mark.parametrize("args, expected", [
    (["practice", "--text", "-q", "no-such-question"], "unknown question id"),
    (["replay", "20000101-000000"], "unknown session"),
    (["replay", "../etc"], "invalid session id"),
    (["practice", "--text", "--language", "fr"], "invalid setting language"),
])
@pytest.mark.unit
def test_bad_input_is_one_clear_line(tmp_path, args, expected):
    r = vi(*args, "--recordings-dir", str(tmp_path), input="")
    assert expected in assert_one_line_error(r)


@pytest.mark.unit
def test_unwritable_recordings_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = vi("practice", "--text", "--bank", str(BANK), "--recordings-dir", str(blocker / "x"), input="")
    assert "not writable" in assert_one_line_error(r)


@pytest.mark.unit
def test_bank_validate_reports_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BANK.read_text().replace("category: system-design", "category: astrology"))
    r = vi("bank", "validate", str(bad))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    line_no = next(i for i, l in enumerate(bad.read_text().splitlines(), 1) if "astrology" in l)
    assert f"{bad}:{line_no}:" in r.stderr and "category" in r.stderr
    r = vi("bank", "validate", str(BANK))
    assert r.returncode == 0 and "3 questions" in r.stdout


@pytest.mark.unit
def test_malformed_yaml_in_practice_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("questions:\n  - id: x\n    text: [unclosed\n")
    r = vi("practice", "--text", "--bank", str(bad), "--recordings-dir", str(tmp_path / "r"), input="")
    line = assert_one_line_error(r)
    assert str(bad) in line and "invalid YAML" in line


@pytest.mark.unit
def test_damaged_session_is_listed(tmp_path):
    (tmp_path / "20240101-000000").mkdir()
    (tmp_path / "20240101-000000" / "session.json").write_text('{"id": 3')
    r = vi("sessions", "--json", "--recordings-dir", str(tmp_path))
    assert r.returncode == 0
    assert json.loads(r.stdout)[0]["state"] == "damaged"
