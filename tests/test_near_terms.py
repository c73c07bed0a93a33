"""Rubric terms heard nearly (misrecognised by a letter or by sound) still count for their key
point, in English and Spanish; short and merely similar words do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_interviewer.bank import QuestionBank
from voice_interviewer.judging import lexical as lx, near_terms

BANK = Path(__file__).parent / "data" / "mini-bank.yaml"


@pytest.mark.unit
@pytest.mark.parametrize("heard, term", [
    ("overfeeding", "overfitting"), ("balidation", "validation"), ("regularination", "regularization"),
    ("ruimo", "ruido"), ("natos", "datos"), ("entreamiento", "entrenamiento"), ("memorizes", "memorises"),
    ("generalice", "generalize"), ("gradiente", "gradient"),
])
def test_near_words(heard, term):
    assert near_terms.near(heard, term)


@pytest.mark.unit
@pytest.mark.parametrize("heard, term", [
    ("less", "loss"), ("marians", "variance"), ("normalization", "validation"), ("data", "date"),
    ("noisy", "noise"[:3]), ("precision", "decision"), ("recall", "recoil"),
])
def test_not_near_words(heard, term):
    assert not near_terms.near(heard, term)


@pytest.mark.unit
def test_terms_found_nearly_in_both_languages_and_split_words_joined():
    tokens = lx.tokenize("el modelo me moriza el ruimo de los natos de entreamiento")
    hits = near_terms.find_terms(tokens, ["memoriza", "ruido", "datos de entrenamiento", "generaliza"])
    assert [(h.term, h.start, h.end) for h in hits] == [
        ("memoriza", 2, 4), ("ruido", 5, 6), ("datos de entrenamiento", 8, 11)]
    tokens = lx.tokenize("you see a gap between the training and the balidation error")
    assert [h.term for h in near_terms.find_terms(tokens, ["validation", "held out", "gap"])] == ["gap", "validation"]
    assert near_terms.find_terms(lx.tokenize("we lower the less"), ["loss"]) == []


@pytest.mark.model
@pytest.mark.parametrize("language, answer, heard_nearly, said_exactly", [
    # "balidation": the detection key point is partly there, where exact matching found none of it
    ("en", "It memorises noise and generalises poorly. Check the balidation error.", "partly", "missing"),
    # "precha", "balidación": covered, where exact matching found none of it
    ("es", "Memoriza el ruido. Lo ves en la precha con el error de balidación.", "covered", "missing"),
])
def test_a_misheard_rubric_term_still_earns_its_key_point(offline_judge, monkeypatch, language, answer,
                                                         heard_nearly, said_exactly):
    (q,) = QuestionBank.load([BANK]).select(ids=["overfitting"])
    heard = offline_judge.judge(q, answer, language)
    with monkeypatch.context() as m:  # the same judge matching terms exactly, as before
        m.setattr(near_terms, "find_terms", lx.find_terms)
        exact = offline_judge.judge(q, answer, language)
    assert {k.id: k.verdict for k in heard.key_points}["detection"] == heard_nearly, heard.key_points
    assert {k.id: k.verdict for k in exact.key_points}["detection"] == said_exactly, exact.key_points
    assert heard.score > exact.score
