"""``bank generate`` through a fake OpenAI-compatible server that answers canned question JSON.

The written file passes ``bank validate`` and loads as a bank; a question that fails the
validator is sent back once with its messages and kept when repaired, dropped with one line when
not; LLM faults and bad input end in one line with nothing written; the API key never reaches the
file or the terminal.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from voice_interviewer.bank import load_file
from voice_interviewer.bank_generation import write_bank
from voice_interviewer.cli import _run
from voice_interviewer.errors import BankError

from llm_fault_server import FaultServer, completion

ROOT = Path(__file__).resolve().parents[1]
CANARY = "sk-canary-5e1d0c9b8a7f6e5d4c3b2a1908f7e6d5"
JOB = """# Senior NLP Engineer

We build document search and question answering for legal teams. You will design retrieval-augmented
generation pipelines (chunking, embeddings, vector search), evaluate answer quality and mentor others.
"""

VALID = {
    "id": "RAG Chunking",
    "category": "system-design",
    "difficulty": "medium",
    "text_en": "How would you choose the chunk size for a retrieval-augmented generation pipeline?",
    "text_es": "¿Cómo elegirías el tamaño de los fragmentos en un sistema de generación aumentada por recuperación?",
    "key_points": [
        {"id": "tradeoff", "weight": 3,
         "statement_en": "Small chunks retrieve precisely but lose context; large chunks keep context but dilute relevance.",
         "statement_es": "Los fragmentos pequeños recuperan con precisión pero pierden contexto; los grandes conservan "
                         "contexto pero diluyen la relevancia.",
         "evidence_en": ["context", "precision", "dilute"], "evidence_es": ["contexto", "precisión", "diluyen"],
         "restatements_en": ["Tiny pieces find the exact spot but miss the surrounding story, big pieces the opposite."],
         "restatements_es": ["Los trozos diminutos encuentran el sitio exacto pero pierden la historia alrededor, y los "
                             "grandes al revés."]},
        {"id": "overlap", "weight": 2,
         "statement_en": "An overlap between neighbouring chunks keeps sentences that cross a boundary.",
         "statement_es": "Un solapamiento entre fragmentos vecinos conserva las frases que cruzan un límite.",
         "evidence_en": ["overlap", "boundary"], "evidence_es": ["solapamiento", "límite"],
         "restatements_en": ["Neighbouring pieces share a few lines so nothing is cut in half."],
         "restatements_es": ["Los trozos vecinos comparten unas líneas para que nada quede cortado por la mitad."]},
        {"id": "evaluate", "weight": 2,
         "statement_en": "The size is chosen by measuring retrieval recall on an evaluation set.",
         "statement_es": "El tamaño se elige midiendo el recall de recuperación en un conjunto de evaluación.",
         "evidence_en": ["recall", "evaluation set"], "evidence_es": ["recall", "conjunto de evaluación"],
         "restatements_en": ["Try a few sizes and keep the one that finds the right passages most often."],
         "restatements_es": ["Prueba varios tamaños y quédate con el que encuentra los pasajes correctos más a menudo."]},
    ],
    "model_answer_en": "Chunk size is a tradeoff: small chunks retrieve precisely but lose context, large chunks keep "
                       "context but dilute relevance. I add an overlap between neighbouring chunks so sentences crossing "
                       "a boundary are kept. Then I pick the size by measuring retrieval recall on an evaluation set of "
                       "real questions.",
    "model_answer_es": "El tamaño de fragmento es un compromiso: los fragmentos pequeños recuperan con precisión pero "
                       "pierden contexto, y los grandes conservan contexto pero diluyen la relevancia. Añado un "
                       "solapamiento entre fragmentos vecinos para conservar las frases que cruzan un límite. Después "
                       "elijo el tamaño midiendo el recall de recuperación en un conjunto de evaluación con preguntas reales.",
    "follow_ups": [{"key_point": "evaluate", "text_en": "How would you measure whether a chunk size works?",
                    "text_es": "¿Cómo medirías si un tamaño de fragmento funciona?"}],
    "red_flags": [
        {"id": "bigger-always-better", "key_point": "tradeoff",
         "claim_en": "Bigger chunks are always better because the model sees more text.",
         "claim_es": "Los fragmentos más grandes siempre son mejores porque el modelo ve más texto.",
         "correction_en": "Bigger chunks keep context but dilute relevance, so retrieval gets less precise.",
         "correction_es": "Los fragmentos grandes conservan contexto pero diluyen la relevancia, así que la "
                          "recuperación es menos precisa.",
         "cues_en": [["bigger | larger", "always better | always best"]],
         "cues_es": [["más grandes | mayores", "siempre son mejores | siempre mejores | siempre mejor"]],
         "rivals": []},
    ],
}


def variant(**changes) -> dict:
    q = copy.deepcopy(VALID)
    q.update(changes)
    return q


def bad_cue() -> dict:
    """VALID with a cue that fires on its own model answer (bank validate rejects it)."""
    q = copy.deepcopy(VALID)
    q["red_flags"][0]["cues_en"].append(["small chunks", "precisely"])
    return q


def reply(q: dict) -> str:
    return json.dumps(q, ensure_ascii=False)


class QuestionServer(FaultServer):
    """Chat requests get the canned replies in order (the last one repeats); a callable reply gets
    the request headers. Other modes are the fault server's."""

    def __init__(self, replies=(), **kwargs):
        super().__init__(**kwargs)
        self.replies = list(replies)

    def respond(self, body, n, headers):
        if self.mode != "ok" or not self.replies:
            return super().respond(body, n, headers)
        r = self.replies[min(n, len(self.replies)) - 1]
        return 200, completion(r(headers) if callable(r) else r)

    def prompts(self) -> list[str]:
        return [json.dumps(r["body"].get("messages"), ensure_ascii=False) for r in self.chat_requests()]


