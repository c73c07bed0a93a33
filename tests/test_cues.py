"""Spoken closers and requests for time, found at the end of the text only (en and es)."""

from __future__ import annotations

import pytest

from voice_interviewer.hearing.cues import spoken_cue

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", [
    "We add a penalty to the weights. That's all.",
    "So that's it, thanks.",
    "Dropout and weight decay, and that's it",
    "It trades bias for variance. That is all I have.",
    "I think that's all.",
    "Regularization, um… I'm done.",
    "THAT’S IT!",
    "Añadimos una penalización a los pesos. Eso es todo.",
    "Y eso es todo, gracias.",
    "Esto es todo.",
    "Usaría validación cruzada para elegir la penalización Eso es todo.",  # no full stop, a capital
    "Bueno, ya está.",
    "Reduce la varianza, ya está",
    "Y ya he terminado.",
])
def test_a_closer_at_the_end_closes(text):
    assert spoken_cue(text) == "close"


@pytest.mark.parametrize("text", [
    "That's all there is to bias.",
    "that's it for the first part, now the second one",
    "What it does is that's all",  # not the start of a clause
    "Eso es todo lo que sé sobre el sesgo",
    "El modelo ya está entrenado.",
    "Cuando la pérdida deja de bajar, el modelo ya está.",  # "ya está" inside a clause
    "No hace falta nada más.",
    "The last line reads That's all there is.",
    "The model is done when the loss stops going down.",
    "",
])
def test_the_same_words_elsewhere_do_not_close(text):
    assert spoken_cue(text) != "close"


@pytest.mark.parametrize("text", [
    "Hmm, let me think.",
    "Good question. Let me think about that for a second.",
    "Give me a second...",
    "Um, one moment, please.",
    "Déjame pensar.",
    "Eh, déjame pensarlo un momento, por favor.",
    "Pues, un momento...",
    "Dame un segundo.",
])
def test_a_request_for_time_at_the_end_asks_for_time(text):
    assert spoken_cue(text) == "think"


@pytest.mark.parametrize("text", [
    "Let me think about regularization in terms of the weights.",
    "Let me see the validation curve first, then decide.",
    "Ocurre en un momento.",  # "un momento" inside a clause
    "Déjame pensar en el sesgo y la varianza del modelo.",
    "Overfitting is when the model memorises the noise.",
])
def test_the_same_words_elsewhere_ask_for_nothing(text):
    assert spoken_cue(text) is None
