"""STAR feedback for behavioural answers (es and en): the parts told, the missing or thin one
named in the reaction, in the panel and in the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from fakes import FakeClock, FakeSpeaker, ScriptedAnswers, TermJudge
from voice_interviewer.bank import QuestionBank
from voice_interviewer.cli.display import turn_panel
from voice_interviewer.interview import Interview
from voice_interviewer.judging.star import is_behavioural, star_parts, star_text
from voice_interviewer.review.report import render_report
from voice_interviewer.schema import Session
from voice_interviewer.store import SessionStore

pytestmark = pytest.mark.unit
REAL_BANK = Path(__file__).resolve().parents[1] / "questions"

FULL = {
    "en": "At my last job we had a churn model that kept drifting. My role was to own its retraining. "
          "I built a weekly pipeline and I set up drift alerts. As a result, the error fell by 12 percent.",
    "es": "En mi anterior empresa teníamos un modelo de abandono que se degradaba. Mi tarea era mantenerlo al día. "
          "Propuse reentrenarlo cada semana y monté alertas de deriva. Como resultado, el error bajó un 15 %.",
}
NO_TASK_NO_RESULT = {
    "en": "There was a disagreement about the model. I talked to the product lead and I proposed a small test "
          "with both options.",
    "es": "Había un desacuerdo sobre el modelo. Hablé con la responsable de producto y propuse una prueba pequeña "
          "con las dos opciones.",
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_full_star_answer_has_every_part(language):
    parts = star_parts(FULL[language])
    assert parts.missing == [] and parts.thin == []
    assert all(parts.words[p] >= 4 for p in ("situation", "task", "action", "result")), parts
    assert star_text(parts, language) == ""


@pytest.mark.parametrize("language, said", [
    ("en", "For STAR, you left out the task and the result."),
    ("es", "En STAR te faltó la tarea y el resultado."),
])
def test_missing_parts_are_named(language, said):
    parts = star_parts(NO_TASK_NO_RESULT[language])
    assert parts.missing == ["task", "result"]
    assert parts.words["situation"] > 0 and parts.words["action"] > 0
    assert star_text(parts, language) == said


@pytest.mark.parametrize("language, answer, said", [
    ("en", "At my last job we had a slow model. My task: speed. I rewrote the feature code in a vectorised way "
           "and I cached the embeddings. As a result latency fell by half.", "For STAR, say more about the task."),
    ("es", "En mi anterior empresa teníamos un modelo lento. Mi tarea: rapidez. Reescribí el código de las "
           "variables y propuse guardar los embeddings en caché. Como resultado la latencia bajó a la mitad.",
     "En STAR, desarrolla más la tarea."),
])
def test_a_thin_part_is_named(language, answer, said):
    parts = star_parts(answer)
    assert parts.thin == ["task"] and parts.missing == [], parts
    assert star_text(parts, language) == said


def test_a_number_with_a_unit_is_a_result():
    assert star_parts("We got 3x faster.").words["result"] > 0
    assert star_parts("Lo hicimos un 20 por ciento más rápido.").words["result"] > 0
    assert star_parts("We had 3 models.").words["result"] == 0


def run(tmp_path, qid, answer, language):
    store = SessionStore(tmp_path)
    session = Session(id="st", language=language)
    store.create(session)
    qs = QuestionBank.load([REAL_BANK]).select(ids=[qid])
    Interview(session, qs, FakeSpeaker(), ScriptedAnswers(answer), TermJudge(), store, followups=0,
              clock=FakeClock(), prefetch=False).run()
    return store, store.load("st")


@pytest.mark.parametrize("language", ["en", "es"])
def test_reaction_panel_and_report_name_the_missing_part(tmp_path, language):
    store, s = run(tmp_path, "stakeholder-disagreement", NO_TASK_NO_RESULT[language], language)
    turn = s.turns[0]
    assert turn.star is not None and turn.star.missing == ["task", "result"]
    assert turn.reaction.endswith(star_text(turn.star, language))
    console = Console(record=True, width=200, color_system=None)
    console.print(turn_panel(turn))
    assert "STAR: ✔ situation  ✘ task  ✔ action  ✘ result" in console.export_text()
    html = render_report(s, store.session_dir("st"), tmp_path / "r.html")
    result = "Resultado" if language == "es" else "Result"
    assert f'<li class="missing" data-part="result"><span class="sr">' in html and f"> {result}" in html
    assert '<li class="covered" data-part="action">' in html


def test_other_questions_get_no_star(tmp_path):
    bank = QuestionBank.load([REAL_BANK])
    assert is_behavioural(bank.get("past-project-walkthrough")) and not is_behavioural(bank.get("bias-variance"))
    _, s = run(tmp_path, "bias-variance", NO_TASK_NO_RESULT["en"], "en")
    assert s.turns[0].star is None and "STAR" not in s.turns[0].reaction
