"""Barge-in: the candidate talks over the interviewer and it stops; its own voice does not.

The audio tests speak through the real synthesizer and player into the virtual speaker, play a
recorded answer into the virtual microphone, and (for the echo tests) loop the speaker into the
microphone with ``virtual-audio echo on``.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from stt_paths import STT_DATA, retry_once
from test_capture import normalise
from voice_interviewer.hearing.capture import Block
from voice_interviewer.speaking.barge_in import BargeInMonitor, BargeInSpeaker, EchoCanceller

REACTION = ("6 out of 10. You missed: the bias-variance trade-off says that a more flexible model "
            "lowers the bias but raises the variance, so the total error is smallest somewhere in "
            "between, and regularization moves a model along that curve.")
QUESTION = ("What is the difference between bias and variance in a machine learning model, and how "
            "does the size of the training set change each of them?")
ANSWER = STT_DATA / "en_answer.wav"  # "Overfitting happens when a model learns the noise ..."


# --- the monitor's rule, on made-up blocks -----------------------------------------------------

class FakeRecorder:
    """Blocks whose VAD probability is their first sample, 32 ms apart from t = 100 s."""

    def __init__(self, levels, hold: threading.Event):
        self.levels, self.hold = levels, hold

    def __enter__(self):
        self.i = 0
        return self

    def __exit__(self, *exc):
        pass

    def read(self, timeout=1.0):
        if self.i >= len(self.levels):
            self.hold.wait(timeout)
            return None
        level = self.levels[self.i]
        self.i += 1
        return Block(samples=np.full(512, level, np.float32), t_end=100 + self.i * 0.032,
                     index=(self.i - 1) * 512)


class ProbabilityVAD:
    """The VAD's probability of a block: its first sample."""

    def reset(self):
        pass

    def __call__(self, block):
        return float(block[0])


def run_monitor(levels):
    done, stops = threading.Event(), []
    monitor = BargeInMonitor(ProbabilityVAD(), lambda: FakeRecorder(levels, done),
                             lambda: stops.append(time.monotonic()))
    monitor.start()
    time.sleep(0.3)
    return monitor, stops


@pytest.mark.unit
def test_a_fifth_of_a_second_of_speech_cuts_in_and_the_words_are_kept():
    levels = [0.1] * 30 + [0.9] * 7 + [0.8] * 20
    monitor, stops = run_monitor(levels)
    assert len(stops) == 1 and monitor.triggered
    assert monitor.onset == pytest.approx(100 + 30 * 0.032)  # the first voiced block's start
    assert monitor.detected == pytest.approx(100 + 36 * 0.032)  # six blocks: 0.19 s
    blocks = monitor.take_audio()
    # 0.5 s (16 blocks) before the onset, then every block from it on
    assert len(blocks) == 16 + 27
    assert [float(b[0]) for b in blocks[16:18]] == pytest.approx([0.9, 0.9])
    assert monitor.kept_from == pytest.approx(100 + 14 * 0.032)
    # a recording that starts at t = 101.0 s takes only what came before it
    monitor2, _ = run_monitor(levels)
    assert len(monitor2.take_audio(until=101.0)) == 31 - 14


@pytest.mark.unit
def test_a_short_noise_or_a_broken_run_does_not_cut_in():
    levels = [0.9] * 5 + [0.2] + [0.9] * 5 + [0.3] * 10 + [0.7, 0.5] * 10  # 0.5: under 0.6
    monitor, stops = run_monitor(levels)
    assert stops == [] and not monitor.triggered
    assert monitor.take_audio() == []


class TimedSpeaker:
    """A speaker whose utterances take ``seconds``; counts the player's stops."""

    def __init__(self, seconds: float):
        self.seconds, self.stops, self.said = seconds, 0, []
        self.player = self

    def stop(self):
        self.stops += 1

    def say(self, text, *, kind, language, save_to=None):
        self.said.append(kind)
        time.sleep(self.seconds)
        return time.monotonic()


def probing_speaker(levels, enabled):
    hold = threading.Event()
    inner = TimedSpeaker(0.4)
    speaker = BargeInSpeaker(inner, inner, ProbabilityVAD(), lambda: FakeRecorder(levels, hold),
                             probing=True, on_enabled=lambda: enabled.append(1), probe_min_s=1.0)
    return speaker, inner


