"""bank.py on user-written files: clear errors with file and line, and question selection."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from voice_interviewer.bank import QuestionBank, load_file
from voice_interviewer.errors import BankError, InterviewerError
from voice_interviewer.schema import FollowUp, KeyPoint, Localized, LocalizedTerms, Question


def question_yaml(qid: str, category: str = "fundamentals", kp_ids: tuple[str, ...] = ("a", "b")) -> str:
    """One valid question as a YAML list item (6 lines + 6 per key point), indented for ``questions:``."""
    kps = "".join(
        f"""
      - id: {kp}
        weight: 2
        statement: {{en: "Point {kp}.", es: "Punto {kp}."}}
        evidence: {{en: ["term {kp}"], es: ["término {kp}"]}}"""
        for kp in kp_ids
    )
    return f"""
  - id: {qid}
    category: {category}
    text: {{en: "What is {qid}?", es: "¿Qué es {qid}?"}}
    model_answer: {{en: "It is {qid}.", es: "Es {qid}."}}
    follow_ups: [{{key_point: {kp_ids[0]}, text: {{en: "And {kp_ids[0]}?", es: "¿Y {kp_ids[0]}?"}}}}]
    rubric:{kps}"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def error_of(path: Path) -> str:
    with pytest.raises(BankError) as info:
        load_file(path)
    return str(info.value)


# -- loading and validation -----------------------------------------------------------


@pytest.mark.unit
def test_valid_file_loads(tmp_path):
    f = write(tmp_path / "mine.yaml", "questions:" + question_yaml("q1") + question_yaml("q2", "coding"))
    qs = load_file(f)
    assert [q.id for q in qs] == ["q1", "q2"]
    assert qs[1].category == "coding"
    assert qs[0].text.get("es") == "¿Qué es q1?"
    assert qs[0].rubric[0].evidence.es == ["término a"]
    assert qs[0].difficulty == "medium"  # the default


@pytest.mark.unit
def test_invalid_yaml_names_file_and_line(tmp_path):
    f = write(
        tmp_path / "broken.yaml",
        """
        questions:
          - id: q1
            category: fundamentals
            text: {en: unclosed, es: sin cerrar
          - id: q2
        """,
    )
    msg = error_of(f)
    assert msg.startswith(f"{f}:")
    assert "invalid YAML" in msg
    line = int(re.match(rf"{re.escape(str(f))}:(\d+):", msg).group(1))
    assert line_of(f, "unclosed") <= line <= line_of(f, "id: q2")


@pytest.mark.unit
def test_tab_indentation_is_reported_at_its_line(tmp_path):
    f = tmp_path / "tabs.yaml"
    f.write_text("questions:\n  - id: q1\n\tcategory: coding\n", encoding="utf-8")
    assert error_of(f).startswith(f"{f}:3: invalid YAML")


@pytest.mark.unit
def test_missing_field_names_file_and_the_line_of_that_question(tmp_path):
    text = "questions:" + question_yaml("q1") + question_yaml("q2")
    text = text.replace('    model_answer: {en: "It is q2.", es: "Es q2."}\n', "")
    f = write(tmp_path / "missing.yaml", text)
    msg = error_of(f)
    assert msg.startswith(f"{f}:{line_of(f, 'id: q2')}: ")
    assert "questions[q2].model_answer" in msg
    assert "Field required" in msg


@pytest.mark.unit
def test_wrong_category_is_reported_at_its_value(tmp_path):
    f = write(tmp_path / "cat.yaml", "questions:" + question_yaml("q1", category="maths"))
    msg = error_of(f)
    assert msg.startswith(f"{f}:{line_of(f, 'category: maths')}: questions[q1].category")
    assert "fundamentals" in msg and "communication" in msg  # the allowed values are listed


@pytest.mark.unit
def test_duplicate_key_point_ids_are_refused(tmp_path):
    f = write(tmp_path / "dupkp.yaml", "questions:" + question_yaml("q1", kp_ids=("same", "other", "same")))
    msg = error_of(f)
    assert msg.startswith(f"{f}:")
    assert "duplicate key point id(s): same" in msg
    assert "questions[q1].rubric" in msg


