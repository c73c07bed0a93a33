"""The model answer and another attempt asked for by voice, through the virtual microphone:
real speech (natural voices, tests/data/said), capture, endpointing, Whisper and command detection, in the interview
loop. The candidate answers question 1, then while question 2 is on asks "how would you answer
it?", then "let me try again", answers question 1 again, and then question 2. After the last
question the same commands come once more: the model answer, then another attempt; silence (or
"stop") ends the interview."""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path

import pytest
import soundfile as sf

from rich.console import Console

from fakes import FakeSpeaker, TermJudge
from stt_paths import retry_once
from voice_interviewer.bank import QuestionBank
from voice_interviewer.cli.display import turn_panel
from voice_interviewer.cli.voice_mode import VoiceAnswers
from voice_interviewer.coaching import END_MOMENT
from voice_interviewer.hearing.commands import detect_command
from voice_interviewer.config import Settings
from voice_interviewer.interview import COACHING, Interview
from voice_interviewer.schema import Session
from voice_interviewer.store import SessionStore

pytestmark = [pytest.mark.audio, pytest.mark.model, pytest.mark.slow]

BANK = Path(__file__).parent / "data" / "mini-bank.yaml"
SAID_DIR = Path(__file__).parent / "data" / "said"  # natural voices (make_said.py)
SAID = ["overfitting-answer", "answer-it", "try-again", "overfitting-again", "gradient-answer"]


def clip(key: str, language: str, out_dir: Path) -> Path:
    """The natural-voice clip ``key`` as a 16-bit WAV the virtual microphone plays."""
    audio, rate = sf.read(str(SAID_DIR / language / f"{key}.opus"), dtype="float32")
    out = out_dir / f"{language}-{key}.wav"
    sf.write(str(out), audio, rate, subtype="PCM_16")
    return out


class Spoken:
    """An answer source over VoiceAnswers that speaks the next clip into the mic when listening starts."""

    def __init__(self, voice: VoiceAnswers, mic, wavs: list[Path]):
        self.voice, self.mic, self.wavs = voice, mic, list(wavs)
        self.heard: list[str] = []
        self.threads: list[threading.Thread] = []

    def get_answer(self, request):
        outer = request.on_listening
        wav = self.wavs.pop(0) if self.wavs or not request.end_moment else None  # none: silence

        def listening():
            outer()
            if wav is None or self.threads and self.threads[-1].name == str(wav):
                return  # listening again within the same answer: the clip is already playing
            t = threading.Thread(target=self.mic.play, args=(wav,), name=str(wav), daemon=True)
            t.start()
            self.threads.append(t)

        request.on_listening = listening
        answer = self.voice.get_answer(request)
        if self.threads:
            self.threads[-1].join(timeout=60)
        self.heard.append(answer.text)
        return answer


@retry_once
@pytest.mark.parametrize("language", ["en", "es"])
def test_model_answer_and_retry_asked_by_voice(mic, whisper_transcriber, listening_models, tmp_path, language):
    from voice_interviewer.hearing.listener import Listener

    vad, turn_model = listening_models
    listener = Listener(Settings(), transcriber=whisper_transcriber, vad=vad, turn_model=turn_model, live=False)
    wavs = [clip(key, language, tmp_path) for key in SAID]
    speaker = FakeSpeaker()
    source = Spoken(VoiceAnswers(listener, speaker, language=language, cue=False), mic, wavs)
    store = SessionStore(Path(tempfile.mkdtemp(dir=tmp_path)))  # a fresh folder for a second try
    session = Session(id="v1", language=language, mode="voice")
    store.create(session)
    questions = QuestionBank.load([BANK]).select(ids=["overfitting", "gradient-descent"])
    Interview(session, questions, speaker, source, TermJudge(), store, followups=0, prefetch=False).run()

    s = store.load("v1")
    assert not source.wavs, source.heard  # every clip was asked for: no command was taken for an answer
    assert [(t.question_id, t.attempt, t.retry_of) for t in s.turns] == [
        ("overfitting", 1, None), ("overfitting", 2, 1), ("gradient-descent", 1, None)], source.heard
    said = dict(speaker.said)
    lead = "Así lo respondería:" if language == "es" else "Here is how I would answer it:"
    assert said["model_answer"].startswith(lead)
    assert s.turns[0].model_answer_said == said["model_answer"]
    assert re.match(r"^[+-]\d", s.turns[1].reaction), s.turns[1].reaction  # what changed, not a first reaction
    if language == "en":  # the judge here reads English terms: the gap, heard the second time, counts
        assert s.turns[1].score > s.turns[0].score
    assert s.turns[0].audio_file and s.turns[1].audio_file and s.turns[0].audio_file != s.turns[1].audio_file
    assert s.state == "completed" and speaker.said[-2] == ("info", END_MOMENT[language])  # then silence
    # the panel printed after a heard answer shows how it was said
    console = Console(record=True, width=240, color_system=None)
    console.print(turn_panel(s.turns[0]))
    assert re.search(r"delivery: \d+ words · \d+ wpm \((slow|comfortable|fast)\)", console.export_text())


# one question: the answer, then after its reaction how it was said, the model answer and a retry
SAID_AFTER_LAST = ["overfitting-answer", "delivery", "answer-it", "try-again", "overfitting-again", "stop"]


@retry_once
@pytest.mark.parametrize("language", ["en", "es"])
def test_model_answer_and_retry_after_the_last_question_by_voice(mic, make_listener, tmp_path, language):
    wavs = [clip(key, language, tmp_path) for key in SAID_AFTER_LAST]
    speaker = FakeSpeaker()
    source = Spoken(VoiceAnswers(make_listener(), speaker, language=language, cue=False), mic, wavs)
    store = SessionStore(Path(tempfile.mkdtemp(dir=tmp_path)))
    session = Session(id="v1", language=language, mode="voice")
    store.create(session)
    questions = QuestionBank.load([BANK]).select(ids=["overfitting"])
    Interview(session, questions, speaker, source, TermJudge(), store, followups=0, prefetch=False).run()

    s = store.load("v1")
    assert not source.wavs, source.heard
    assert [(t.attempt, t.retry_of) for t in s.turns] == [(1, None), (2, 1)], source.heard
    assert [k for k, _ in speaker.said] == ["question", "reaction", "info", "info", "info", "model_answer", "info",
                                            "question", "reaction", "info", "summary"], source.heard
    assert speaker.said[2] == speaker.said[4] == ("info", END_MOMENT[language])
    pace = "palabras por minuto" if language == "es" else "words a minute"
    assert pace in speaker.said[3][1], speaker.said[3][1]  # how the answer was said, spoken
    assert s.turns[0].model_answer_said == speaker.said[5][1]
    assert re.match(r"^[+-]\d", s.turns[1].reaction), s.turns[1].reaction
    assert s.state == "completed" and s.summary.mean_score == s.turns[0].score  # the first attempt counts
    assert sorted(p.name for p in store.session_dir("v1").glob("*.wav")) == ["turn-01.wav", "turn-02.wav"]
    # ended by the last sentence (silence: the test above): "stop" when heard right, and anything that is
    # not a coaching command ends it too
    assert detect_command(source.heard[-1]) not in COACHING, source.heard
