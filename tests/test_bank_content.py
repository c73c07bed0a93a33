"""The built-in question bank (questions/*.yaml): size, balance, bilingual rubrics, article questions."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pytest

from voice_interviewer.bank import QuestionBank, bank_files, default_bank_dir, load_file
from voice_interviewer.schema import CATEGORIES, Question

ARTICLE_IDS = (
    "bias-variance",
    "regularization",
    "imbalanced-data",
    "bagging-vs-boosting",
    "backpropagation",
    "activation-functions",
    "attention-transformers",
    "recsys-design",
    "fraud-detection-design",
    "logreg-from-scratch",
)
ES_MARKS = set("áéíóúñ¿¡")


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return QuestionBank.load()


@pytest.fixture(scope="module")
def questions(bank) -> list[Question]:
    return list(bank.questions.values())


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " " + re.sub(r"[^a-z0-9]+", " ", text).strip() + " "


def _sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z¿¡ÁÉÍÓÚ])", text.strip()) if s])


@pytest.mark.unit
def test_bank_is_big_and_balanced(questions):
    assert len(questions) >= 60
    per_cat = Counter(q.category for q in questions)
    assert set(per_cat) == set(CATEGORIES)
    for cat in CATEGORIES:
        assert per_cat[cat] >= 10, (cat, per_cat[cat])
        difficulties = {q.difficulty for q in questions if q.category == cat}
        assert difficulties == {"easy", "medium", "hard"}, (cat, difficulties)


@pytest.mark.unit
def test_one_file_per_category_and_no_duplicate_ids():
    files = bank_files([default_bank_dir()])
    assert sorted(f.stem for f in files) == sorted(CATEGORIES)
    ids: list[str] = []
    for f in files:
        qs = load_file(f)
        assert {q.category for q in qs} == {f.stem}, f
        ids.extend(q.id for q in qs)
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes


@pytest.mark.parametrize("qid", ARTICLE_IDS)
@pytest.mark.unit
def test_article_questions_have_complete_rubrics(bank, qid):
    q = bank.get(qid)
    assert len(q.rubric) >= 3
    assert q.follow_ups
    assert all(kp.evidence.en and kp.evidence.es for kp in q.rubric)


@pytest.mark.unit
def test_rubric_shape(questions):
    for q in questions:
        assert 3 <= len(q.rubric) <= 6, q.id
        weights = [kp.weight for kp in q.rubric]
        assert max(weights) > min(weights), f"{q.id}: the most important key point should weigh more"
        assert 1 <= len(q.follow_ups) <= 3, q.id


@pytest.mark.unit
def test_every_key_point_has_evidence_in_both_languages(questions):
    for q in questions:
        for kp in q.rubric:
            for lang in ("en", "es"):
                terms = getattr(kp.evidence, lang)
                assert 6 <= len(terms) <= 12, (q.id, kp.id, lang, len(terms))
                normalized = [_norm(t) for t in terms]
                assert len(set(normalized)) == len(normalized), (q.id, kp.id, lang, "duplicate terms")
                assert all(n.strip() for n in normalized), (q.id, kp.id, lang)


@pytest.mark.unit
def test_follow_ups_probe_existing_key_points(questions):
    for q in questions:
        ids = {kp.id for kp in q.rubric}
        for f in q.follow_ups:
            assert f.key_point in ids, (q.id, f.key_point)


@pytest.mark.unit
def test_spanish_differs_from_english_and_reads_as_spanish(questions):
    for q in questions:
        pairs = [q.text, q.model_answer, *(kp.statement for kp in q.rubric), *(f.text for f in q.follow_ups)]
        for loc in pairs:
            assert loc.es.strip() != loc.en.strip(), (q.id, loc.en)
            assert "¿" not in loc.en, (q.id, loc.en)
            if "?" in loc.es:
                assert loc.es.count("¿") == loc.es.count("?"), (q.id, loc.es)
        assert ES_MARKS & set(q.model_answer.es), q.id
        assert ES_MARKS & set(q.text.es + "".join(kp.statement.es for kp in q.rubric)), q.id


@pytest.mark.unit
def test_model_answers_are_spoken_length_and_use_the_rubric_words(questions):
    """A model answer covers every key point: at least two of its evidence terms, per language."""
    for q in questions:
        for lang in ("en", "es"):
            answer = q.model_answer.get(lang)
            assert 3 <= _sentences(answer) <= 6, (q.id, lang, _sentences(answer))
            norm = _norm(answer)
            for kp in q.rubric:
                hits = [t for t in getattr(kp.evidence, lang) if _norm(t) in norm]
                assert len(hits) >= 2, (q.id, lang, kp.id, hits)


@pytest.mark.unit
def test_coding_questions_are_asked_aloud(questions):
    for q in questions:
        if q.category == "coding":
            assert q.text.en.startswith("Walk me through"), q.id
            assert q.text.es.startswith("Cuéntame"), q.id


@pytest.mark.unit
def test_every_question_names_three_wrong_claims_in_both_languages(questions):
    from voice_interviewer.judging.claims import red_flag_problems

    for q in questions:
        assert len(q.red_flags) >= 3, q.id
        for f in q.red_flags:
            assert f.cues.en and f.cues.es, (q.id, f.id)
            assert f.claim.en != f.claim.es and f.correction.en != f.correction.es, (q.id, f.id)
        assert red_flag_problems(q) == [], q.id


@pytest.mark.unit
def test_no_red_flag_fires_on_any_model_answer_of_its_question(questions):
    """The model answer is the best answer there is: no wrong claim may be read into it."""
    from voice_interviewer.judging import lexical as lx
    from voice_interviewer.judging.claims import red_flags_in

    for q in questions:
        for lang in ("en", "es"):
            found = red_flags_in(lx.tokenize(q.model_answer.get(lang)), q, lang)
            assert found == [], (q.id, lang, [f.claim.id for f in found])
