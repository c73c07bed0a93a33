"""Questions chosen for a job description (and a CV): the plan in sessions, report and export,
the real e5 matching, and ``practice --job`` end to end, typed and spoken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice_interviewer.jobtext import clean_line, read_document
from voice_interviewer.schema import PlannedQuestion, QuestionPlan, Session, SourceLine, Turn

JOBS = Path(__file__).parent / "data" / "jobs"
NLP_JOB = JOBS / "nlp-engineer.md"
VISION_JOB = JOBS / "vision-mlops-es.md"
CV = JOBS / "cv-nlp.md"

# what an interviewer for each role would ask about first
NLP_TOPICS = {"attention-transformers", "self-attention-code", "rag-system-design", "search-ranking-design",
              "softmax-cross-entropy", "naive-bayes", "noisy-labels", "content-moderation-design"}
MLOPS_TOPICS = {"retraining-pipeline", "data-drift", "ml-monitoring", "safe-deployment", "low-latency-serving",
                "batch-vs-online-inference", "feature-store"}
VISION_TOPICS = MLOPS_TOPICS | {"small-dataset", "noisy-labels", "classification-metrics-code", "precision-recall",
                                "imbalanced-data", "choosing-metrics"}


def vi(*args, input=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "voice_interviewer", *args], input=input, capture_output=True,
                          text=True, env=dict(os.environ), timeout=timeout)


def one_line_error(r) -> str:
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


def file_line(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[n - 1]


@pytest.mark.unit
def test_old_sessions_without_a_plan_still_load_and_show_no_reason():
    old = {"id": "20250101-000000", "turns": [{"index": 1, "question_id": "pca", "question_text": "What is PCA?"}]}
    session = Session.model_validate(old)
    assert session.plan is None and session.why_asked(session.turns[0]) == ""


def planned_session() -> Session:
    reason = 'chosen for: "Experience with PCA on sensor data." (job, line 7)'
    return Session(id="20250101-000000", turns=[
        Turn(index=1, question_id="pca", question_text="What is PCA?", score=6.0),
        Turn(index=2, question_id="pca", question_text="And its limits?", is_follow_up=True, follow_up_of=1, score=5),
    ], plan=QuestionPlan(job_file="job.md", questions=[PlannedQuestion(
        question_id="pca", reason=reason,
        job_line=SourceLine(source="job", line=7, text="Experience with PCA on sensor data."))]))


@pytest.mark.unit
def test_report_shows_why_on_the_question_not_on_its_follow_up(tmp_path):
    from voice_interviewer.review.report import render_report

    html = render_report(planned_session(), tmp_path, tmp_path / "r.html")
    assert html.count('class="note why"') == 1
    assert "chosen for: &#34;Experience with PCA on sensor data.&#34; (job, line 7)" in html


@pytest.mark.unit
def test_exports_carry_the_plan():
    from voice_interviewer.review.export import to_json, to_markdown

    md = to_markdown(planned_session())
    assert md.count("_chosen for: \"Experience with PCA on sensor data.\" (job, line 7)_") == 1
    assert md.index("What is PCA?") < md.index("chosen for") < md.index("And its limits?")
    assert json.loads(to_json(planned_session()))["plan"]["questions"][0]["job_line"]["line"] == 7


@pytest.mark.unit
@pytest.mark.parametrize("args, message", [
    (["--job", "nowhere.md"], "nowhere.md: no such job description file"),
    (["--cv", str(CV)], "--cv needs --job"),
    (["--job", str(NLP_JOB), "-q", "pca"], "--job chooses the questions: leave out --question"),
    (["--job", str(NLP_JOB), "--review-weak"], "--job chooses the questions: leave out --review-weak"),
    (["--job", str(NLP_JOB), "--cv", "nowhere-cv.md"], "nowhere-cv.md: no such CV file"),
])
def test_practice_job_misuse_is_one_line_and_nonzero(tmp_path, args, message):
    r = vi("practice", "--text", "--recordings-dir", str(tmp_path), *args, input="")
    assert message in one_line_error(r)
    assert not any(tmp_path.iterdir())  # no session started


@pytest.mark.unit
def test_practice_with_a_binary_job_file_says_so(tmp_path):
    pdf = tmp_path / "job.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\n")
    line = one_line_error(vi("practice", "--text", "--job", str(pdf), "--recordings-dir", str(tmp_path / "rec")))
    assert "not a text file (a PDF or Word file?)" in line and "save it as plain text or Markdown" in line


@pytest.mark.unit
def test_a_reason_names_the_rare_words_once():
    from voice_interviewer.job_match import _named

    said = [(2.5, "likelihood"), (3.2, "maximum likelihood"), (1.2, "models"), (3.0, "data"), (2.8, "XGBoost"),
            (2.1, "F1")]
    assert _named(said) == ["maximum likelihood", "XGBoost", "F1"]


# --- matching with the real multilingual-e5 model -------------------------------------------------


@pytest.fixture(scope="module")
def matcher():
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.job_match import JobMatcher
    from voice_interviewer.judging.embeddings import get_embedder

    bank = QuestionBank.load()
    return bank, JobMatcher(list(bank.questions.values()), get_embedder())


def plan(matcher, job=NLP_JOB, count=5, language="en", cv=None, category=None):
    bank, m = matcher
    return m.plan(read_document(job), bank.by_category(category), count, language,
                  read_document(cv, "cv") if cv else None)


def ids(p: QuestionPlan) -> list[str]:
    return [q.question_id for q in p.questions]


@pytest.mark.model
def test_nlp_job_gets_nlp_questions_first(matcher):
    p = plan(matcher, count=6)
    top = ids(p)
    assert "attention-transformers" in top[:2]
    assert set(top[:3]) <= NLP_TOPICS, top
    assert len(set(top[:6]) & NLP_TOPICS) >= 5, top
    assert not set(top) & MLOPS_TOPICS, top


@pytest.mark.model
def test_spanish_vision_mlops_job_gets_mlops_questions_first_and_another_order(matcher):
    p = plan(matcher, VISION_JOB, count=6, language="es")
    top = ids(p)
    assert set(top[:3]) <= MLOPS_TOPICS, top
    assert set(top) <= VISION_TOPICS, top
    assert not set(top) & NLP_TOPICS - {"noisy-labels"}, top
    assert top[:3] != ids(plan(matcher, count=3))


@pytest.mark.model
@pytest.mark.parametrize("job, language, words", [(NLP_JOB, "en", ("chosen for", "job, line")),
                                                  (VISION_JOB, "es", ("elegida por", "oferta, línea"))])
def test_every_reason_quotes_a_real_line_of_the_job(matcher, job, language, words):
    p = plan(matcher, job, count=8, language=language)
    assert len(p.questions) == 8 and p.job_file == str(job)
    lines_used = set()
    for q in p.questions:
        line = q.job_line
        assert line is not None and line.source == "job"
        assert line.text in clean_line(file_line(job, line.line))  # the sentence is on that line
        assert q.reason.startswith(f'{words[0]}: "{line.text[:40]}')
        assert f"({words[1]} {line.line}" in q.reason
        assert all(t.lower() in line.text.lower() for t in q.terms)  # named words are the job's own
        lines_used.add(line.line)
    assert len(lines_used) >= 5  # several requirements, not one line eight times


@pytest.mark.model
def test_a_job_far_from_machine_learning_is_said_to_match_loosely(matcher, tmp_path):
    bakery = tmp_path / "pastry-chef.md"
    bakery.write_text("# Pastry chef\n\n- Prepare croissants, brioche and laminated doughs every morning.\n"
                      "- Design seasonal cake menus with the head chef.\n"
                      "- Order flour, butter and fruit from local suppliers and control stock.\n", encoding="utf-8")
    p = plan(matcher, bakery, count=3)
    assert all(q.reason.startswith("only loosely related to: ") for q in p.questions)
    assert p.notes == [f"{bakery}: matches the bank's questions only loosely (is it a machine-learning role?)"]
    good = plan(matcher, count=5)
    assert not good.notes and not any("loosely" in q.reason for q in good.questions)


@pytest.mark.model
def test_category_limits_the_choice_and_keeps_the_match(matcher):
    p = plan(matcher, count=3, category="system-design")
    assert ids(p)[0] in {"rag-system-design", "search-ranking-design"}
    assert all(i.endswith(("design", "pipeline", "serving", "store", "monitoring", "inference", "deployment",
                           "prediction")) for i in ids(p))
    bank, _ = matcher
    assert {bank.get(i).category for i in ids(p)} == {"system-design"}


@pytest.mark.model
def test_cv_leans_toward_what_it_shows_least_and_names_the_line_that_relates(matcher):
    without, with_cv = plan(matcher, count=8), plan(matcher, count=8, cv=CV)
    by_id = {q.question_id: q for q in with_cv.questions}
    ranking = by_id["search-ranking-design"]  # the CV's search-ranking work
    assert ranking.cv_shows == "well" and ranking.cv_line is not None
    assert "ranking" in ranking.cv_line.text and ranking.cv_line.text in clean_line(file_line(CV, ranking.cv_line.line))
    assert f"(CV, line {ranking.cv_line.line})" in ranking.reason
    attention = by_id["attention-transformers"]  # nothing about transformers' insides in the CV
    assert attention.cv_shows == "little" and attention.cv_line is None
    assert attention.reason.endswith("your CV shows little of it")
    assert ids(with_cv).index("search-ranking-design") > ids(without).index("search-ranking-design")
    assert with_cv.cv_file == str(CV)


# --- practice --job end to end, typed ----------------------------------------------------------------


@pytest.mark.model
def test_practice_text_with_a_job_asks_the_planned_questions_and_saves_why(tmp_path):
    rec = tmp_path / "rec"
    answers = (
        "attention weighs every token by the softmax of query key dot products over the square root of d\n\n"
        "retrieve candidates with BM25 and embeddings then rank them with a learning to rank model on clicks\n\n"
        "chunk the documents, embed them into a vector index, retrieve the top k and ground the answer\n\n"
    )
    r = vi("practice", "--text", "--job", str(NLP_JOB), "--cv", str(CV), "--count", "3", "--followups", "0",
           "--language", "en", "--recordings-dir", str(rec), input=answers)
    assert r.returncode == 0, r.stderr
    assert "Questions for this job" in r.stdout and "chosen for" in r.stdout
    assert r.stdout.index("Questions for this job") < r.stdout.index("Interviewer:")  # the plan comes first
    (sid,) = [p.name for p in rec.iterdir()]
    data = json.loads((rec / sid / "session.json").read_text())
    planned = data["plan"]["questions"]
    assert len(planned) == 3 and data["plan"]["job_file"] == str(NLP_JOB) and data["plan"]["cv_file"] == str(CV)
    assert [t["question_id"] for t in data["turns"]] == [q["question_id"] for q in planned]
    assert all(t["score"] is not None for t in data["turns"])
    for q in planned:
        assert q["reason"].startswith("chosen for: ") and f"(job, line {q['job_line']['line']}" in q["reason"]

    r = vi("replay", sid, "--no-audio", "--recordings-dir", str(rec))
    assert r.returncode == 0, r.stderr
    assert " ".join(r.stdout.split()).count("chosen for:") == 3


@pytest.mark.model
def test_practice_text_spanish_category_job(tmp_path):
    rec = tmp_path / "rec"
    r = vi("practice", "--text", "--job", str(VISION_JOB), "--category", "system-design", "-n", "2",
           "--followups", "0", "--language", "es", "--recordings-dir", str(rec), input="/skip\n/skip\n")
    assert r.returncode == 0, r.stderr
    assert "Preguntas para esta oferta" in r.stdout
    (sid,) = [p.name for p in rec.iterdir()]
    data = json.loads((rec / sid / "session.json").read_text())
    assert [t["category"] for t in data["turns"]] == ["system-design"] * 2
    assert {q["question_id"] for q in data["plan"]["questions"]} <= MLOPS_TOPICS
    assert all(q["reason"].startswith("elegida por: ") for q in data["plan"]["questions"])


@pytest.mark.audio
@pytest.mark.model
@pytest.mark.slow
def test_spoken_interview_for_a_job_asks_its_questions_and_saves_why(mic, tmp_path):
    """Voice mode: the plan is made before the microphone opens; the spoken answers (espeak-ng,
    tests/data/voice) go to the questions the job chose, in the plan's order."""
    import threading
    import time

    job = tmp_path / "junior-ds.md"
    job.write_text("# Junior data scientist\n\n"
                   "- Tune regularization (L1, L2 penalties, dropout, weight decay) to keep models from overfitting.\n"
                   "- Diagnose underfitting and overfitting of our models through the bias-variance trade-off.\n",
                   encoding="utf-8")
    voice = Path(__file__).parent / "data" / "voice"
    wavs = {"regularization": voice / "en-regularization.wav", "bias-variance": voice / "en-bias-variance.wav"}
    rec = tmp_path / "rec"
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice_interviewer", "practice", "--job", str(job), "--count", "2", "--followups", "0",
         "--no-tts", "--language", "en", "--recordings-dir", str(rec)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    answered: set[int] = set()
    players: list[threading.Thread] = []
    deadline = time.monotonic() + 600
    try:
        while proc.poll() is None:
            assert time.monotonic() < deadline, "the spoken interview did not finish in time"
            try:
                data = json.loads(next(rec.glob("*/session.json")).read_text())
            except (StopIteration, OSError, ValueError):
                time.sleep(0.05)
                continue
            status = data["status"]
            if status["state"] == "listening" and status["turn"] not in answered:
                answered.add(status["turn"])
                qid = data["plan"]["questions"][status["turn"] - 1]["question_id"]
                players.append(threading.Thread(target=mic.play, args=(wavs[qid],), daemon=True))
                players[-1].start()
            time.sleep(0.05)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in players:
            p.join(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    assert out.index("Questions for this job") < out.index("Interviewer:")
    data = json.loads(next(rec.glob("*/session.json")).read_text())
    assert data["mode"] == "voice"
    planned = [q["question_id"] for q in data["plan"]["questions"]]
    assert planned == ["regularization", "bias-variance"]
    assert [t["question_id"] for t in data["turns"]] == planned
    assert all(t["answer"] and t["score"] is not None for t in data["turns"])
    assert data["plan"]["questions"][0]["job_line"]["line"] == 3
