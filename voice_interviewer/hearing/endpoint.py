"""End-of-answer detection: silero VAD per 32 ms block plus the Smart Turn v3 model at pauses.

Why silero (onnx) rather than webrtcvad: webrtcvad is a GMM on band energies that fires on
breaths, clicks and fan noise unless set to its most aggressive mode, where it clips soft word
endings; silero is a small neural model (2.3 MB, ~0.1 ms per 32 ms block here) that ships in
the same pipecat-ai wheel as the turn model and runs on onnxruntime we already depend on, so it
adds no package. The Smart Turn model (Whisper-encoder classifier, 23 languages) looks at the
last ≤ 8 s of the answer and says whether the speaker sounds finished.

Policy (all durations from settings): once speech has started, a pause of ``check_after_s``
triggers one turn-model prediction. If it says complete (and the answer is at least
``min_answer_s`` long) the answer ends when the silence reaches ``end_silence_s`` and, with a
``text_check``, the transcript up to the pause reads as finished (waited for up to
``text_wait_s``); otherwise it ends only after ``max_pause_s`` of silence. ``max_answer_s``
caps the answer; no speech within ``no_speech_timeout_s`` ends it as "no speech".

With a ``cue_check`` the words up to a pause are also read for spoken cues (``cues.py``): a
closer ("that's all", "eso es todo") ends the answer as soon as its text is in, whatever the turn
model says; a request for time ("let me think", "un momento") holds the floor through the pause
that follows, up to ``think_s`` after the phrase, unless speech resumes (then the usual rules).

With a ``rule`` (``turn_end.TurnEndRule``) the rule decides in place of the quick end above: once
the silence reaches its first look (``end_silence_s``) and the transcript up to the pause is in,
the turn probability, the text check and ``progress_check`` (words so far, rubric coverage,
expected length) give the silence at which the pause ends the answer (reason "finished"), if any;
a pause a finished-reading answer makes may end it though the turn model doubts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, Protocol

import numpy as np
from pydantic import BaseModel

from ..config import Settings
from ..sound import SAMPLE_RATE as RATE
from .cues import Cue
from .features import fit_last_seconds, log_mel
from .textcue import Ending
from .turn_end import AnswerProgress, PauseFeatures, TurnEndRule

VAD_BLOCK = 512


def _session(path: Path, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.inter_op_num_threads = 1
    so.intra_op_num_threads = threads
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


class SileroVAD:
    """Silero VAD v5 on onnxruntime: speech probability of each 512-sample (32 ms) block."""

    def __init__(self, path: Path | str):
        self._sess = _session(Path(path))
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, 64), dtype=np.float32)

    def __call__(self, block: np.ndarray) -> float:
        x = np.asarray(block, dtype=np.float32).reshape(1, -1)
        if x.shape[1] != VAD_BLOCK:
            raise ValueError(f"VAD needs {VAD_BLOCK}-sample blocks, got {x.shape[1]}")
        x = np.concatenate([self._context, x], axis=1)
        out, self._state = self._sess.run(
            None, {"input": x, "state": self._state, "sr": np.array(RATE, dtype=np.int64)})
        self._context = x[:, -64:]
        return float(out[0][0])


class TurnModel(Protocol):
    def probability(self, audio: np.ndarray) -> float: ...


class SmartTurn:
    """Smart Turn v3: probability that the speaker has finished, from the last ≤ 8 s."""

    def __init__(self, path: Path | str, threads: int = 1):
        self._sess = _session(Path(path), threads)

    def probability(self, audio: np.ndarray) -> float:
        feats = log_mel(fit_last_seconds(audio))[None, :, :]
        out = self._sess.run(None, {"input_features": feats})
        return float(np.asarray(out[0]).reshape(-1)[0])


def _setting(name: str):
    """The default of a ``Settings`` field: the user-facing timings are set there only."""
    return Settings.model_fields[name].default


# the settings an EndpointConfig takes from Settings
FROM_SETTINGS = ("end_silence_s", "max_pause_s", "min_answer_s", "max_answer_s",
                 "no_speech_timeout_s", "turn_threshold", "think_s")


class EndpointConfig(BaseModel):
    end_silence_s: float = _setting("end_silence_s")
    max_pause_s: float = _setting("max_pause_s")
    min_answer_s: float = _setting("min_answer_s")
    max_answer_s: float = _setting("max_answer_s")
    no_speech_timeout_s: float = _setting("no_speech_timeout_s")
    think_s: float = _setting("think_s")
    check_after_s: float = 0.2  # silence before asking the turn model
    gap_s: float = 0.1  # a short silence inside speech (a "gap" event: a safe place to cut)
    vad_threshold: float = 0.5
    vad_release: float = 0.35  # below this a block counts as silence (hysteresis)
    min_speech_s: float = 0.1  # voiced run that counts as the start of speech
    # 0.95 rather than 0.5: answers cut at a mid-clause thinking pause 58% -> 16%
    # for 0.06 s more median delay (benchmarks/endpointing.py)
    turn_threshold: float = _setting("turn_threshold")
    pre_speech_s: float = 0.5  # audio before speech start given to the turn model
    use_turn_model: bool = True
    text_wait_s: float = 1.5  # silence after which a transcript still not ready is not awaited

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> EndpointConfig:
        data = {k: getattr(settings, k) for k in FROM_SETTINGS}
        return cls(**{**data, **overrides})


EventKind = Literal["speech_start", "gap", "pause", "resume", "think", "end", "no_speech"]


@dataclass
class Event:
    kind: EventKind
    sample: int  # position in the recording the event refers to
    reason: str = ""
    turn_probability: float | None = None


TextCheck = Callable[[int], "Ending | None"]
CueCheck = Callable[[int], "Cue | None"]
ProgressCheck = Callable[[int], "AnswerProgress | None"]


@dataclass
class Endpointer:
    """Feed 512-sample blocks in order; returns events. Keeps the answer's audio for the model.

    ``text_check(sample)``, when given, reads how the transcript of the answer up to ``sample``
    ends (``textcue.ending``: "finished", "bare" or "open"), None while it is not ready yet. A
    quick end then needs both the turn model and a finished text; otherwise it waits for the
    long pause limit, and a transcript not ready within ``text_wait_s`` of silence is not awaited.

    ``cue_check(sample)`` reads the same words for a spoken cue: "close", "think" or None (also
    while they are not transcribed yet); it is asked at every block of a pause.

    ``rule`` and ``progress_check(sample)`` (the answer's progress up to ``sample``, None while
    its transcript is not ready) add the early end of ``turn_end``; ``pause_features`` keeps the
    signals it read at each pause.
    """

    vad: SileroVAD
    turn: TurnModel | None
    config: EndpointConfig = field(default_factory=EndpointConfig)
    text_check: TextCheck | None = None
    cue_check: CueCheck | None = None
    rule: TurnEndRule | None = None
    progress_check: ProgressCheck | None = None

    def __post_init__(self) -> None:
        self.vad.reset()
        self.audio: list[np.ndarray] = []
        self.samples = 0
        self.speaking = False
        self.voiced_run = 0
        self.silent_run = 0
        self.speech_start: int | None = None  # sample index of the first voiced sample
        self.last_voiced_end: int | None = None  # sample index just after the last voiced block
        self.pause_checked = False
        self.turn_says_complete = False
        self.turn_probabilities: list[float] = []
        self.text_verdicts: list[bool | None] = []
        self.done: Event | None = None
        self.pauses: list[tuple[int, int]] = []  # (start, end) of pauses that speech resumed after
        self.think_until: int | None = None  # a request for time holds the floor until this sample
        self._think_pause: int | None = None  # the pause the last request for time was heard at
        self.pause_features: list[PauseFeatures] = []
        self._rule_read = False  # the rule has read this pause's signals
        self._rule_wait: float | None = None  # silence at which the rule ends this pause

    def silence_s(self) -> float:
        if self.last_voiced_end is None:
            return 0.0
        return (self.samples - self.last_voiced_end) / RATE

    def all_audio(self) -> np.ndarray:
        return np.concatenate(self.audio) if self.audio else np.zeros(0, dtype=np.float32)

    def _turn_audio(self) -> np.ndarray:
        start = max(0, (self.speech_start or 0) - int(self.config.pre_speech_s * RATE))
        start = max(start, self.samples - 8 * RATE)
        return self.all_audio()[start:]

    def feed(self, block: np.ndarray) -> list[Event]:
        if self.done is not None:
            return []
        cfg = self.config
        events: list[Event] = []
        start = self.samples
        self.audio.append(block)
        self.samples += len(block)
        p = self.vad(block)
        voiced = p >= cfg.vad_threshold or (self.speaking and p >= cfg.vad_release)
        if voiced:
            self.silent_run = 0
            self.voiced_run += len(block)
            if not self.speaking and self.voiced_run >= cfg.min_speech_s * RATE:
                self.speaking = True
                if self.speech_start is None:
                    self.speech_start = self.samples - self.voiced_run
                    events.append(Event("speech_start", self.speech_start))
                else:
                    self.pauses.append((self.last_voiced_end or start, self.samples - self.voiced_run))
                    events.append(Event("resume", self.samples - self.voiced_run))
                self.pause_checked = False
                self.turn_says_complete = False
                self._rule_read, self._rule_wait = False, None
                self.think_until = None  # speech resumed: the usual rules again
            if self.speaking:
                self.last_voiced_end = self.samples
        else:
            self.voiced_run = 0
            self.silent_run += len(block)
            if self.speaking:
                self.speaking = False
            gap = int(cfg.gap_s * RATE)
            if self.speech_start is not None and gap <= self.silent_run < gap + len(block):
                events.append(Event("gap", self.last_voiced_end or start))
        events.extend(self._decide())
        return events

    def _decide(self) -> list[Event]:
        cfg = self.config
        if self.speech_start is None:
            if self.samples >= cfg.no_speech_timeout_s * RATE:
                self.done = Event("no_speech", self.samples, reason="timeout")
                return [self.done]
            return []
        events: list[Event] = []
        length_s = ((self.last_voiced_end or self.samples) - self.speech_start) / RATE
        if (self.samples - self.speech_start) / RATE >= cfg.max_answer_s:
            self.done = Event("end", self.samples, reason="max_length")
            return [self.done]
        if self.speaking:
            return []
        silence = self.silence_s()
        if not self.pause_checked and silence >= cfg.check_after_s:
            self.pause_checked = True
            events.append(Event("pause", self.last_voiced_end or self.samples))
            if self.turn is not None and cfg.use_turn_model:
                prob = self.turn.probability(self._turn_audio())
                self.turn_probabilities.append(prob)
                events[-1].turn_probability = prob
                self.turn_says_complete = prob >= cfg.turn_threshold
        if self.voiced_run:  # voice again, not yet long enough to count as speech: never end on it
            return events
        if self.cue_check is not None and silence >= cfg.gap_s:
            cue = self.cue_check(self.last_voiced_end)
            if cue == "close":
                self.done = Event("end", self.samples, reason="closer")
                return [*events, self.done]
            if cue == "think" and self._think_pause != self.last_voiced_end:
                self._think_pause = self.last_voiced_end
                self.think_until = self.last_voiced_end + int(cfg.think_s * RATE)
                events.append(Event("think", self.last_voiced_end))
        if self.think_until is not None and self.samples < self.think_until:
            return events  # thinking: no end at this pause
        if (self.rule is None and self.turn_says_complete and silence >= cfg.end_silence_s
                and length_s >= cfg.min_answer_s):
            text = self._text_ending()
            if text is None and silence >= cfg.text_wait_s:
                text = "finished"
            verdict = None if text is None else text == "finished"
            if verdict is not None:
                self.text_verdicts.append(verdict)
            if verdict:
                self.done = Event("end", self.samples, reason="complete",
                                  turn_probability=self.turn_probabilities[-1])
            elif verdict is False:
                self.turn_says_complete = False  # the words trail off: wait for the long limit
        if self.done is None and self.rule is not None and length_s >= cfg.min_answer_s:
            self._apply_rule(silence)
        if self.done is None and silence >= cfg.max_pause_s:
            self.done = Event("end", self.samples, reason="pause_limit")
        if self.done is not None:
            events.append(self.done)
        return events

    def _text_ending(self) -> Ending | None:
        """How the words up to the pause end (no text check: taken as finished)."""
        return "finished" if self.text_check is None else self.text_check(self.last_voiced_end)

    def _apply_rule(self, silence: float) -> None:
        """The end-of-answer decision (``turn_end``), in place of the quick end above: read the
        pause's signals once its transcript is in (not awaited past ``text_wait_s``), then end
        when the rule's silence is reached."""
        rule, cfg = self.rule, self.config
        if not self._rule_read and silence >= rule.first_look_s:
            text = self._text_ending()
            progress = None
            if text is not None:
                progress = self.progress_check(self.last_voiced_end) if self.progress_check else AnswerProgress()
            if progress is None:
                if silence < cfg.text_wait_s:
                    return  # the words up to the pause are still being transcribed
                text, progress = None, AnswerProgress()
            self._rule_read = True
            self.text_verdicts.append(None if text is None else text == "finished")
            prob = self.turn_probabilities[-1] if self.pause_checked and self.turn_probabilities else None
            features = PauseFeatures(turn_probability=prob, text_ending=text, progress=progress)
            self.pause_features.append(features)
            self._rule_wait = rule.wait_s(features)
        if self._rule_wait is not None and silence >= self._rule_wait:
            self.done = Event("end", self.samples, reason="finished",
                              turn_probability=self.turn_probabilities[-1] if self.turn_probabilities else None)


def load_endpointer_models(models_dir: Path | str | None = None, *, turn: bool = True,
                           progress: bool = True) -> tuple[SileroVAD, SmartTurn | None]:
    from ..weights import ModelFiles

    files = ModelFiles(models_dir)
    vad = SileroVAD(files.path("silero-vad", progress=progress))
    model = SmartTurn(files.path("smart-turn-v3.2", progress=progress)) if turn else None
    return vad, model