@pytest.mark.unit
def test_unknown_top_level_key_and_extra_fields_are_refused(tmp_path):
    f = write(tmp_path / "extra.yaml", "questions:" + question_yaml("q1").replace("category:", "level: 3\n    category:"))
    msg = error_of(f)
    assert msg.startswith(f"{f}:{line_of(f, 'level: 3')}: questions[q1].level")
    g = write(tmp_path / "top.yaml", "questoins: []\n")
    assert error_of(g).startswith(f"{g}:1: questions: Field required")


@pytest.mark.unit
def test_empty_and_unreadable_files(tmp_path):
    assert error_of(write(tmp_path / "empty.yaml", "")).startswith(f"{tmp_path / 'empty.yaml'}:1: empty")
    assert "empty" in error_of(write(tmp_path / "comment.yaml", "# nothing yet\n"))
    not_utf8 = tmp_path / "latin1.yaml"
    not_utf8.write_bytes("questions:\n  - id: regularización\n".encode("latin-1"))
    assert error_of(not_utf8).startswith(f"{not_utf8}: ")
    with pytest.raises(BankError, match="no such question bank"):
        QuestionBank.load([tmp_path / "nope.yaml"])


@pytest.mark.unit
def test_duplicate_question_ids_across_two_files(tmp_path):
    first = write(tmp_path / "a.yaml", "questions:" + question_yaml("shared") + question_yaml("only-a"))
    second = write(tmp_path / "b.yaml", "questions:" + question_yaml("shared", "coding"))
    with pytest.raises(BankError) as info:
        QuestionBank.load([tmp_path])
    msg = str(info.value)
    assert "'shared'" in msg and str(first) in msg and str(second) in msg


@pytest.mark.unit
def test_bank_errors_are_one_line_interviewer_errors(tmp_path):
    f = write(tmp_path / "cat.yaml", "questions:" + question_yaml("q1", category="maths") + question_yaml("q2", category="x"))
    with pytest.raises(InterviewerError) as info:
        load_file(f)
    assert "\n" not in info.value.line()
    assert "+1 more problems" in info.value.line()


@pytest.mark.unit
def test_load_directories_and_files_together(tmp_path):
    d = tmp_path / "bank"
    d.mkdir()
    write(d / "one.yaml", "questions:" + question_yaml("one"))
    write(d / "two.yml", "questions:" + question_yaml("two"))
    write(d / "notes.txt", "not a bank")
    extra = write(tmp_path / "extra.yaml", "questions:" + question_yaml("three", "coding"))
    bank = QuestionBank.load([d, extra])
    assert sorted(bank.questions) == ["one", "three", "two"]


# -- lookup and selection -------------------------------------------------------------


def make_question(qid: str, category: str, difficulty: str = "medium") -> Question:
    kp = KeyPoint(
        id="main",
        statement=Localized(en="Main point.", es="Punto principal."),
        evidence=LocalizedTerms(en=["main"], es=["principal"]),
    )
    return Question(
        id=qid,
        category=category,
        difficulty=difficulty,
        text=Localized(en=f"Question {qid}?", es=f"¿Pregunta {qid}?"),
        rubric=[kp],
        model_answer=Localized(en="Answer.", es="Respuesta."),
        follow_ups=[FollowUp(text=Localized(en="More?", es="¿Más?"), key_point="main")],
    )


@pytest.fixture
def small_bank() -> QuestionBank:
    plan = {
        "fundamentals": ["f1", "f2", "f3", "f4"],
        "practical": ["p1", "p2", "p3"],
        "system-design": ["s1", "s2"],
        "coding": ["c1", "c2", "c3"],
        "communication": ["m1", "m2"],
    }
    difficulties = ["easy", "medium", "hard"]
    return QuestionBank(
        make_question(qid, cat, difficulties[i % 3]) for cat, ids in plan.items() for i, qid in enumerate(ids)
    )


@pytest.mark.unit
def test_unknown_question_id(small_bank):
    with pytest.raises(BankError, match="unknown question id 'nope'"):
        small_bank.get("nope")
    with pytest.raises(BankError, match="unknown question id 'nope'"):
        small_bank.select(ids=["f1", "nope"])


@pytest.mark.unit
def test_select_explicit_ids_in_order_without_repeats(small_bank):
    chosen = small_bank.select(ids=["c2", "f1", "m2", "f1"])
    assert [q.id for q in chosen] == ["c2", "f1", "m2"]
    assert [q.id for q in small_bank.select(ids=["c2", "f1", "m2"], count=2)] == ["c2", "f1"]