@pytest.mark.unit
def test_probing_turns_barge_in_on_after_an_utterance_the_microphone_heard_no_voice_through():
    enabled: list[int] = []
    speaker, inner = probing_speaker([0.1] * 40, enabled)  # 1.3 s of quiet microphone
    speaker.say("An info line.", kind="info", language="en")  # not watched: no probe
    assert speaker.probing and enabled == []
    speaker.say("A question?", kind="question", language="en")
    assert not speaker.probing and speaker.active and enabled == [1] and inner.stops == 0


@pytest.mark.unit
def test_probing_stays_off_while_the_microphone_hears_a_voice_or_too_little():
    enabled: list[int] = []
    # a tenth of a second at 0.35 (under the monitor's 0.6, over the probe's 0.3): a faint echo
    speaker, inner = probing_speaker([0.1] * 10 + [0.35] * 4 + [0.1] * 30, enabled)
    speaker.say("A question?", kind="question", language="en")
    assert speaker.probing and enabled == [] and speaker.echo_heard == 1
    speaker.say("A reaction.", kind="reaction", language="en")  # twice: the probing ends, off
    assert not speaker.probing and not speaker.active and enabled == [] and speaker.echo_heard == 2
    assert inner.stops == 0 and speaker.barged_in is None and speaker.take_audio() == []
    speaker.recorder_factory = None  # no longer watched: the microphone is not opened again
    speaker.say("A question?", kind="question", language="en")
    assert inner.said == ["question", "reaction", "question"]
    speaker, inner = probing_speaker([0.1] * 20, enabled)  # 0.64 s of audio: too little to tell
    speaker.say("A question?", kind="question", language="en")
    assert speaker.probing and enabled == [] and speaker.echo_heard == 0


# --- through the virtual speaker and microphone ------------------------------------------------

@pytest.fixture
def barge_speaker(virtual_audio, listening_models):
    from voice_interviewer.hearing.capture import Recorder
    from voice_interviewer.hearing.endpoint import SileroVAD
    from voice_interviewer.speaking.tts import EspeakSpeaker
    from voice_interviewer.weights import ModelFiles

    inner = EspeakSpeaker("en").start()
    vad = SileroVAD(ModelFiles().path("silero-vad", progress=False))
    speaker = BargeInSpeaker(inner, inner.player, vad, lambda: Recorder())
    yield speaker
    speaker.close()


@pytest.mark.audio
@pytest.mark.tts
@pytest.mark.model
@pytest.mark.slow
@retry_once
def test_talking_over_the_reaction_stops_it_and_the_answer_keeps_its_first_words(
        barge_speaker, mic, tmp_path, whisper_transcriber, listening_models):
    from test_capture import request
    from voice_interviewer.config import Settings
    from voice_interviewer.hearing.listener import Listener

    speaker = barge_speaker
    full = speaker.inner.synthesize(REACTION, "en", tmp_path / "full.wav").duration_s
    timer = threading.Timer(1.5, mic.play, args=(ANSWER,))
    t0 = time.monotonic()
    timer.start()
    speaker.say(REACTION, kind="reaction", language="en")
    said_for = time.monotonic() - t0
    b = speaker.barged_in
    assert b is not None and b.kind == "reaction"
    assert b.reaction_s is not None and b.reaction_s < 0.3, b
    assert said_for < full - 3.0, (said_for, full)  # cut short, not played to its end
    # the listener opens its own stream and takes the words heard so far over: none is lost
    vad, turn = listening_models
    listener = Listener(Settings(), transcriber=whisper_transcriber, vad=vad, turn_model=turn, live=False)
    listener.lead_in = speaker.take_audio
    answer = listener.get_answer(request(tmp_path, lambda: None, language="en"))
    timer.join()
    text = normalise(answer.text)
    assert text.startswith("overfitting happens"), answer.text
    assert "regularization" in text, answer.text


