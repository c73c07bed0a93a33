"""The LLM judge against a real local llama.cpp server (xllamacpp + SmolLM2-135M).

SmolLM2 is far too small to grade well: these tests check the plumbing end to end (real
HTTP, grammar-constrained output, token probabilities, server lifecycle, stored results),
not the quality of its scores (see benchmarks/llm_agreement.py for that).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from voice_interviewer.bank import QuestionBank
from voice_interviewer.config import Settings
from voice_interviewer.judging.llm import LLMJudge
from voice_interviewer.judging.offline import OfflineJudge

pytestmark = [pytest.mark.llm, pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
ANSWER = "Bias is underfitting because the model is too simple, variance is overfitting to noise in the training data."


@pytest.fixture(scope="module")
def question():
    return QuestionBank.load(None).select(ids=["bias-variance"])[0]


def judge_for(server, method: str, **kw) -> LLMJudge:
    settings = Settings(scorer="llm", openai_base_url=server.base_url, llm_timeout=180, llm_retries=0,
                        llm_method=method)
    return LLMJudge.from_settings(settings, fallback=OfflineJudge(), **kw)


def test_probability_judge_on_real_server(local_llm_server, question):
    judge = judge_for(local_llm_server, "auto")
    assert judge.method == "probs"  # loopback endpoint: the small-model method
    for lang in ("en", "es"):
        j = judge.judge(question, ANSWER, lang)
        assert j.scorer == "llm", j.notes
        probs = j.details["digit_probs"]
        assert probs and abs(sum(probs.values()) - 1) < 1e-3 and all(0 <= int(d) <= 5 for d in probs)
        assert 0 <= j.details["llm_score"] <= 10 and j.offline_score is not None
        assert j.score == j.details["llm_score"]
        assert j.details["fused_score"] == pytest.approx((j.details["llm_score"] + j.offline_score) / 2, abs=0.02)
        # a follow-up on the most important missing point: LLM-worded (guarded) or the bank's
        assert j.follow_up_key_point in {k.id for k in question.rubric if k.id not in j.covered}
        assert j.details["follow_up_source"] in {"llm", "bank"}


def test_json_schema_is_enforced_by_the_real_server(local_llm_server, question):
    judge = judge_for(local_llm_server, "structured", follow_ups=False)
    schema = {"type": "object", "additionalProperties": False, "required": ["verdict", "score"],
              "properties": {"verdict": {"type": "string", "enum": ["covered", "partly", "missing"]},
                             "score": {"type": "integer", "minimum": 0, "maximum": 10}}}
    text, _ = judge.endpoint.grade_call(
        lambda fmt: [{"role": "user", "content": f"Grade this answer to '{question.text.en}': {ANSWER}"}],
        schema, temperature=0, max_tokens=60,
    )
    data = json.loads(text)  # constrained decoding: valid JSON of the schema's shape
    assert judge.endpoint.format == "json_schema"
    assert set(data) == {"verdict", "score"} and data["verdict"] in {"covered", "partly", "missing"}
    assert isinstance(data["score"], int) and 0 <= data["score"] <= 10
    j = judge.judge(question, ANSWER, "en")  # the full rubric grade: SmolLM2 may ramble out of tokens
    assert j.scorer == "llm" or any("LLM judge not used" in n for n in j.notes)
    if j.scorer == "llm":
        assert j.details["format"] == "json_schema" and len(j.key_points) == len(question.rubric)


def test_summary_from_real_server_is_plain_text_or_none(local_llm_server, question):
    judge = judge_for(local_llm_server, "probs")
    text = judge.summarize([{"question": question.text.en, "score": 6.0, "missing": ["decomposition"]}], 6.0, "en")
    assert text is None or (text.strip() and "{" not in text and len(text) <= 800)


def _run_practice(tmp_path: Path, env_extra: dict, args: list[str], answers: str) -> tuple[subprocess.CompletedProcess, dict]:
    rec = tmp_path / "rec"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VOICE_INTERVIEWER_LLM_TIMEOUT": "240", "COLUMNS": "200",
           **env_extra}
    env.pop("OPENAI_API_KEY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "voice_interviewer", "practice", "--text", "--scorer", "llm", "-q", "bias-variance",
         "--recordings-dir", str(rec), *args],
        input=answers, capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, json.loads(next(rec.glob("*/session.json")).read_text())


def test_typed_practice_loop_stores_llm_results(local_llm_server, tmp_path):
    proc, session = _run_practice(
        tmp_path, {"OPENAI_BASE_URL": local_llm_server.base_url}, ["--followups", "1"],
        f"{ANSWER}\n\nI would say the error has three parts.\n\n",
    )
    assert session["state"] == "completed" and session["scorer"] == "llm"
    first = session["turns"][0]
    assert first["scorer"] == "llm" and 0 <= first["score"] <= 10 and first["offline_score"] is not None
    assert len(session["turns"]) == 2 and session["turns"][1]["is_follow_up"]
    assert " ".join(session["turns"][1]["question_text"].split()) in " ".join(proc.stdout.split())


def _our_children(marker: str) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker in (d / "cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(d.name))
            except OSError:
                pass
    return pids


def test_local_llm_flag_starts_and_stops_its_own_server(tmp_path):
    models = tmp_path / "models"  # a private cache: the model is prepared (sha256-checked) here
    _, session = _run_practice(
        tmp_path, {"VOICE_INTERVIEWER_MODELS_DIR": str(models), "OPENAI_BASE_URL": ""},
        ["--local-llm", "--followups", "0"], f"{ANSWER}\n\n",
    )
    assert session["turns"][0]["scorer"] == "llm"
    assert (models / "smollm2-135m-instruct-q4_1.gguf.verified").is_file()
    assert _our_children(str(models)) == []  # the server child is gone


def test_llm_serve_command_serves_until_sigterm(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "voice_interviewer", "llm", "serve", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1"), proc.stderr.read()
        with urllib.request.urlopen(url[:-3] + "/health", timeout=10) as resp:
            assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=60)
    assert rc == 0
    time.sleep(0.5)
    with pytest.raises(OSError):
        urllib.request.urlopen(url[:-3] + "/health", timeout=5)


def test_score_batch_with_llm_scorer_gives_valid_lines(local_llm_server, tmp_path):
    lines = [
        {"id": "bank", "question_id": "bias-variance", "answer": ANSWER, "language": "en"},
        {"id": "ref", "question": "What is a stack?", "reference": "A last-in first-out data structure.",
         "answer": "A structure where the last element pushed is the first one popped."},
        {"id": "es", "question_id": "bias-variance", "answer": "El sesgo es subajuste y la varianza sobreajuste.",
         "language": "es"},
        {"id": "bad", "answer": "no reference and no question id"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_BASE_URL": local_llm_server.base_url,
           "VOICE_INTERVIEWER_LLM_TIMEOUT": "240"}
    env.pop("OPENAI_API_KEY", None)
    for scorer in ("llm", "fusion"):
        proc = subprocess.run([sys.executable, "-m", "voice_interviewer", "score", "--batch", str(src), "--scorer", scorer],
                              capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [o["id"] for o in out] == ["bank", "ref", "es", "bad"]
        assert "error" in out[3]
        for o in out[:3]:
            assert o["scorer"] == scorer, o["notes"]
            assert 0 <= o["score"] <= 10 and o["key_points"]


def test_server_child_exits_when_its_parent_is_killed(tmp_path):
    from voice_interviewer.config import Settings as _S
    from voice_interviewer.judging.llm_server import resolve_gguf

    gguf = resolve_gguf("smollm2-135m", _S().models_dir, progress=False)
    code = ("import sys, time; from pathlib import Path; from voice_interviewer.judging.llm_server import LocalLLMServer\n"
            f"s = LocalLLMServer(Path({str(gguf)!r}), threads=1); s.start(); print(s.proc.pid, flush=True); time.sleep(600)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    child = int(parent.stdout.readline())
    parent.kill()  # no cleanup runs in the parent
    parent.wait(timeout=30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists():
        try:
            if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
                break  # exited, waiting to be reaped by init
        except OSError:
            break
        time.sleep(0.5)
    alive = Path(f"/proc/{child}/stat").exists() and Path(f"/proc/{child}/stat").read_text().split()[2] != "Z"
    assert not alive