@pytest.mark.unit
def test_select_category_and_difficulty_filters(small_bank):
    chosen = small_bank.select(category="fundamentals", seed=1)
    assert sorted(q.id for q in chosen) == ["f1", "f2", "f3", "f4"]
    assert {q.id for q in small_bank.select(difficulty="hard", seed=2)} == {"f3", "p3", "c3"}
    assert [q.id for q in small_bank.select(category="coding", difficulty="easy")] == ["c1"]
    with pytest.raises(BankError, match="no questions match"):
        small_bank.select(category="communication", difficulty="hard")


@pytest.mark.unit
def test_select_count_never_repeats(small_bank):
    for seed in range(20):
        chosen = small_bank.select(count=5, seed=seed)
        assert len(chosen) == 5
        assert len({q.id for q in chosen}) == 5
    everything = small_bank.select(count=100, seed=3)
    assert sorted(q.id for q in everything) == sorted(small_bank.questions)


@pytest.mark.unit
def test_select_spreads_over_categories(small_bank):
    for seed in range(20):
        first_five = small_bank.select(count=5, seed=seed)
        assert Counter(q.category for q in first_five) == Counter(
            ["fundamentals", "practical", "system-design", "coding", "communication"]
        )
        ten = small_bank.select(count=10, seed=seed)
        assert max(Counter(q.category for q in ten).values()) == 2


@pytest.mark.unit
def test_select_is_random_but_reproducible(small_bank):
    runs = {tuple(q.id for q in small_bank.select(count=5, seed=s)) for s in range(10)}
    assert len(runs) > 1
    assert small_bank.select(count=5, seed=7) == small_bank.select(count=5, seed=7)


@pytest.mark.unit
def test_select_priority_first_and_never_repeated(small_bank):
    chosen = small_bank.select(count=4, seed=0, priority=["s2", "s2", "unknown", "m1"])
    ids = [q.id for q in chosen]
    assert ids[:2] == ["s2", "m1"]
    assert len(set(ids)) == len(ids) == 4
    # priority ids outside the category filter are ignored
    assert "s2" not in [q.id for q in small_bank.select(category="coding", priority=["s2"])]


# -- red flags ------------------------------------------------------------------------


def red_flag_yaml(fid: str, key_point: str, cue_en: str, cue_es: str) -> str:
    return f"""
    red_flags:
      - id: {fid}
        key_point: {key_point}
        claim: {{en: "It is not {key_point} at all.", es: "No es {key_point} para nada."}}
        correction: {{en: "It is {key_point}.", es: "Es {key_point}."}}
        cues: {{en: [{cue_en}], es: [{cue_es}]}}"""


@pytest.mark.unit
def test_red_flag_naming_an_unknown_key_point_is_reported_with_its_line(tmp_path):
    f = write(tmp_path / "flags.yaml", "questions:" + question_yaml("q1") + red_flag_yaml(
        "wrong", "zzz", "[not, zzz]", "['no', zzz]"))
    msg = error_of(f)
    assert "unknown key point 'zzz'" in msg and str(f) in msg


@pytest.mark.unit
def test_bank_validate_rejects_a_cue_that_fires_on_the_model_answer(tmp_path):
    import os
    import subprocess
    import sys

    def validate(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "voice_interviewer", "bank", "validate", str(path)],
                              capture_output=True, text=True, env={**os.environ, "COLUMNS": "300"}, timeout=120)

    good = write(tmp_path / "good.yaml", "questions:" + question_yaml("q1") + red_flag_yaml(
        "not-a", "a", "[not, a]", "['no', a]"))
    # "it is" occurs in the model answer "It is q2.": a cue made of it would punish the right answer
    bad = write(tmp_path / "bad.yaml", "questions:" + question_yaml("q2") + red_flag_yaml(
        "vague", "a", "[it, q2]", "[es, q2]"))
    ok = validate(good)
    assert ok.returncode == 0, ok.stderr
    res = validate(bad)
    assert res.returncode == 2
    line = line_of(bad, "- id: vague")
    assert f"{bad}:{line}: q2: red flag 'vague': cue ['it', 'q2'] fires on the model answer (en)" in res.stderr