@pytest.mark.audio
@pytest.mark.tts
@pytest.mark.model
@pytest.mark.slow
def test_the_interviewers_own_voice_looped_into_the_mic_does_not_cut_in(barge_speaker, mic):
    speaker = barge_speaker
    canceller = EchoCanceller()
    assert canceller.start(), "module-echo-cancel did not load"
    try:
        # measured: the own voice still cuts in 3 times in 20 through the canceller (20 in 20 without):
        # six utterances may cut in twice at most
        cut_in = []
        with mic.echo():
            for kind, text in [("question", QUESTION), ("reaction", REACTION)] * 3:
                speaker.say(text, kind=kind, language="en")
                if speaker.barged_in is not None:
                    cut_in.append((kind, speaker.barged_in))
                    speaker.take_audio()
        assert len(cut_in) <= 2, cut_in
    finally:
        canceller.close()
    import os
    import subprocess

    modules = subprocess.run(["pactl", "list", "short", "modules"], capture_output=True, text=True).stdout
    assert "module-echo-cancel" not in modules and "PULSE_SOURCE" not in os.environ  # all undone
    # the same loop without the canceller: the microphone hears the interviewer, who cuts itself off
    with mic.echo():
        speaker.say(QUESTION, kind="question", language="en")
    assert speaker.barged_in is not None
    speaker.take_audio()


@pytest.mark.audio
@pytest.mark.tts
@pytest.mark.model
@pytest.mark.slow
def test_probing_turns_on_when_the_microphone_does_not_hear_the_interviewer_and_not_through_a_loop(
        barge_speaker, mic):
    speaker = barge_speaker
    enabled: list[int] = []
    speaker.probing, speaker.active, speaker.on_enabled = True, False, lambda: enabled.append(1)
    with mic.echo():  # the speaker looped into the microphone: it hears the question
        speaker.say(QUESTION, kind="question", language="en")
    assert speaker.probing and speaker.echo_heard == 1 and enabled == [] and speaker.barged_in is None
    speaker.say(QUESTION, kind="question", language="en")  # no loop: nothing of it reaches the microphone
    assert not speaker.probing and speaker.active and enabled == [1]


@pytest.mark.audio
@pytest.mark.tts
@pytest.mark.model
@pytest.mark.slow
def test_info_lines_are_not_watched_and_the_cue_is_left_out_after_a_barge_in(barge_speaker, mic):
    speaker = barge_speaker
    with mic.echo():  # no canceller: a watched line would cut itself off
        speaker.say("I didn't hear anything. Let's try again, please.", kind="info", language="en")
    assert speaker.barged_in is None
    played = []
    speaker.inner.cue = lambda: played.append(1)
    speaker.cue()
    assert played == [1]
    with mic.echo():
        speaker.say(QUESTION, kind="question", language="en")
    assert speaker.barged_in is not None
    speaker.cue()
    assert played == [1]
    speaker.take_audio()


# --- the interview loop after a barge-in (fakes for the audio) ---------------------------------

class TalkedOverSpeaker:
    """Says nothing aloud; the utterances whose number is in ``cut`` were talked over."""

    def __init__(self, cut: set[int]):
        self.cut, self.said, self.last_cut = cut, [], None

    def say(self, text, *, kind, language, save_to=None):
        self.said.append((kind, text))
        self.last_cut = kind if len(self.said) in self.cut else None
        return float(len(self.said))

    def talked_over(self):
        return self.last_cut


@pytest.mark.unit
def test_talking_over_the_reaction_goes_on_with_the_same_answer_and_over_the_question_starts_it(tmp_path):
    from fakes import FakeJudge, ScriptedAnswers
    from test_interview import BANK, judgement
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.interview import Interview
    from voice_interviewer.schema import Session
    from voice_interviewer.store import SessionStore

    qs = QuestionBank.load([BANK]).select(ids=["overfitting", "gradient-descent"])
    store = SessionStore(tmp_path)
    session = Session(id="s1", language="en")
    store.create(session)
    # said: 1 question 1, 2 its reaction (talked over), 3 the new reaction, 4 question 2 (talked
    # over: the words answer it), 5 its reaction
    speaker = TalkedOverSpeaker(cut={2, 4})
    from voice_interviewer.schema import Answer, Timings

    # the speaker's "first audio" is the count of things said: 1.0, 2.0, 3.0 ...
    answers = ScriptedAnswers(Answer(text="It learns the noise.", language="en", timings=Timings(speech_end=0.5)),
                              Answer(text="and I would detect it on a validation set.", language="en",
                                     timings=Timings(speech_end=2.2, endpoint=2.6)),
                              "Step against the gradient.")
    judge = FakeJudge(judgement(4), judgement(8), judgement(7))
    s = Interview(session, qs, speaker, answers, judge, store, followups=0, prefetch=False).run()
    assert [k for k, _ in speaker.said] == ["question", "reaction", "reaction", "question", "reaction", "info", "summary"]
    assert [t.question_id for t in s.turns] == ["overfitting", "gradient-descent"]
    assert s.turns[0].answer == "It learns the noise. and I would detect it on a validation set."
    assert judge.history[1] == ("overfitting", s.turns[0].answer)  # judged again as a whole
    assert s.turns[0].score == 8 and s.turns[0].reaction == speaker.said[2][1]
    assert s.turns[1].answer == "Step against the gradient." and s.turns[1].score == 7
    assert [r.audio_name for r in answers.requests] == ["turn-01.wav", "turn-01-more-1.wav", "turn-02.wav",
                                                         "turn-02-after.wav"]  # the end moment
    assert "turn 1: the answer went on over the reaction (turn-01-more-1.wav)" in s.notes
    # the answer ended where its last part did: the wait is to the reaction said after it
    t = s.turns[0].timings
    assert (t.speech_end, t.endpoint, t.reply_audio_start, t.wait) == (2.2, 2.6, 3.0, 0.8)


