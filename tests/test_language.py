"""The es/en rules every reader of a transcript shares (language.py)."""

from __future__ import annotations

import pytest

from voice_interviewer.language import clamp_language, fold_accents, guess_language, words

pytestmark = pytest.mark.unit  # no model, device, server or browser


def test_clamp_keeps_es_and_en_and_falls_back_to_the_default():
    assert [clamp_language(x) for x in ("es", "en", "auto", None, "fr")] == ["es", "en", "en", "en", "en"]
    assert clamp_language("auto", "es") == "es" and clamp_language("auto", "auto") == "en"


def test_fold_accents_keeps_case_and_length_of_plain_letters():
    assert fold_accents("Regularización, ¿qué? Ñandú") == "Regularizacion, ¿que? Nandu"
    assert words("¿Qué es la REGULARIZACIÓN? L2, ¡ya!") == ["que", "es", "la", "regularizacion", "l2", "ya"]


def test_guess_language_from_function_words_only_one_language_has():
    assert guess_language("el modelo es muy simple y no generaliza") == "es"
    assert guess_language("the model is too simple and does not generalize") == "en"
    assert guess_language("¿Cómo detectarías el sobreajuste en la práctica?") == "es"  # accents folded
    # "no" and "a" are function words of both: no evidence either way
    assert guess_language("no a") is None and guess_language("no a", default="es") == "es"
    assert guess_language("", default="auto") == "en"
