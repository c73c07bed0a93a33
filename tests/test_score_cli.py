"""``voice-interviewer score``: the JSON-lines batch contract and the single-answer view."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "voice_interviewer", "score", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout,
    )


@pytest.mark.model
@pytest.mark.slow
def test_batch_keeps_order_and_survives_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "bank-good", "question_id": "bias-variance", "answer":
                    "bias is the error from a model that is too simple so it underfits and variance is how much "
                    "the predictions change with a different training set so it overfits"}),
        "{this is not json",
        json.dumps({"id": "no-reference", "question": "What is a heap?", "answer": "a tree"}),
        json.dumps({"id": 7, "question": "What is a pointer?", "reference":
                    "A pointer is a variable that stores the memory address of another variable.",
                    "answer": "a variable holding the address of some other variable in memory", "language": "en"}),
        json.dumps({"id": "unknown-qid", "question_id": "no-such-question", "answer": "something"}),
        json.dumps({"id": "es-stuffing", "question_id": "bias-variance", "language": "es",
                    "answer": "sesgo varianza sobreajuste subajuste error irreducible regularización"}),
        json.dumps({"question_id": "bias-variance", "answer": "no id here"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_cli("--batch", str(path), "--scorer", "offline", "--language", "auto")
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["bank-good", "line-2", "no-reference", 7, "unknown-qid", "es-stuffing", "line-7"]
    for o in (out[0], out[3], out[5]):
        assert set(o) >= {"id", "score", "scorer", "covered", "missing", "feedback"}
        assert isinstance(o["score"], float) and 0.0 <= o["score"] <= 10.0
        assert o["scorer"] == "offline"
    for o in (out[1], out[2], out[4], out[6]):
        assert set(o) == {"id", "error"} and "\n" not in o["error"]
    assert "invalid JSON" in out[1]["error"]
    assert "reference" in out[2]["error"]
    assert out[0]["score"] >= 5.0 and {"bias", "variance"} <= set(out[0]["covered"])
    assert out[3]["score"] >= 5.0 and out[3]["covered"]
    assert out[5]["score"] <= 3.5
    assert "scored 3 answer(s), 4 error(s)" in r.stderr


@pytest.mark.model
@pytest.mark.slow
def test_single_answer_rich_output():
    r = run_cli("--question-id", "regularization", "--answer",
                "regularization adds a penalty on large weights to the loss so the model does not overfit")
    assert r.returncode == 0, r.stderr
    assert "/10" in r.stdout and "[offline]" in r.stdout
    assert "Regularization adds a penalty" in r.stdout
    assert "Most important missing" in r.stdout
    assert r.stdout.count("✔") >= 1 and r.stdout.count("✘") >= 1


@pytest.mark.unit
def test_bad_invocations_give_one_clear_line(tmp_path):
    r = run_cli("--question-id", "bias-variance", "--answer", "x", "--scorer", "bogus")
    assert r.returncode == 2 and "unknown scorer 'bogus'" in r.stderr and "Traceback" not in r.stderr
    r = run_cli()
    assert r.returncode == 2 and "--batch" in r.stderr
    r = run_cli("--batch", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run_cli("--question-id", "no-such-question", "--answer", "x")
    assert r.returncode == 2 and "unknown question id" in r.stderr