# --- voice-interviewer practice, end to end ----------------------------------------------------

@pytest.mark.audio
@pytest.mark.tts
@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("output", ["speakers", "headphones", "unheard"])
def test_practice_an_answer_goes_on_over_the_reaction(mic, tmp_path, output):
    """The candidate answers, then talks over the reaction: the reaction stops, the words join the
    same answer (its own WAV), which is judged again; the loop then ends normally. With speakers
    barge-in is asked for (``--barge-in``: through the echo canceller); with headphones (a default
    output whose form factor says so) it is on by itself, with no canceller; "unheard": the virtual
    speaker, not looped into the microphone, and no flag: the first question turns it on."""
    import json
    import os
    import subprocess
    import sys

    from test_e2e_voice import DATA, REPO, _status, heard

    def pactl(*args):
        return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True).stdout.strip()

    recordings = tmp_path / "recordings"
    default_sink, module = pactl("get-default-sink"), None
    if output == "headphones":
        module = pactl("load-module", "module-null-sink", "sink_name=vi_headphones",
                       "sink_properties=device.form_factor=headphone")
        pactl("set-default-sink", "vi_headphones")
    flags = ["--barge-in"] if output == "speakers" else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice_interviewer", "practice", "--question", "bias-variance",
         "--followups", "0", "--scorer", "offline", "--language", "en", *flags,
         "--recordings-dir", str(recordings)],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=(tmp_path / "out.txt").open("w"), stderr=(tmp_path / "err.txt").open("w"),
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )  # fmt: skip
    step, deadline, players = "answer", time.monotonic() + 600, []
    try:
        while proc.poll() is None:
            assert time.monotonic() < deadline, "the interview did not finish in time"
            _, status = _status(recordings)
            state = status and status["state"]
            if step == "answer" and state == "listening":
                step = "answered"
                players.append(threading.Thread(target=mic.play, args=(DATA / "en-bias-variance.wav",)))
                players[-1].start()
            elif step == "answered" and state == "speaking":  # the reaction is being made and said
                step = "more"
                players.append(threading.Timer(0.8, mic.play, args=(STT_DATA / "en_sentence.wav",)))
                players[-1].start()
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for p in players:
            p.join(timeout=60)
        if module is not None:
            pactl("set-default-sink", default_sink)
            pactl("unload-module", module)
    err = (tmp_path / "err.txt").read_text()
    assert proc.returncode == 0, err[-3000:]
    said = (tmp_path / "out.txt").read_text()
    assert ("barge-in on (headphones)" in said) == (output == "headphones"), said[:2000]
    assert ("barge-in on: the microphone did not hear" in said) == (output == "unheard"), said[:2000]
    path, _ = _status(recordings)
    session = json.loads(path.read_text())
    turn, = session["turns"]
    more = "turn 1: the answer went on over the reaction (turn-01-more-1.wav)"
    assert more in session["notes"], (session["notes"], turn["answer"])
    # both parts in the one answer: the first ("... underfitting ...") and what was said over the
    # reaction ("I would use cross validation ... overfitting")
    assert heard("underfitting", turn["answer"]) and heard("validation", turn["answer"]), turn["answer"]
    assert (path.parent / "turn-01-more-1.wav").is_file()
