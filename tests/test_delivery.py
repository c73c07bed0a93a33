"""Delivery metrics from synthetic word timestamps: pace, fillers (en/es), pauses, hedges."""

from __future__ import annotations

import pytest

from voice_interviewer.judging.delivery import LONG_PAUSE_S, measure

pytestmark = pytest.mark.unit  # no model, device, server or browser


def timed(text: str, step: float = 0.4, word_s: float = 0.3, gaps: dict[int, float] | None = None):
    """Whisper-style word dicts: one word every ``step`` s, extra silence before word i in ``gaps``."""
    words, t = [], 0.5
    for i, tok in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        words.append({"word": f" {tok}", "start": round(t, 3), "end": round(t + word_s, 3), "probability": 0.9})
        t += step
    return words


def test_wpm_from_timestamps_ignores_leading_silence():
    words = timed(" ".join(["word"] * 60), step=0.4)  # 60 words over 23.9 s of speech
    m = measure("", "en", words=words, duration_s=40.0)
    span = words[-1]["end"] - words[0]["start"]
    assert m.words == 60
    assert m.words_per_minute == pytest.approx(60 / span * 60, abs=0.1)
    assert m.duration_s == 40.0


def test_wpm_falls_back_to_duration_without_timestamps():
    m = measure("one two three four five six seven eight nine ten", "en", duration_s=5.0)
    assert m.words == 10 and m.words_per_minute == 120.0
    assert m.long_pauses == []
    assert any("timestamps" in n for n in m.notes)


def test_english_fillers_counted_per_word_and_per_minute():
    text = "um so I mean the model uh basically overfits you know and it is like sort of memorizing um yeah"
    words = timed(text, step=0.5)
    m = measure(text, "en", words=words)
    assert m.fillers == {"um": 2, "i mean": 1, "uh": 1, "basically": 1, "you know": 1, "like": 1, "sort of": 1}
    minutes = (words[-1]["end"] - words[0]["start"]) / 60
    assert m.fillers_per_minute == pytest.approx(8 / minutes, abs=0.1)


def test_like_and_kind_of_as_ordinary_words_are_not_fillers():
    m = measure("I like this model and it is a kind of ensemble that would like to learn", "en")
    assert "like" not in m.fillers and "kind of" not in m.fillers


def test_spanish_fillers_and_demonstrative_este():
    text = "eh bueno o sea este, el modelo este modelo es bueno pues digamos que aprende ¿no?"
    m = measure(text, "es", words=timed(text))
    assert m.fillers["eh"] == 1
    assert m.fillers["bueno"] == 1  # "es bueno" is an adjective
    assert m.fillers["o sea"] == 1
    assert m.fillers["este"] == 1  # "este modelo" is a demonstrative
    assert m.fillers["pues"] == 1 and m.fillers["digamos"] == 1 and m.fillers["¿no?"] == 1


def test_long_pauses_from_word_gaps():
    text = "gradient descent moves against the gradient with a learning rate"
    words = timed(text, gaps={3: 3.0, 7: 1.0, 9: 4.2})
    m = measure(text, "en", words=words)
    assert len(m.long_pauses) == 2
    assert all(p > LONG_PAUSE_S for p in m.long_pauses)
    assert m.long_pauses[0] == pytest.approx(3.1, abs=0.01)
    assert m.long_pauses[1] == pytest.approx(4.3, abs=0.01)


def test_hedges_en_and_es():
    en = measure("I think it is probably the learning rate but maybe not I'm not sure", "en")
    assert en.hedges == {"i think": 1, "probably": 1, "maybe": 1, "i'm not sure": 1}
    es = measure("creo que es la tasa de aprendizaje pero tal vez no, no estoy seguro, quizás", "es")
    assert es.hedges == {"creo que": 1, "tal vez": 1, "no estoy seguro": 1, "quizas": 1}


def test_lower_bound_note_in_answer_language_and_pace_notes():
    fast = measure("", "en", words=timed(" ".join(["w"] * 40), step=0.25, word_s=0.2))
    assert any("lower bound" in n for n in fast.notes)
    assert any("Fast pace" in n for n in fast.notes)
    slow = measure("", "es", words=timed(" ".join(["p"] * 40), step=0.6, word_s=0.3))
    assert any("mínimo" in n for n in slow.notes)
    assert any("Ritmo lento" in n for n in slow.notes)


def test_empty_answer():
    m = measure("", "en")
    assert m.words == 0 and m.fillers == {} and m.words_per_minute is None


def test_auto_language_is_told_from_the_words():
    m = measure("eh bueno o sea el modelo sobreajusta porque es muy complejo", "auto")
    assert m.fillers.get("o sea") == 1 and any("mínimo" in n for n in m.notes)
