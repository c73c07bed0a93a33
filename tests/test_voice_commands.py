"""Spoken commands and the voice answer source's retry/delivery logic (fakes, no audio)."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_interviewer.hearing.commands import detect_command
from voice_interviewer.schema import Answer, Timings
from voice_interviewer.ports import AnswerRequest
from voice_interviewer.cli.voice_mode import MOVE_ON, NO_SPEECH, VoiceAnswers

from fakes import CueSpeaker, FakeSpeaker, ScriptedListener

pytestmark = pytest.mark.unit  # no model, device, server or browser


@pytest.mark.parametrize(
    "text, command",
    [
        ("Repeat the question.", "repeat"),
        ("Could you repeat the question, please?", "repeat"),
        ("Sorry, can you say that again?", "repeat"),
        ("Repite la pregunta.", "repeat"),
        ("¿Puedes repetir la pregunta, por favor?", "repeat"),
        ("Otra vez, por favor.", "repeat"),
        ("Skip.", "skip"),
        ("Next question, please.", "skip"),
        ("Next.", "skip"),
        ("Siguiente.", "skip"),
        ("Siguiente pregunta.", "skip"),
        ("Pass.", "skip"),
        ("Stop.", "stop"),
        ("Stop the interview.", "stop"),
        ("Terminar.", "stop"),
        ("Vamos a terminar la entrevista.", "stop"),
        ("OK, let's stop.", "stop"),
    ],
)
def test_short_commands_are_detected(text, command):
    assert detect_command(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thank you.",
        "Regularization adds a penalty to the loss.",
        "Stop words are removed before the next step.",
        "I would skip the validation set and use cross validation instead of a single split.",
        "Next we compute the gradient of the loss with respect to the weights and repeat until convergence.",
        "Para evitar el sobreajuste.",
        "La regularización penaliza los pesos grandes.",
    ],
)
def test_answers_are_not_commands(text):
    assert detect_command(text) is None


def request(language="en"):
    return AnswerRequest(turn=1, question_id="q", language=language, session_dir=Path("."), audio_name="turn-01.wav")


def test_spoken_command_becomes_answer_command():
    speaker = CueSpeaker()
    src = VoiceAnswers(ScriptedListener(Answer(text="Repeat the question, please.")), speaker)
    answer = src.get_answer(request())
    assert answer.command == "repeat"
    assert speaker.cues == 1 and speaker.said == []


def test_no_speech_retries_once_then_skips():
    speaker = FakeSpeaker()
    listener = ScriptedListener(Answer(no_speech=True), Answer(no_speech=True))
    answer = VoiceAnswers(listener, speaker).get_answer(request("es"))
    assert listener.calls == 2
    assert answer.command == "skip" and answer.no_speech
    assert speaker.said == [("info", NO_SPEECH["es"]), ("info", MOVE_ON["es"])]


def test_no_speech_then_answer_is_heard():
    speaker = FakeSpeaker()
    heard = Answer(text="Bias is error.", language="en", timings=Timings(speech_start=10.0, speech_end=14.0))
    listener = ScriptedListener(Answer(no_speech=True), heard)
    answer = VoiceAnswers(listener, speaker).get_answer(request("auto"))
    assert listener.calls == 2
    assert speaker.said == [("info", NO_SPEECH["en"])]
    assert answer == heard


def end_request(language="en"):
    return AnswerRequest(turn=2, question_id="q", language=language, session_dir=Path("."),
                         audio_name="turn-02-after.wav", end_moment=True)


@pytest.mark.parametrize("heard, command", [
    (Answer(text="How would you answer it?"), "answer"), (Answer(text="¿Cómo lo responderías?"), "answer"),
    (Answer(text="Let me try again."), "retry"), (Answer(text="Otra vez."), "repeat"),  # the loop retries
    (Answer(text="No, I think I am done for today."), None), (Answer(no_speech=True), None)])
def test_after_the_last_question_one_listening_and_silence_is_quiet(heard, command):
    from rich.console import Console

    from voice_interviewer.cli.voice_mode import LISTENING_LAST

    speaker, console = CueSpeaker(), Console(record=True, width=200, color_system=None)
    listener = ScriptedListener(heard, Answer(text="Let me try again."))
    answer = VoiceAnswers(listener, speaker, console, language="es").get_answer(end_request("es"))
    assert answer.command == command
    assert listener.calls == 1 and speaker.said == [] and speaker.cues == 1  # no "didn't hear" line
    assert console.export_text().strip() == LISTENING_LAST["es"]


def test_answers_are_heard_again_from_their_recording_commands_are_not(tmp_path):
    class Pass:
        def __init__(self):
            self.started = []

        def start(self, path, language, live, context=None, duration_s=None):
            self.started.append((path, language, live, context, duration_s))
            return lambda timeout: "heard again"

    second = Pass()
    src = VoiceAnswers(ScriptedListener(), FakeSpeaker(), second=second)
    answer = Answer(text="It overfits.", language="es", audio_file="turn-02.wav",
                    timings=Timings(speech_start=10.0, speech_end=14.5))
    assert src.hear_again(answer, tmp_path, "¿Qué es?")(1.0) == "heard again"
    assert second.started == [(tmp_path / "turn-02.wav", "es", "It overfits.", "¿Qué es?", 4.5)]
    assert src.hear_again(answer.model_copy(update={"command": "skip"}), tmp_path, "") is None
    assert VoiceAnswers(ScriptedListener(), FakeSpeaker()).hear_again(answer, tmp_path, "") is None  # hear_again off
