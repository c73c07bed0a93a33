"""The microphone answer source: record, detect the end of the answer, transcribe.

``Listener`` implements ``ports.AnswerSource``. Its models (Whisper, silero VAD, Smart Turn) are
loaded before the first question by the CLI (``cli/voice_mode.py``) and handed in. The microphone is open only inside
``get_answer`` (half duplex: the interviewer's own voice is never recorded). All timings are
``time.monotonic()`` seconds, the session clock.

An answer ends when the endpointer says so (a pause, a spoken closer such as "that's all"), at
the length cap, or when ``finish_answer()`` is called (the CLI calls it on Enter). After "let me
think" / "déjame pensar" the live view counts down the time the listener waits (``think_s``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..config import Settings
from ..schema import Answer, Timings
from ..ports import AnswerRequest
from .transcript import Transcriber, Transcript, Word
from ..sound import SAMPLE_RATE
from .capture import Recorder, check_input_device, level_dbfs
from .cues import Cue, spoken_cue
from .endpoint import EndpointConfig, Endpointer, SileroVAD, TurnModel
from .incremental import IncrementalTranscriber, quietest_point
from .turn_end import AnswerProgress, TurnEndRule

GAP_CHUNK_S = 6.0  # a short gap inside speech settles a chunk once this much is pending
PAUSE_CHUNK_S = 2.0  # a pause settles a chunk once this much is pending (shorter ones lose context)
ADVANCE_S = 4.0  # speech running this long past the settled point is transcribed as it goes on
FORCE_CHUNK_S = 10.0  # speech with no gap at all is cut at its quietest point past this
QUIET_SEARCH_S = 2.0  # ... searched for in this much audio before the newest 0.3 s
TAIL_MIN_S = 0.4  # a piece this long left at a pause is decoded at once (for its spoken cues)
TAIL_PAD_S = 0.15  # audio kept after the last voiced block when transcribing the tail
CUT_PAD = int(0.05 * SAMPLE_RATE)  # chunks end this far after the last voiced block


def _stdin_enter() -> None:
    sys.stdin.readline()


class _LiveView:
    """Level meter and partial transcript on stderr (rich Live), throttled to ~10 Hz."""

    def __init__(self, enabled: bool, console=None):
        self.enabled = enabled
        self._live = None
        self._console = console
        self._last = 0.0
        self.text = ""
        self.state = "listening"
        self.countdown: float | None = None  # seconds still waited for a thinking candidate

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            self._live = Live("", console=self._console or Console(stderr=True),
                              auto_refresh=False, transient=True)
            self._live.start()
        return self

    def update(self, db: float, force: bool = False) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        from rich.text import Text

        filled = int(max(0.0, min(1.0, (db + 60) / 60)) * 30)
        line = Text()
        line.append(f"{self.state:<10} ", style="bold cyan")
        line.append("█" * filled, style="green" if db > -35 else "dim green")
        line.append("·" * (30 - filled), style="dim")
        line.append(f" {db:6.1f} dB")
        if self.countdown is not None:
            line.append(f"  take your time: {self.countdown:.0f} s", style="yellow")
        line.append("\n")
        line.append(self.text[-300:] or "…", style="italic")
        self._live.update(line, refresh=True)

    def __exit__(self, *exc):
        if self._live is not None:
            self._live.stop()


def settle_on(events, ep: Endpointer, inc: IncrementalTranscriber) -> None:
    """What the incremental transcriber may start on after these endpointer events: nothing
    before speech, everything up to a pause or a short gap, and, while speech runs on without
    either, the words safely before the newest audio."""
    for ev in events:
        if ev.kind == "speech_start":
            inc.skip_to(max(0, ev.sample - int(0.3 * SAMPLE_RATE)))
        elif ev.kind == "pause":  # cut just after the last voiced block
            audio = ep.all_audio()
            inc.settle(audio, ev.sample + CUT_PAD, min_s=PAUSE_CHUNK_S)
            # a last piece too short to settle ("... That's it.") is read now, not at the end:
            # its words may close the answer or ask for time (finish() would decode it anyway)
            inc.tentative(audio, ev.sample + CUT_PAD, min_s=TAIL_MIN_S)
        elif ev.kind == "gap":  # a chunk if enough is pending, else maybe the answer's end
            audio = ep.all_audio()
            inc.settle(audio, ev.sample + CUT_PAD, min_s=GAP_CHUNK_S)
            inc.tentative(audio, ev.sample + CUT_PAD)
        elif ev.kind == "resume":
            inc.retract()
    if ep.speaking and ep.samples - inc.settled >= ADVANCE_S * SAMPLE_RATE and inc.idle:
        inc.advance(ep.all_audio(), ep.samples)
    if ep.speaking and ep.samples - inc.settled >= FORCE_CHUNK_S * SAMPLE_RATE:
        audio = ep.all_audio()
        inc.settle(audio, quietest_point(audio, ep.samples - int(0.3 * SAMPLE_RATE)),
                   min_s=FORCE_CHUNK_S - QUIET_SEARCH_S - 0.5)


FIT_PAUSE_S = 0.5  # pauses the word times are fitted to (shorter ones are left to Whisper)


def fit_words_to_pauses(words: list[Word], pauses: list[tuple[float, float]]) -> list[Word]:
    """Word times kept out of the pauses the VAD heard (``(start, end)`` seconds).

    Whisper's alignment often stretches the first word after a pause back over it (a chunk
    that begins with the pause: "add" at 4.25-6.75 s after a 2 s pause ending at 6.3 s), and
    the pause vanishes from the word gaps delivery measures. A word that overlaps a pause of
    ``FIT_PAUSE_S`` or more is cut back to the side most of it lies on; a word wholly inside
    one (a soft "um" the VAD missed) is left alone."""
    out = list(words)
    for a, b in pauses:
        if b - a < FIT_PAUSE_S:
            continue
        for i, w in enumerate(out):
            if w.end <= a or w.start >= b:
                continue
            before, after = max(0.0, a - w.start), max(0.0, w.end - b)
            if after > 0 and after >= before:
                out[i] = w.model_copy(update={"start": round(b, 3)})
            elif before > 0:
                out[i] = w.model_copy(update={"end": round(a, 3)})
    return out


def cue_reader(inc: IncrementalTranscriber) -> Callable[[int], Cue | None]:
    """The endpointer's ``cue_check``: the spoken cue the transcript up to a sample ends with,
    once all of it is transcribed (an older text ending in "that's all" is not the answer's end)."""
    def check(upto: int) -> Cue | None:
        text = inc.text_through(upto)
        return spoken_cue(text) if text else None

    return check


def progress_reader(inc: IncrementalTranscriber, request: AnswerRequest) -> Callable[[int], AnswerProgress | None]:
    """The endpointer's ``progress_check``: words so far, the rubric coverage the request's
    ``coverage`` gives them and its expected length; None while the text is not ready."""
    def check(upto: int) -> AnswerProgress | None:
        text = inc.text_upto(upto)
        if text is None:
            return None
        coverage = request.coverage(text) if request.coverage is not None and text else None
        return AnswerProgress(words=len(text.split()), coverage=coverage,
                              expected_words=request.expected_words)

    return check


class Listener:
    """AnswerSource that hears the candidate through the microphone."""

    def __init__(
        self,
        settings: Settings,
        *,
        transcriber: Transcriber,
        vad: SileroVAD,
        turn_model: TurnModel | None,
        incremental: bool = True,
        text_cue: bool | None = None,
        live: bool = True,
        console=None,
        wait_enter: Callable[[], None] = _stdin_enter,
        clock: Callable[[], float] = time.monotonic,
    ):
        """``turn_model`` None: an answer ends on silence alone (``max_pause_s``)."""
        self.settings = settings
        self.device = settings.input_device
        check_input_device(self.device)  # fail before the first question, not after it
        self.transcriber = transcriber
        self.vad = vad
        self.turn_model = turn_model
        self.config = EndpointConfig.from_settings(settings, use_turn_model=turn_model is not None)
        self.push_to_talk = settings.push_to_talk
        self.incremental = incremental
        # the transcript up to the pause must also read as finished to end quickly
        self.text_cue = settings.end_text_check if text_cue is None else text_cue
        # the combined early end at a pause the turn model doubts (turn_end.py)
        self.rule = (TurnEndRule(turn_sure=settings.turn_threshold)
                     if settings.end_rule and turn_model is not None else None)
        self.live = live
        self.console = console
        self.wait_enter = wait_enter
        self.clock = clock
        self._stop: threading.Event | None = None  # set to end the answer being listened to
        # the audio heard before this answer's stream opened (the first words of a candidate who
        # talked over the interviewer): ``Recorder``'s lead_in, set by the CLI
        self.lead_in: Callable[[float], list[np.ndarray]] | None = None

    def finish_answer(self) -> None:
        """End the answer being listened to now, as a pause would (the Enter key in voice mode);
        does nothing between answers."""
        stop = self._stop
        if stop is not None:
            stop.set()

    # ------------------------------------------------------------------
    def get_answer(self, request: AnswerRequest) -> Answer:
        path = Path(request.session_dir) / request.audio_name
        view = _LiveView(self.live, self.console)
        context = request.context or None
        inc = (IncrementalTranscriber(self.transcriber, request.language, context=context,
                                      on_text=lambda t: setattr(view, "text", t))
               if self.incremental else None)
        if inc is not None:
            inc.clock = self.clock
        ep = Endpointer(self.vad, self.turn_model, self.config,
                        text_check=inc.ending if inc is not None and self.text_cue else None,
                        cue_check=cue_reader(inc) if inc is not None else None,
                        rule=self.rule if inc is not None and self.text_cue else None,
                        progress_check=progress_reader(inc, request) if inc is not None else None)
        stop = threading.Event()
        if self.push_to_talk:
            self._say("Press Enter to start answering, and Enter again when you are done.")
            self.wait_enter()
        timings = Timings()
        t0: float | None = None  # clock time of sample 0
        endpoint_event = None
        try:
            with view:
                with Recorder(path, device=self.device, clock=self.clock, lead_in=self.lead_in) as rec:
                    timings.listening_start = self.clock()
                    self._stop = stop
                    if self.push_to_talk:
                        threading.Thread(target=lambda: (self.wait_enter(), stop.set()),
                                         daemon=True).start()
                    request.on_listening()
                    while True:
                        block = rec.read(timeout=2.0)
                        if block is None:
                            from ..errors import DeviceError

                            raise DeviceError("the microphone stopped delivering audio")
                        est = block.t_end - (block.index + len(block.samples)) / SAMPLE_RATE
                        t0 = est if t0 is None else min(t0, est)
                        events = ep.feed(block.samples)
                        for ev in events:
                            if ev.kind in ("speech_start", "resume"):
                                view.state = "speaking"
                            elif ev.kind == "pause":
                                view.state = "pause"
                            elif ev.kind == "think":
                                view.state = "thinking"
                        thinking = ep.think_until is not None and not ep.speaking
                        view.countdown = (ep.think_until - ep.samples) / SAMPLE_RATE if thinking else None
                        if inc is not None:
                            settle_on(events, ep, inc)
                            if inc.text and any(ev.kind == "pause" for ev in events):
                                request.on_partial(inc.text)  # maybe the end: the judge may start
                        if self.push_to_talk and ep.done is not None and ep.done.reason != "max_length":
                            ep.done = None  # push-to-talk: only Enter (or the length cap) ends it
                        if ep.done is not None or stop.is_set():
                            endpoint_event = ep.done
                            timings.endpoint = self.clock()
                            break
                        view.update(level_dbfs(block.samples))
                if t0 is not None and ep.speech_start is not None:
                    timings.speech_start = round(t0 + ep.speech_start / SAMPLE_RATE, 4)
                    timings.speech_end = round(t0 + (ep.last_voiced_end or ep.samples) / SAMPLE_RATE, 4)
                if ep.speech_start is None or (endpoint_event and endpoint_event.kind == "no_speech"):
                    if inc is not None:
                        inc.close()
                    return Answer(no_speech=True, audio_file=request.audio_name, timings=timings)
                view.state = "transcribing"
                view.update(-100, force=True)
                transcript = self._transcribe(ep, inc, request.language, context)
                pauses = [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in ep.pauses]
                transcript = transcript.model_copy(
                    update={"words": fit_words_to_pauses(transcript.words, pauses)})
        except BaseException:
            if inc is not None:
                inc.close()
            raise
        finally:
            self._stop = None
        timings.transcript_ready = self.clock()
        if inc is not None and inc.last_chunk is not None:
            timings.last_chunk_start = inc.last_chunk[0]
            timings.last_chunk_s = round(inc.last_chunk[1], 2)
        return Answer(
            text=transcript.text,
            language=transcript.language,
            language_probability=transcript.language_probability,
            audio_file=request.audio_name,
            no_speech=not transcript.text.strip(),
            words=transcript.word_dicts(),
            timings=timings,
        )

    def _transcribe(self, ep: Endpointer, inc: IncrementalTranscriber | None,
                    language: str, context: str | None = None) -> Transcript:
        audio = ep.all_audio()
        end = min(len(audio), (ep.last_voiced_end or len(audio)) + int(TAIL_PAD_S * SAMPLE_RATE))
        if inc is not None:
            return inc.finish(audio, end)
        start = max(0, (ep.speech_start or 0) - int(0.3 * SAMPLE_RATE))
        return self.transcriber.transcribe(audio[start:end], language, context=context,
                                           offset=start / SAMPLE_RATE)

    def _say(self, text: str) -> None:
        from rich.console import Console

        (self.console or Console(stderr=True)).print(text)