@pytest.fixture
def server():
    with QuestionServer() as s:
        yield s


@pytest.fixture
def job(tmp_path) -> Path:
    path = tmp_path / "nlp-job.md"
    path.write_text(JOB, encoding="utf-8")
    return path


@pytest.fixture
def llm_env(monkeypatch, server):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("VOICE_INTERVIEWER_MODEL", "fake-model")
    monkeypatch.setenv("VOICE_INTERVIEWER_LLM_TIMEOUT", "5")
    monkeypatch.setenv("VOICE_INTERVIEWER_LLM_RETRIES", "1")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = _run(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out and "error: unexpected" not in err, err
    return code, out, err


def generate(capsys, job: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "bank", "generate", "--job", str(job), "-o", str(out), *extra)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


@pytest.mark.unit
def test_generated_bank_passes_validate_loads_and_is_marked(server, llm_env, job, tmp_path, capsys):
    server.replies = [reply(VALID), reply(variant(category="practical"))]
    out = tmp_path / "my-bank.yaml"
    code, stdout, err = generate(capsys, job, out, "--count", "2")
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Interview questions written by fake-model for nlp-job.md")
    assert CANARY not in text
    questions = load_file(out)
    assert [q.id for q in questions] == ["rag-chunking", "rag-chunking-2"]  # the same id twice: made unique
    today = datetime.now(timezone.utc).date()
    for q in questions:
        assert q.generated is not None
        assert (q.generated.by, q.generated.job, q.generated.at) == ("fake-model", "nlp-job.md", today)
        assert len(q.rubric) == 3 and q.red_flags[0].cues.es and q.follow_ups[0].key_point == "evaluate"
    assert run(capsys, "bank", "validate", str(out))[0] == 0
    code, listed, _ = run(capsys, "bank", "list", "--bank", str(out), "--json")
    rows = [json.loads(line) for line in listed.splitlines()]
    assert [r["generated"] for r in rows] == [{"by": "fake-model", "job": "nlp-job.md", "at": today.isoformat()}] * 2
    # one request per question, structured output, the job fenced as data, the second told to avoid the first
    reqs = server.chat_requests()
    assert len(reqs) == 2
    assert reqs[0]["body"]["response_format"]["type"] == "json_schema"
    assert "<job_description>" in server.prompts()[0] and "vector search" in server.prompts()[0]
    assert VALID["text_en"] in server.prompts()[1]


@pytest.mark.unit
def test_spanish_prompts_when_asked(server, llm_env, job, tmp_path, capsys):
    server.replies = [reply(VALID)]
    code, _, err = generate(capsys, job, tmp_path / "b.yaml", "--count", "1", "--language", "es")
    assert code == 0, err
    assert "Escribe una pregunta nueva" in server.prompts()[0]


@pytest.mark.unit
def test_invalid_question_is_repaired_with_the_validators_messages(server, llm_env, job, tmp_path, capsys):
    server.replies = [reply(bad_cue()), reply(VALID)]
    out = tmp_path / "my-bank.yaml"
    code, _, err = generate(capsys, job, out, "--count", "1")
    assert code == 0, err
    assert len(server.chat_requests()) == 2
    repair = server.prompts()[1]
    assert "does not pass the checks" in repair and "fires on the model answer (en)" in repair
    assert [q.id for q in load_file(out)] == ["rag-chunking"]


@pytest.mark.unit
def test_question_still_invalid_after_repair_is_dropped_with_one_line(server, llm_env, job, tmp_path, capsys):
    server.replies = ["sure! {not json", reply(bad_cue()), reply(VALID)]
    out = tmp_path / "my-bank.yaml"
    code, stdout, err = generate(capsys, job, out, "--count", "2")
    assert code == 0, err
    dropped = [line for line in err.splitlines() if "dropped" in line]
    assert dropped == [dropped[0]] and "question 1 dropped after one repair round" in dropped[0]
    assert "fires on the model answer" in dropped[0]
    assert "1 of 2 questions" in stdout
    assert [q.id for q in load_file(out)] == ["rag-chunking"]
    assert run(capsys, "bank", "validate", str(out))[0] == 0


@pytest.mark.unit
def test_red_flag_still_misfiring_after_repair_is_left_out_when_another_is_good(server, llm_env, job, tmp_path,
                                                                               capsys):
    q = copy.deepcopy(VALID)
    q["red_flags"].append({
        "id": "overlap-useless", "key_point": "overlap",
        "claim_en": "Overlap between chunks is useless.", "claim_es": "El solapamiento entre fragmentos es inútil.",
        "correction_en": "Overlap keeps sentences that cross a boundary.",
        "correction_es": "El solapamiento conserva las frases que cruzan un límite.",
        "cues_en": [["overlap", "chunks"]],  # also fires on the model answer
        "cues_es": [["solapamiento", "inútil"]], "rivals": []})
    server.replies = [reply(q)]
    out = tmp_path / "my-bank.yaml"
    code, _, err = generate(capsys, job, out, "--count", "1")
    assert code == 0, err
    assert len(server.chat_requests()) == 2
    [note] = [line for line in err.splitlines() if "question 1" in line]
    assert "kept without red flag(s) overlap-useless: red flag 'overlap-useless': cue ['overlap', 'chunks'] fires" in note
    [kept] = load_file(out)
    assert [f.id for f in kept.red_flags] == ["bigger-always-better"]
    assert run(capsys, "bank", "validate", str(out))[0] == 0


@pytest.mark.unit
def test_red_flag_naming_an_unknown_key_point_is_sent_back_then_left_out(server, llm_env, job, tmp_path, capsys):
    q = copy.deepcopy(VALID)
    q["red_flags"].append({**q["red_flags"][0], "key_point": "no-such-point"})  # the same id, made unique
    server.replies = [reply(q)]
    out = tmp_path / "my-bank.yaml"
    code, _, err = generate(capsys, job, out, "--count", "1")
    assert code == 0, err
    assert ("red flag 'bigger-always-better-2': names none of the key points (tradeoff, overlap, evaluate)"
            in server.prompts()[1])
    assert [f.id for f in load_file(out)[0].red_flags] == ["bigger-always-better"]


@pytest.mark.parametrize("answer", ["I'm sorry, but I can't help with that.", "", reply({"id": "x"})])
@pytest.mark.unit
def test_no_valid_question_writes_nothing(server, llm_env, job, tmp_path, capsys, answer):
    server.replies = [answer]
    out = tmp_path / "my-bank.yaml"
    code, _, err = generate(capsys, job, out, "--count", "2")
    assert code != 0
    assert error_lines(err) == ["error: the LLM wrote no valid question out of 2 (nothing written)"]
    assert len(server.chat_requests()) == 4  # each question asked and repaired once
    assert not out.exists() and list(tmp_path.iterdir()) == [job]


@pytest.mark.parametrize("mode,fragment", [
    ("500", "HTTP 500 from the LLM endpoint"),
    ("429", "rate limited, HTTP 429"),
    ("echo_key", "refused the API key (HTTP 401)"),
    ("not_json_body", "not a chat completion"),
    ("timeout", "timed out after 0.5 s"),
])
@pytest.mark.unit
def test_llm_faults_end_in_one_line_and_nothing_written(server, llm_env, job, tmp_path, capsys, monkeypatch,
                                                        mode, fragment):
    if mode == "timeout":
        server.delay = 2.0
        monkeypatch.setenv("VOICE_INTERVIEWER_LLM_TIMEOUT", "0.5")
    else:
        server.mode = mode
    server.replies = [reply(VALID)]
    out = tmp_path / "my-bank.yaml"
    code, stdout, err = generate(capsys, job, out, "--count", "3")
    assert code != 0
    [line] = error_lines(err)
    assert line.startswith("error: cannot generate questions: ") and fragment in line, line
    assert CANARY not in err + stdout
    assert not out.exists() and list(tmp_path.iterdir()) == [job]


@pytest.mark.unit
def test_without_an_llm_one_line(job, tmp_path, capsys):
    code, _, err = generate(capsys, job, tmp_path / "b.yaml")
    assert code != 0
    assert error_lines(err) == ["error: bank generate needs an LLM (set OPENAI_API_KEY or OPENAI_BASE_URL, "
                                "or use --local-llm)"]
    assert not (tmp_path / "b.yaml").exists()


@pytest.mark.parametrize("content,fragment", [
    (None, "no such job description file"),
    (b"", "the job description is empty"),
    (b"  \n\t\n", "the job description is empty"),
    (b"%PDF-1.7 \x00\x01 binary", "the job description is not a text file"),
    ("folder", "is a folder, not a job description file"),
])
@pytest.mark.unit
def test_bad_job_description_one_line_and_no_request(server, llm_env, tmp_path, capsys, content, fragment):
    job = tmp_path / "job.md"
    if content == "folder":
        job.mkdir()
    elif content is not None:
        job.write_bytes(content)
    code, _, err = generate(capsys, job, tmp_path / "b.yaml")
    assert code != 0
    [line] = error_lines(err)
    assert fragment in line, line
    assert server.chat_requests() == [] and not (tmp_path / "b.yaml").exists()


@pytest.mark.unit
def test_job_read_as_windows_1252_or_cut_says_so_in_one_line(server, llm_env, tmp_path, capsys):
    job = tmp_path / "job.md"
    job.write_bytes("Diseñar sistemas de recuperación y evaluar la calidad de las respuestas.\n".encode("cp1252"))
    server.replies = [reply(VALID)]
    code, _, err = generate(capsys, job, tmp_path / "a.yaml", "--count", "1")
    assert code == 0, err
    assert f"{job}: not UTF-8: read as Windows-1252" in err
    assert "Diseñar sistemas de recuperación" in server.prompts()[0]
    big = tmp_path / "big.md"
    big.write_text("".join(f"Sentence number {i} about retrieval, ranking systems, evaluation sets and the "
                           "offline metrics of answer quality.\n" for i in range(400)))
    code, _, err = generate(capsys, big, tmp_path / "b.yaml", "--count", "1")
    assert code == 0, err
    assert f"{big}: long: only its first " in err and " of 200 sentences used" in err
    prompt = server.prompts()[-1]
    assert "Sentence number 0 about" in prompt and "Sentence number 199 about" not in prompt


@pytest.mark.unit
def test_existing_output_needs_force(server, llm_env, job, tmp_path, capsys):
    server.replies = [reply(VALID)]
    out = tmp_path / "my-bank.yaml"
    out.write_text("mine\n", encoding="utf-8")
    code, _, err = generate(capsys, job, out, "--count", "1")
    assert code != 0 and error_lines(err) == [f"error: {out}: already exists (use --force to replace it)"]
    assert out.read_text(encoding="utf-8") == "mine\n" and server.chat_requests() == []
    code, _, err = generate(capsys, job, out, "--count", "1", "--force")
    assert code == 0, err
    assert [q.id for q in load_file(out)] == ["rag-chunking"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-bank.yaml", "nlp-job.md"]  # no temporary file left


@pytest.mark.unit
def test_key_echoed_by_the_server_never_reaches_the_file(server, llm_env, job, tmp_path, capsys):
    def echo(headers):
        auth = {k.lower(): v for k, v in headers.items()}["authorization"]
        return reply(variant(text_en=f"What does {auth} mean for chunking?", id=auth))

    server.replies = [echo]
    out = tmp_path / "my-bank.yaml"
    code, stdout, err = generate(capsys, job, out, "--count", "1")
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert CANARY not in text and CANARY not in stdout + err
    assert "What does Bearer *** mean for chunking?" in text


@pytest.mark.unit
def test_write_bank_never_leaves_an_invalid_or_partial_file(tmp_path):
    out = tmp_path / "b.yaml"
    with pytest.raises(BankError, match="does not pass validation, nothing written: cue fires"):
        write_bank(out, "questions: []\n", check=lambda p: ["cue fires", "another"])
    assert list(tmp_path.iterdir()) == []
    seen = []
    write_bank(out, "questions: []\n", check=lambda p: seen.append(p.read_text()) or [])
    assert seen == ["questions: []\n"] and out.read_text() == "questions: []\n"
    with pytest.raises(BankError, match="already exists"):
        write_bank(out, "other\n", check=lambda p: [])
    assert out.read_text() == "questions: []\n" and len(list(tmp_path.iterdir())) == 1


@pytest.mark.model
def test_generated_bank_runs_a_typed_practice_session(server, job, tmp_path):
    """The whole path through the installed command: generate, validate, then practise on it."""
    server.replies = [reply(VALID)]
    env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": CANARY,
           "VOICE_INTERVIEWER_MODEL": "fake-model", "PYTHONPATH": str(ROOT)}
    out = tmp_path / "my-bank.yaml"

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "voice_interviewer", *args], input=stdin, capture_output=True,
                              text=True, timeout=300, cwd=tmp_path, env=env)

    r = cli("bank", "generate", "--job", str(job), "-o", str(out), "--count", "1")
    assert r.returncode == 0, r.stderr
    assert cli("bank", "validate", str(out)).returncode == 0
    rec = tmp_path / "rec"
    answer = ("Smaller chunks retrieve precisely but lose context, larger ones keep context but dilute relevance; "
              "I overlap neighbouring chunks and pick the size by retrieval recall on an evaluation set.")
    r = cli("practice", "--text", "--bank", str(out), "--count", "1", "--followups", "0", "--no-tts",
            "--recordings-dir", str(rec), stdin=f"{answer}\n\n")
    assert r.returncode == 0, r.stderr
    session = json.loads(next(rec.glob("*/session.json")).read_text())
    [turn] = session["turns"]
    assert turn["question_id"] == "rag-chunking" and turn["score"] > 5
    assert CANARY not in out.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.llm
