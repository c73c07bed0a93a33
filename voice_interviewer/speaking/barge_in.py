"""Barge-in: the candidate talks over the interviewer, and the interviewer stops.

While the interviewer speaks, ``BargeInMonitor`` reads the microphone and runs the silero VAD on
each 32 ms block; once the candidate has spoken for ``min_speech_s`` (0.2 s: six blocks in a
row above ``threshold`` and ``min_level_dbfs``) it calls its
``on_speech`` (the player's ``stop``) and keeps recording, so the answer's first words are kept:
the listener takes them over (``take_audio``) after it has opened its own stream.

``BargeInSpeaker`` wraps the spoken interviewer (``EspeakSpeaker``): it watches questions,
follow-ups and reactions, and remembers in ``barged_in`` what the last one was cut by.

Probing (speakers, barge-in not asked for): the speaker stops nothing at first. It listens while
each watched utterance plays, more keenly than the monitor stops at (``PROBE_*``), and turns
barge-in on after the first one of ``PROBE_MIN_S`` or more during which the microphone heard no
voice: no sound of the interviewer reaches it (a virtual or muted output, headphones PulseAudio
does not name as such). After ``PROBE_HEARD`` utterances it heard a voice through (the
interviewer's own, or the candidate talking over it) it stops probing: barge-in stays off.

With headphones the microphone does not hear the interviewer, so barge-in needs nothing more
(``headphones_in_use`` reads the default output's port and form factor from PulseAudio). With
speakers the microphone hears the interviewer's own voice. ``EchoCanceller`` loads
PulseAudio's ``module-echo-cancel`` (WebRTC) on the default sink and source and points this
process's new streams at it (``PULSE_SINK``/``PULSE_SOURCE``): the program plays through the
canceller and hears the microphone with the interviewer's voice taken out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from ..ports import Speaker
from ..sound import SAMPLE_RATE

WATCHED = ("question", "follow_up", "reaction")  # what the candidate may talk over
MIN_SPEECH_S = 0.2  # this much voiced audio stops the interviewer (to the block: 6 × 32 ms)
VAD_THRESHOLD = 0.6  # above the listener's 0.5: a cough or the echo's remains should not cut in
# and louder than this: what the echo canceller leaves of the interviewer's voice is mostly
# under -45 dBFS (measured: benchmarks/RESULTS.md), a candidate speaking into the microphone over
# -36 dBFS in nine blocks out of ten
MIN_LEVEL_DBFS = -40.0
KEEP_BEFORE_S = 0.5  # audio kept from before the speech onset (the first word's attack)
# probing: a voiced run this short, this likely and this loud during an utterance keeps barge-in
# off (far under the monitor's trigger, so an echo too faint to find now is far from cutting in)
PROBE_THRESHOLD = 0.3
PROBE_LEVEL_DBFS = -55.0
PROBE_MIN_SPEECH_S = 0.1
PROBE_MIN_S = 2.0  # the microphone audio an utterance must have been heard through
PROBE_HEARD = 2  # utterances with a voice heard through them that end probing (barge-in off)
AEC_SOURCE = "vi_echo_cancelled"
AEC_SINK = "vi_echo_cancel_sink"
# no gain control: it would turn the microphone's volume up and down
AEC_ARGS = "analog_gain_control=0 digital_gain_control=0"


class BargeIn(BaseModel):
    """The candidate talked over the interviewer."""

    kind: str  # what was cut: question, follow_up or reaction
    onset: float  # clock time of the first voiced block
    detected: float  # clock time the monitor decided
    stopped: float | None  # clock time the interviewer's sound stopped (the player's estimate)

    @property
    def reaction_s(self) -> float | None:
        return None if self.stopped is None else round(self.stopped - self.onset, 3)


class BargeInMonitor:
    """Reads the microphone on a thread while the interviewer speaks (see the module doc)."""

    def __init__(self, vad, recorder_factory: Callable[[], object], on_speech: Callable[[], None],
                 *, min_speech_s: float = MIN_SPEECH_S, threshold: float = VAD_THRESHOLD,
                 min_level_dbfs: float = MIN_LEVEL_DBFS):
        self.vad = vad
        self.min_rms = 10 ** (min_level_dbfs / 20)
        self.recorder_factory = recorder_factory
        self.on_speech = on_speech
        self.min_blocks = max(1, round(min_speech_s * SAMPLE_RATE / 512))
        self.threshold = threshold
        self.onset: float | None = None
        self.kept_from: float | None = None  # clock time of the first sample take_audio gives
        self.detected: float | None = None
        self.error: BaseException | None = None
        self.heard_s = 0.0  # microphone audio read so far
        self._blocks: deque = deque()  # (samples, t_end) before the onset: the last KEEP_BEFORE_S
        self._after: list = []  # (samples, t_end) from the onset on
        self._quit = threading.Event()
        self._opened = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> BargeInMonitor:
        self._thread = threading.Thread(target=self._run, name="barge-in", daemon=True)
        self._thread.start()
        self._opened.wait(5.0)
        return self

    @property
    def triggered(self) -> bool:
        return self.detected is not None

    def _run(self) -> None:
        keep = max(1, round(KEEP_BEFORE_S * SAMPLE_RATE / 512))
        run: list = []
        try:
            self.vad.reset()
            with self.recorder_factory() as rec:
                self._opened.set()
                while not self._quit.is_set():
                    block = rec.read(timeout=0.5)
                    if block is None:
                        continue
                    self.heard_s += len(block.samples) / SAMPLE_RATE
                    item = (block.samples, block.t_end)
                    with self._lock:
                        if self.detected is not None:
                            self._after.append(item)
                            continue
                        self._blocks.append(item)
                        while len(self._blocks) > keep + self.min_blocks:
                            self._blocks.popleft()
                    if len(block.samples) != 512:
                        continue
                    loud = float(np.sqrt(np.mean(np.square(block.samples)))) >= self.min_rms
                    if self.vad(block.samples) >= self.threshold and loud:
                        run.append(block)
                    else:
                        run.clear()
                    if len(run) >= self.min_blocks:
                        first = run[0]
                        with self._lock:
                            self.onset = first.t_end - len(first.samples) / SAMPLE_RATE
                            self.detected = block.t_end
                            self._after = []
                            # the blocks from the onset on move to _after
                            while self._blocks and self._blocks[-1][1] >= first.t_end:
                                self._after.insert(0, self._blocks.pop())
                            while len(self._blocks) > keep:
                                self._blocks.popleft()
                            head = (self._blocks or self._after)[0]
                            self.kept_from = head[1] - len(head[0]) / SAMPLE_RATE
                        self.on_speech()
        except BaseException as exc:  # noqa: BLE001 - reported by stop(); the interview goes on
            self.error = exc
            self._opened.set()

    def stop(self) -> None:
        self._quit.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def take_audio(self, until: float | None = None) -> list[np.ndarray]:
        """Stop, and hand back the 512-sample blocks from ``KEEP_BEFORE_S`` before the onset on
        (up to clock time ``until``: where the caller's own recording begins)."""
        self.stop()
        with self._lock:
            items = list(self._blocks) + self._after if self.triggered else []
        return [s for s, t in items if until is None or t <= until]


class BargeInSpeaker:
    """A ``Speaker`` (and ``Cueing``) whose watched utterances stop when the candidate speaks.

    ``vad`` is a silero VAD of its own (the listener's is busy right after); ``recorder_factory``
    opens the microphone (``hearing.capture.Recorder``). After a cut ``barged_in`` says what was
    cut, and ``take_audio`` (the listener's lead-in) hands over the candidate's first words.
    """

    def __init__(self, inner: Speaker, player, vad, recorder_factory: Callable[[], object],
                 *, min_speech_s: float = MIN_SPEECH_S,
                 threshold: float = VAD_THRESHOLD, probing: bool = False,
                 on_enabled: Callable[[], None] | None = None, probe_min_s: float = PROBE_MIN_S):
        self.inner = inner
        self.probing = probing  # listening for the interviewer's own voice, stopping nothing
        self.active = not probing  # stopping the interviewer when the candidate speaks
        self.on_enabled = on_enabled  # called when probing turns barge-in on
        self.probe_min_s = probe_min_s
        self.echo_heard = 0  # probed utterances during which the microphone heard a voice
        self.player = player
        self.vad = vad
        self.recorder_factory = recorder_factory
        self.min_speech_s = min_speech_s
        self.threshold = threshold
        self.barged_in: BargeIn | None = None
        self.history: list[BargeIn] = []
        self.error: BaseException | None = None  # the last monitor's failure (the voice goes on)
        self._monitor: BargeInMonitor | None = None

    def __getattr__(self, name):  # last, start, close, voices ...: the wrapped speaker's
        return getattr(self.inner, name)

    def say(self, text: str, *, kind: str, language: str, save_to: Path | None = None) -> float:
        self._drop_monitor()
        self.barged_in = None
        if kind in WATCHED and self.probing:
            return self._probe(text, kind=kind, language=language, save_to=save_to)
        if kind not in WATCHED or not self.active:
            return self.inner.say(text, kind=kind, language=language, save_to=save_to)
        monitor = BargeInMonitor(self.vad, self.recorder_factory, self.player.stop,
                                 min_speech_s=self.min_speech_s, threshold=self.threshold)
        monitor.start()
        try:
            started = self.inner.say(text, kind=kind, language=language, save_to=save_to)
        except BaseException:
            monitor.stop()
            raise
        self.error = monitor.error
        if monitor.triggered:
            assert monitor.onset is not None and monitor.detected is not None
            self.barged_in = BargeIn(kind=kind, onset=monitor.onset, detected=monitor.detected,
                                     stopped=getattr(self.player, "stopped_at", None))
            self.history.append(self.barged_in)
            self._monitor = monitor  # still recording: the listener takes over
        else:
            monitor.stop()
            rearm = getattr(self.player, "rearm", None)
            if rearm is not None:
                rearm()
        return started

    def _probe(self, text: str, *, kind: str, language: str, save_to: Path | None) -> float:
        """Say a watched utterance in full and turn barge-in on if the microphone heard no voice
        through it (see the module doc)."""
        monitor = BargeInMonitor(self.vad, self.recorder_factory, lambda: None,
                                 min_speech_s=PROBE_MIN_SPEECH_S, threshold=PROBE_THRESHOLD,
                                 min_level_dbfs=PROBE_LEVEL_DBFS)
        monitor.start()
        try:
            started = self.inner.say(text, kind=kind, language=language, save_to=save_to)
        finally:
            monitor.stop()
        self.error = monitor.error
        if monitor.triggered:
            self.echo_heard += 1
            self.probing = self.echo_heard < PROBE_HEARD
        elif monitor.error is None and monitor.heard_s >= self.probe_min_s:
            self.probing, self.active = False, True
            if self.on_enabled is not None:
                self.on_enabled()
        return started

    def talked_over(self) -> str | None:
        """What the last utterance was cut by the candidate's voice (its kind), else None."""
        return self.barged_in.kind if self.barged_in is not None else None

    def cue(self) -> None:
        """The "your turn" tone, left out after a barge-in: the candidate is already talking."""
        if self.barged_in is None and hasattr(self.inner, "cue"):
            self.inner.cue()

    @property
    def kept_from(self) -> float | None:
        """Clock time of the first sample ``take_audio`` will give (None: no barge-in)."""
        return self._monitor.kept_from if self._monitor is not None else None

    def take_audio(self, until: float | None = None) -> list[np.ndarray]:
        """The candidate's first words after a barge-in (see ``BargeInMonitor.take_audio``)."""
        monitor, self._monitor = self._monitor, None
        return monitor.take_audio(until) if monitor is not None else []

    def _drop_monitor(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()
            self._monitor = None

    def close(self) -> None:
        self._drop_monitor()
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


def _pactl(*args: str) -> subprocess.CompletedProcess:
    """``pactl`` on the session's PulseAudio (or PipeWire pulse) server, in the C locale (English field names)."""
    return subprocess.run(["pactl", *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=10, env=dict(os.environ, LC_ALL="C"))


class EchoCanceller:
    """PulseAudio's module-echo-cancel between this process and the default sink and source."""

    def __init__(self, method: str = "webrtc"):
        self.method = method
        self.module: str | None = None
        self._saved: dict[str, str | None] = {}

    def start(self) -> bool:
        """Load the canceller and use it; False (and nothing changed) when there is no PulseAudio
        server (or PipeWire's pulse server) to load it into."""
        if shutil.which("pactl") is None:
            return False
        try:
            sink = _pactl("get-default-sink").stdout.strip()
            source = _pactl("get-default-source").stdout.strip()
            if not sink or not source or source.endswith(".monitor"):
                return False
            r = _pactl("load-module", "module-echo-cancel", f"aec_method={self.method}",
                       f"sink_master={sink}", f"source_master={source}",
                       f"sink_name={AEC_SINK}", f"source_name={AEC_SOURCE}",
                       f'aec_args="{AEC_ARGS}"')
        except (OSError, subprocess.TimeoutExpired):
            return False
        if r.returncode != 0 or not r.stdout.strip().isdigit():
            # left loaded by a session that was killed: use it (and leave it)
            try:
                names = _pactl("list", "short", "sources").stdout.split()
            except (OSError, subprocess.TimeoutExpired):
                return False
            if AEC_SOURCE not in names:
                return False
        else:
            self.module = r.stdout.strip()
        for key, value in (("PULSE_SINK", AEC_SINK), ("PULSE_SOURCE", AEC_SOURCE)):
            self._saved[key] = os.environ.get(key)
            os.environ[key] = value
        return True

    def close(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved = {}
        if self.module is None:
            return
        try:
            _pactl("unload-module", self.module)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.module = None

    def __enter__(self) -> EchoCanceller:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


HEADPHONE_WORDS = ("headphone", "headset", "earphone", "earbud")


def sink_is_headphones(listing: str, sink: str) -> bool:
    """Whether ``sink`` in ``pactl list sinks`` output plays into the ears: its active port is a
    headphone or headset port (wired jacks, USB headsets), or its form factor says so (Bluetooth)."""
    block, inside = [], False
    for line in listing.splitlines():
        if line.startswith("Sink #"):
            if inside:
                break
            block = []
        block.append(line.strip())
        if line.strip() == f"Name: {sink}":
            inside = True
    if not inside:
        return False
    active = next((ln.split(":", 1)[1].strip() for ln in block if ln.startswith("Active Port:")), "")
    described = [ln for ln in block if active and ln.startswith(f"{active}:")]
    form = next((ln.split("=", 1)[1].strip().strip('"') for ln in block if ln.startswith("device.form_factor")), "")
    text = " ".join([active, *described, form]).lower()
    return any(word in text for word in HEADPHONE_WORDS)


def headphones_in_use() -> bool:
    """Whether the default PulseAudio (or PipeWire pulse) output is headphones or a headset;
    False when it cannot be told (no server, no pactl)."""
    if shutil.which("pactl") is None:
        return False
    try:
        sink = _pactl("get-default-sink").stdout.strip()
        return bool(sink) and sink_is_headphones(_pactl("list", "sinks").stdout, sink)
    except (OSError, subprocess.TimeoutExpired):
        return False
