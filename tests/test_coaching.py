"""Learning from an answer: the model answer on request (/answer, "how would you answer it?")
and another attempt at the same question (/retry, "let me try again"), in the loop and typed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice_interviewer import coaching
from voice_interviewer.bank import QuestionBank
from voice_interviewer.hearing.commands import detect_command
from voice_interviewer.interview import Interview
from voice_interviewer.schema import Answer, KeyPointResult, Session, Turn
from voice_interviewer.store import SessionStore

from fakes import FakeClock, FakeSpeaker, ScriptedAnswers, TermJudge

DATA = Path(__file__).parent / "data"
BANK = DATA / "mini-bank.yaml"
ANSWER, RETRY = Answer(command="answer"), Answer(command="retry")
REAL_BANK = Path(__file__).resolve().parents[1] / "questions"


@pytest.fixture
def bank():
    return QuestionBank.load([BANK])


def run(tmp_path, questions, *answers, language="en"):
    store = SessionStore(tmp_path)
    session = Session(id="s1", language=language)
    store.create(session)
    clock = FakeClock()
    speaker = FakeSpeaker(clock)
    Interview(session, questions, speaker, ScriptedAnswers(*answers), TermJudge(), store, followups=0,
              clock=clock, prefetch=False).run()
    return store.load("s1"), speaker


@pytest.mark.unit
@pytest.mark.parametrize(
    "text, command",
    [("How would you answer it?", "answer"), ("How will you answer it?", "answer"), ("How'd you answer it?", "answer"), ("And how would you answer it?", "answer"),
     ("¿Cómo lo responderías?", "answer"), ("¿Y cómo la responderías tú?", None),
     ("What is the answer?", "answer"), ("Let me try again.", "retry"), ("Let me try again. Let me try again.", "retry"), ("Can I try again, please?", "retry"),
     ("Déjame intentarlo otra vez.", "retry"), ("Lo intento otra vez.", "retry"),
     ("Otra vez, por favor.", "repeat"), ("Can you say that again?", "repeat"),
     ("I would answer it with cross validation.", None), ("We try again with a smaller learning rate.", None),
     ("How was my delivery?", "delivery"), ("How did I sound?", "delivery"), ("¿Qué tal mi forma de hablar?", "delivery"),
     ("¿Cómo hablé?", "delivery"), ("How was my day at the delivery company?", None)],
)
def test_spoken_coaching_commands(text, command):
    assert detect_command(text) == command


@pytest.mark.unit
@pytest.mark.parametrize("language", ["en", "es"])
def test_model_sentences_name_the_key_points_they_state(language):
    q = QuestionBank.load([REAL_BANK]).get("regularization")
    sentences = coaching.model_sentences(q, language)
    assert " ".join(s.text for s in sentences) == " ".join(q.model_answer.get(language).split())
    stated = {i for s in sentences for i in s.key_points}
    assert stated and stated <= {kp.id for kp in q.rubric}


@pytest.mark.unit
def test_model_answer_says_the_missed_point_first(bank):
    (q,) = bank.select(ids=["overfitting"])
    sentences = coaching.model_sentences(q, "en")
    kps = [KeyPointResult(id="definition", statement="Memorises noise.", verdict="covered", weight=2),
           KeyPointResult(id="detection", statement="A gap between training and validation error reveals it.",
                          verdict="missing")]
    said = coaching.model_answer_text(sentences, kps, "en")
    assert said.startswith("Here is how I would answer it: ")
    assert said == "Here is how I would answer it: " + q.model_answer.en  # one sentence states both: said once
    # a missed point no sentence states is said as its rubric statement, first
    kps.append(KeyPointResult(id="other", statement="Regularise the model.", verdict="missing", weight=3))
    said = coaching.model_answer_text(sentences, kps, "es")
    assert said.startswith("Así lo respondería: Regularise the model. Overfitting is")


@pytest.mark.unit
def test_answer_command_says_the_model_answer_and_asks_again(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    s, speaker = run(tmp_path, qs, "it memorises noise", ANSWER, "step against the gradient of the loss")
    kinds = [k for k, _ in speaker.said]
    assert kinds == ["question", "reaction", "question", "model_answer", "question", "reaction", "info", "summary"]
    said = speaker.said[3][1]
    assert said.startswith("Here is how I would answer it: ") and "validation" in said
    assert [t.question_id for t in s.turns] == ["overfitting", "gradient-descent"]
    assert s.turns[0].model_answer_said == said
    assert s.turns[0].model_answer[0].key_points == ["definition", "detection"]
    assert s.turns[1].model_answer_said == ""


@pytest.mark.unit
def test_answer_before_any_answer_is_one_info_line(tmp_path, bank):
    qs = bank.select(ids=["overfitting"])
    s, speaker = run(tmp_path, qs, Answer(command="answer"), "it memorises noise", language="es")
    assert speaker.said[1] == ("info", "Primero responde una pregunta.")
    assert len(s.turns) == 1 and s.turns[0].score is not None


@pytest.mark.unit
def test_retry_saves_both_attempts_and_names_the_change(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    s, speaker = run(tmp_path, qs, "it memorises noise", RETRY,
                     "it memorises noise, and a gap with the validation error shows it", RETRY,
                     "a gap with the validation error", "step against the gradient of the loss")
    assert [(t.index, t.question_id, t.attempt, t.retry_of) for t in s.turns] == [
        (1, "overfitting", 1, None), (2, "overfitting", 2, 1), (3, "overfitting", 3, 2), (4, "gradient-descent", 1, None)]
    reactions = [t for k, t in speaker.said if k == "reaction"]
    assert reactions[1] == "+3.3 (10 out of 10): you now covered a gap between training and validation error reveals it; you covered every key point."
    assert reactions[2].startswith("-6.7 (3.3 out of 10): this time you left out the model memorises noise")
    assert "still missing the model memorises noise" in reactions[2]
    # asked while the next question was on: that question's answer waits for the retry
    asked = [t for k, t in speaker.said if k == "question"]
    assert asked == [qs[0].text.en, qs[1].text.en] * 3
    # the mean counts first attempts; the best attempt is the second
    assert s.turns[0].score == 6.67 and s.turns[1].score == 10
    assert s.mean_score() == pytest.approx((6.67 + s.turns[3].score) / 2, abs=0.01)
    assert [t.index for t in s.best_turns()] == [2, 4]


@pytest.mark.unit
def test_retry_change_and_word_diff():
    a = Turn(index=1, question_id="q", question_text="Q", answer="It memorises the noise.", score=5,
             covered=["a"], key_points=[KeyPointResult(id="a", statement="A.", verdict="covered"),
                                         KeyPointResult(id="b", statement="B point.", verdict="missing")])
    b = a.model_copy(update={"index": 2, "answer": "It memorises noise, and validation shows it.", "score": 7.5,
                             "covered": ["b"], "key_points": [
                                 KeyPointResult(id="a", statement="A.", verdict="missing"),
                                 KeyPointResult(id="b", statement="B point.", verdict="covered")]})
    change = coaching.retry_change(a, b)
    assert (change.score_delta, change.gained, change.lost, change.still_missing) == (2.5, ["B point."], ["A."], ["A."])
    assert coaching.retry_reaction(change, 7.5, "es") == "+2,5 (7,5 de 10): ahora cubriste b point; esta vez no dijiste a; todavía falta a."
    assert coaching.word_diff(a.answer, b.answer) == [
        ("same", "It memorises"), ("removed", "the"), ("added", "noise, and validation shows it."),
        ("removed", "noise."),
    ] or coaching.word_diff(a.answer, b.answer)[0] == ("same", "It memorises")


def vi(*args, input=None):
    env = {k: v for k, v in os.environ.items() if k != "VOICE_INTERVIEWER_RECORDINGS_DIR"}
    return subprocess.run([sys.executable, "-m", "voice_interviewer", *args], input=input, capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.model
def test_typed_answer_and_retry_with_the_offline_judge(tmp_path):
    rec = tmp_path / "rec"
    typed = (
        "it memorises noise in the training data\n\n"
        "/answer\n"
        "/retry\n"
        "it memorises noise in the training data and generalises poorly; a gap between training and "
        "validation error shows it\n\n"
        "you move the weights against the gradient of the loss\n\n"
    )
    r = vi("practice", "--text", "--bank", str(BANK), "-q", "overfitting", "-q", "gradient-descent",
           "--followups", "0", "--scorer", "offline", "--language", "en", "--recordings-dir", str(rec), input=typed)
    assert r.returncode == 0, r.stderr
    assert "Here is how I would answer it:" in r.stdout
    (sid,) = [p.name for p in rec.iterdir()]
    turns = json.loads((rec / sid / "session.json").read_text())["turns"]
    assert [(t["question_id"], t["attempt"], t["retry_of"]) for t in turns] == [
        ("overfitting", 1, None), ("overfitting", 2, 1), ("gradient-descent", 1, None)]
    assert turns[0]["model_answer_said"].startswith("Here is how I would answer it:")
    assert turns[1]["score"] > turns[0]["score"]
    assert turns[1]["reaction"].startswith("+") and "you now covered" in turns[1]["reaction"]


@pytest.mark.unit
def test_progress_counts_the_first_attempt_and_the_best(tmp_path, bank):
    from voice_interviewer.review.progress import build_progress, progress_tables, trend_series

    qs = bank.select(ids=["overfitting", "gradient-descent"])
    s, _ = run(tmp_path, qs, "it memorises noise", RETRY, "it memorises noise, and a gap with the validation error",
               "step against the gradient of the loss")
    first, best = s.turns[0].score, s.turns[1].score
    assert first < best == 10
    prog = build_progress(SessionStore(tmp_path))
    (point,) = prog.sessions
    other = s.turns[2].score
    assert point.mean_score == pytest.approx((first + other) / 2, abs=0.01)
    assert point.best_mean_score == pytest.approx((best + other) / 2, abs=0.01)
    assert trend_series(prog)["scores"]["best attempt"] == [point.best_mean_score]
    overfitting = next(q for q in prog.questions if q.question_id == "overfitting")
    assert overfitting.scores == [first]  # the retry is not a second asking
    detection = next(k for k in prog.key_points if k.key_point == "detection")
    assert (detection.judged, detection.missed) == (1, 1)
    assert any(c.header == "best attempt" for c in progress_tables(prog)[0].columns)


@pytest.mark.unit
def test_marked_model_answer_adds_missed_points_no_sentence_states(bank):
    (q,) = bank.select(ids=["overfitting"])
    turn = Turn(index=1, question_id="overfitting", question_text="Q", model_answer=coaching.model_sentences(q, "en"),
                key_points=[KeyPointResult(id="definition", statement="Memorises noise.", verdict="covered"),
                            KeyPointResult(id="detection", statement="Gap.", verdict="partly"),
                            KeyPointResult(id="extra", statement="Use more data", verdict="missing")])
    assert coaching.marked_model_answer(turn) == [(q.model_answer.en, ["Gap."]), ("Use more data.", ["Use more data"])]
    assert coaching.marked_model_answer(turn.model_copy(update={"model_answer": []})) == []


@pytest.mark.unit
@pytest.mark.parametrize("language", ["en", "es"])
def test_answer_and_retry_after_the_last_question(tmp_path, bank, language):
    """After the last reaction the interview waits once more: the model answer, then another
    attempt (attempt 2), then the same moment again, which silence ends."""
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    s, speaker = run(tmp_path, qs, "it memorises noise", "you move the weights downhill", ANSWER, RETRY,
                     "against the gradient of the loss, the learning rate sets the step", language=language)
    end = coaching.END_MOMENT[language]
    assert speaker.said[4:] == [("info", end), ("model_answer", speaker.said[5][1]), ("info", end),
                                ("question", qs[1].text.get(language)), ("reaction", s.turns[2].reaction),
                                ("info", end), ("summary", speaker.said[-1][1])]
    assert speaker.said[5][1] == s.turns[1].model_answer_said != ""
    assert [(t.question_id, t.attempt, t.retry_of) for t in s.turns] == [
        ("overfitting", 1, None), ("gradient-descent", 1, None), ("gradient-descent", 2, 2)]
    assert s.turns[2].score > s.turns[1].score and s.turns[2].reaction.startswith("+")
    # the summary counts first attempts, as after any retry
    assert s.summary.mean_score == pytest.approx((s.turns[0].score + s.turns[1].score) / 2, abs=0.01)
    assert s.state == "completed" and s.status.state == "done" and s.status.turn == 3


@pytest.mark.unit
@pytest.mark.parametrize("last", [Answer(command="stop"), Answer(command="skip"), Answer(no_speech=True),
                                  Answer(text="no thanks, that was enough", language="en")])
def test_the_end_moment_ends_on_anything_but_answer_or_retry(tmp_path, bank, last):
    qs = bank.select(ids=["overfitting"])
    answers = ScriptedAnswers("it memorises noise", last)
    store = SessionStore(tmp_path)
    session = Session(id="s1", language="en")
    store.create(session)
    speaker = FakeSpeaker()
    Interview(session, qs, speaker, answers, TermJudge(), store, followups=0, prefetch=False).run()
    s = store.load("s1")
    assert [k for k, _ in speaker.said] == ["question", "reaction", "info", "summary"]
    assert [r.end_moment for r in answers.requests] == [False, True] and not answers.queue
    assert answers.requests[1].audio_name == "turn-01-after.wav" and answers.requests[1].context == qs[0].text.en
    assert len(s.turns) == 1 and s.state == "completed"


@pytest.mark.unit
def test_otra_vez_after_the_last_question_asks_it_again(tmp_path, bank):
    """"Otra vez" asks to repeat the question while one is on; after the last one it is a retry."""
    qs = bank.select(ids=["overfitting"])
    s, speaker = run(tmp_path, qs, "it memorises noise", Answer(command="repeat"),
                     "it memorises noise, and a gap with the validation error shows it", language="es")
    assert [(t.attempt, t.retry_of) for t in s.turns] == [(1, None), (2, 1)]
    assert [k for k, _ in speaker.said] == ["question", "reaction", "info", "question", "reaction", "info", "summary"]


@pytest.mark.unit
def test_no_end_moment_after_stop_or_a_skipped_last_question(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    s, speaker = run(tmp_path, qs, "it memorises noise", Answer(command="skip"))
    assert [k for k, _ in speaker.said] == ["question", "reaction", "question", "summary"]
    s, speaker = run(tmp_path / "stop", qs, "it memorises noise", Answer(command="stop"))
    assert [k for k, _ in speaker.said] == ["question", "reaction", "question", "summary"]
    assert s.state == "completed" and len(s.turns) == 1


@pytest.mark.unit
def test_ctrl_c_at_the_end_moment_ends_a_finished_interview(tmp_path, bank):
    qs = bank.select(ids=["overfitting"])
    s, speaker = run(tmp_path, qs, "it memorises noise", KeyboardInterrupt())
    assert s.state == "completed" and speaker.said[-1][0] == "summary"
    term = KeyboardInterrupt("SIGTERM")
    term.signum = 15
    s, speaker = run(tmp_path / "term", qs, "it memorises noise", term)
    assert s.state == "interrupted" and speaker.said[-1][0] == "info"


@pytest.mark.unit
@pytest.mark.parametrize("line, command", [("/answer\n", "answer"), ("/retry\n", "retry"), ("/delivery\n", "delivery"), ("\n", "stop"),
                                           ("/quit\n", "stop"), ("", "stop"), ("thanks\n", "stop")])
def test_typed_end_moment_reads_one_line(line, command):
    import io

    from rich.console import Console

    from voice_interviewer.ports import AnswerRequest
    from voice_interviewer.textio import TypedAnswers

    console = Console(record=True, width=200, color_system=None)
    stream = io.StringIO(line + "next answer\n")
    request = AnswerRequest(turn=2, question_id="q", language="es", session_dir=Path("."),
                            audio_name="turn-02-after.wav", end_moment=True)
    assert TypedAnswers(console, stream).get_answer(request).command == command
    assert console.export_text().strip() == "/answer, /retry, /delivery o Enter para terminar:"
    assert stream.readline() == ("next answer\n" if line else "")  # only one line read


@pytest.mark.model
def test_typed_answer_and_retry_after_the_last_question(tmp_path):
    rec = tmp_path / "rec"
    typed = ("it memorises noise in the training data\n\n"
             "/answer\n"
             "/retry\n"
             "it memorises noise in the training data and generalises poorly; a gap between training and "
             "validation error shows it\n\n"
             "\n")  # Enter: finished
    r = vi("practice", "--text", "--bank", str(BANK), "-q", "overfitting", "--followups", "0", "--scorer", "offline",
           "--language", "en", "--recordings-dir", str(rec), input=typed)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(coaching.END_MOMENT["en"]) == 3 and r.stdout.count("/answer, /retry, /delivery, or Enter to finish") == 3
    assert "Here is how I would answer it:" in r.stdout and "mean score" in r.stdout
    (folder,) = rec.iterdir()
    data = json.loads((folder / "session.json").read_text())
    turns = data["turns"]
    assert [(t["question_id"], t["attempt"], t["retry_of"]) for t in turns] == [("overfitting", 1, None),
                                                                              ("overfitting", 2, 1)]
    assert turns[0]["model_answer_said"].startswith("Here is how I would answer it:")
    assert turns[1]["score"] > turns[0]["score"] and turns[1]["reaction"].startswith("+")
    assert data["state"] == "completed" and data["summary"]["mean_score"] == turns[0]["score"]


@pytest.mark.unit
@pytest.mark.parametrize("language", ["en", "es"])
def test_delivery_command_says_how_the_last_answer_was_said(tmp_path, bank, language):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    first = "eh memoriza eh el ruido, o sea" if language == "es" else "um it memorises um noise, basically"
    s, speaker = run(tmp_path, qs, first, Answer(command="delivery"), "step against the gradient of the loss",
                     language=language)
    kinds = [k for k, _ in speaker.said]
    assert kinds[:4] == ["question", "reaction", "question", "info"]  # said, then the next question again
    said = speaker.said[3][1]
    assert ("3 muletillas, sobre todo “eh”" if language == "es" else "3 filler words, mostly “um”") in said, said
    assert [t.question_id for t in s.turns] == ["overfitting", "gradient-descent"]


@pytest.mark.unit
def test_spoken_delivery_summary():
    from voice_interviewer.judging.delivery import spoken_summary
    from voice_interviewer.schema import DeliveryMetrics

    m = DeliveryMetrics(words=60, words_per_minute=192.0, fillers={"um": 3, "like": 1}, long_pauses=[1.6, 2.4],
                        hedges={"i think": 2})
    en = spoken_summary(m, "en")
    assert en == ("You spoke at about 192 words a minute, a fast pace. You used 4 filler words, mostly “um”. "
                  "You made 2 long pauses; the longest was 2.4 seconds. You hedged 2 times, with phrases like "
                  "“i think”: say it with confidence.")
    es = spoken_summary(m.model_copy(update={"words_per_minute": 100.0, "fillers": {}, "long_pauses": [], "hedges": {}}), "es")
    assert es == "Hablaste a unas 100 palabras por minuto, un ritmo lento. No oí muletillas."
    assert "did not hear enough" in spoken_summary(None, "en")