def test_real_local_model_through_llama_cpp_gives_valid_questions_or_a_note(local_llm_server, tmp_path):
    """SmolLM2-135M behind llama.cpp: the strict schema is taken as a grammar (no fallback format);
    whatever the tiny model writes, a question is kept only when it passes the validator, and a
    dropped one is one note. Its quality is not asserted (it wrote no valid question in our runs,
    nor did Qwen2.5-Coder-1.5B: see benchmarks/RESULTS.md)."""
    from voice_interviewer.bank_generation import BankGenerator, bank_yaml
    from voice_interviewer.cli.bank import file_problems
    from voice_interviewer.config import Settings
    from voice_interviewer.judging.llm_client import Endpoint

    endpoint = Endpoint.from_settings(Settings(openai_base_url=local_llm_server.base_url, model="local",
                                               llm_timeout=900, llm_retries=0))
    notes: list[str] = []
    generator = BankGenerator(endpoint, job=JOB, job_name="nlp-job.md", model_name="smollm2-135m", language="en",
                              note=notes.append, max_tokens=1500)  # a shorter budget keeps the test near a minute
    questions = generator.generate(1)
    assert endpoint.format == "json_schema"
    assert endpoint.calls in (1, 2)
    if questions:
        out = tmp_path / "b.yaml"
        write_bank(out, bank_yaml(questions, generator.stamp), check=lambda p: file_problems(p, {})[1])
        assert file_problems(out, {})[1] == []
    else:
        assert len(notes) == 1 and "question 1 dropped after one repair round" in notes[0], notes
