"""Speech output: pyttsx3 + espeak-ng synthesis in a worker process, playback here.

Design (pyttsx3 2.99 with the espeak driver can return from ``runAndWait()`` before the
audio or file is finished, ``stop()`` is unreliable, and its own playback through aplay
loses a second utterance said right after a first one):

* one long-lived worker process (``tts_worker.py``) is started before the first question;
  it only *synthesizes* each utterance to a WAV file (``save_to_file`` + waiting for the
  finished-utterance event) and can be killed at any moment;
* this process plays the WAV with sounddevice, so it knows when the first sample reaches
  the output (the value ``say`` returns, for the candidate's wait) and when playback ends
  (``say`` returns only after that: the microphone never hears the interviewer);
* the WAV doubles as ``turn-NN-question.wav`` for replay.

Ctrl-C during ``say`` stops playback (or kills the worker mid-synthesis; a fresh one is
started on the next utterance) and re-raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import json
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from pydantic import BaseModel, Field

from ..errors import ConfigError, DeviceError
from ..language import clamp_language
from .playback import NO_TTS_HINT, Player, SoundDevicePlayer, beep
from ..ports import Clock, MonotonicClock, Speaker

WORKER = Path(__file__).with_name("tts_worker.py")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
DEFAULT_VOICES = {"en": ("gmw/en-us", "gmw/en"), "es": ("roa/es", "roa/es-419")}


class VoiceInfo(BaseModel):
    id: str
    name: str
    languages: list[str] = Field(default_factory=list)
    gender: str | None = None

    def speaks(self, language: str) -> bool:
        return any(lang == language or lang.startswith(language + "-") for lang in self.languages)


class Utterance(BaseModel):
    """One synthesized utterance and how long it took to make."""

    path: Path
    frames: int
    rate: int
    synth_s: float  # all of it
    first_synth_s: float | None = None  # the first sentence: what delays the first sound

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def split_sentences(text: str) -> list[str]:
    """Sentences to synthesize one by one ("6.7 out of 10." stays whole)."""
    return [p.strip() for p in _SENTENCE_END.split(text.strip()) if p.strip()]


def pick_voice(voices: list[VoiceInfo], language: str, override: str | None = None) -> VoiceInfo:
    """The voice for ``language`` (es/en), or the one the user named with ``--voice``.

    ``override`` matches a voice id (``gmw/en-us``), its last part (``en-us``), a name
    (``English (America)``) or a language code, case-insensitively.
    """
    if not voices:
        raise DeviceError("espeak-ng has no voices installed", hint=NO_TTS_HINT)
    if override:
        want = override.strip().lower()
        for match in (
            lambda v: v.id.lower() == want,
            lambda v: v.id.lower().rsplit("/", 1)[-1] == want,
            lambda v: v.name.lower() == want,
            lambda v: want in (lang.lower() for lang in v.languages),
        ):
            found = [v for v in voices if match(v)]
            if found:
                return found[0]
        raise ConfigError(f"unknown voice {override!r}", hint="see: voice-interviewer voices")
    lang = language if language in DEFAULT_VOICES else "en"
    by_id = {v.id: v for v in voices}
    for vid in DEFAULT_VOICES[lang]:
        if vid in by_id:
            return by_id[vid]
    for v in voices:
        if v.speaks(lang):
            return v
    raise DeviceError(f"espeak-ng has no voice for language {lang!r}", hint=NO_TTS_HINT)


class WorkerError(RuntimeError):
    pass


class WorkerClient:
    """The synthesis worker process and its JSON-lines protocol."""

    def __init__(self, python: str | None = None, start_timeout: float = 30.0):
        self.python = python or sys.executable
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if self.alive():
            return
        self._lines = queue.Queue()
        try:
            self.proc = subprocess.Popen(
                [self.python, "-u", str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as exc:
            raise DeviceError(f"cannot start the speech worker: {exc}", hint=NO_TTS_HINT) from None
        threading.Thread(target=self._read, args=(self.proc, self._lines), daemon=True).start()
        hello = self._reply(self.start_timeout)
        if not hello.get("ok"):
            self.kill()
            raise DeviceError(f"speech output unavailable: {hello.get('error')}", hint=NO_TTS_HINT)

    @staticmethod
    def _read(proc: subprocess.Popen, lines: queue.Queue) -> None:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.put(line)
        except (OSError, ValueError):  # the pipe was closed by kill()
            pass
        lines.put(None)

    def _reply(self, timeout: float) -> dict:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise WorkerError(f"speech worker did not answer within {timeout:.0f} s") from None
        if line is None:
            self.kill()
            raise WorkerError("speech worker exited")
        return json.loads(line)

    def request(self, timeout: float = 60.0, **req) -> dict:
        """Send one request and wait for its reply; kills the worker if interrupted."""
        with self._lock:
            self.start()
            assert self.proc is not None and self.proc.stdin is not None
            try:
                self.proc.stdin.write(json.dumps(req) + "\n")
                self.proc.stdin.flush()
                reply = self._reply(timeout)
            except BrokenPipeError:
                self.kill()
                raise WorkerError("speech worker exited") from None
            except BaseException:  # Ctrl-C mid-synthesis: the protocol is out of step
                self.kill()
                raise
        if not reply.get("ok"):
            raise WorkerError(reply.get("error") or "speech synthesis failed")
        return reply

    def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a killed process always ends
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                stream and stream.close()
            except OSError:
                pass

    def close(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()  # end of input: the worker exits by itself
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


class EspeakSpeaker:
    """A ``Speaker`` that says each utterance aloud (and prints it through ``printer``)."""

    def __init__(
        self,
        language: str = "en",
        voice: str | None = None,
        rate: int = 165,
        printer: Speaker | None = None,
        player: Player | None = None,
        clock: Clock | None = None,
        worker: WorkerClient | None = None,
    ):
        self.language = clamp_language(language)
        self.voice_override = voice
        self.rate = rate
        self.printer = printer
        self.clock = clock or MonotonicClock()
        self.player = player or SoundDevicePlayer(clock=self.clock)
        self.worker = worker or WorkerClient()
        self._voices: dict[str, VoiceInfo] = {}
        self._tmp = Path(tempfile.mkdtemp(prefix="vi-tts-"))
        self.last: Utterance | None = None  # the latest utterance, for measurements

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> EspeakSpeaker:
        """Start the worker, pick voices, check the output and warm the synthesizer up."""
        try:
            self.worker.start()
            for lang in dict.fromkeys((self.language, "en", "es")):
                self.voice_for(lang)  # an unknown --voice fails here, before any audio
            if isinstance(self.player, SoundDevicePlayer):
                self.player.check()
                self.player.warm()
            self.synthesize("Hello.", self.language, self._tmp / "warmup.wav")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        self.worker.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> EspeakSpeaker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- voices -----------------------------------------------------------------------
    def voices(self) -> list[VoiceInfo]:
        reply = self._request(op="voices")
        return [VoiceInfo(**v) for v in reply["voices"]]

    def voice_for(self, language: str) -> VoiceInfo:
        lang = clamp_language(language, self.language)
        if lang not in self._voices:
            self._voices[lang] = pick_voice(self.voices(), lang, self.voice_override)
        return self._voices[lang]

    # -- speaking ---------------------------------------------------------------------
    def _request(self, **req) -> dict:
        try:
            return self.worker.request(**req)
        except WorkerError as exc:
            if self.worker.alive():
                raise DeviceError(f"speech synthesis failed: {exc}", hint=NO_TTS_HINT) from None
            try:  # the worker died: one fresh start
                return self.worker.request(**req)
            except WorkerError as again:
                raise DeviceError(f"speech synthesis failed: {again}", hint=NO_TTS_HINT) from None

    def synthesize(self, text: str, language: str, path: Path) -> Utterance:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        voice = self.voice_for(language)
        reply = self._request(op="synth", text=text, voice=voice.id, rate=self.rate, path=str(path))
        self.last = Utterance(path=path, frames=reply["frames"], rate=reply["rate"], synth_s=reply["synth_s"])
        return self.last

    def say(self, text: str, *, kind: str, language: str, save_to: Path | None = None) -> float:
        """Say ``text``; returns the clock time of its first audio, after it has been played.

        Sentences are synthesized one by one and played back to back on one stream, so the
        first sound waits only for the first sentence ("7 out of 10.") while the rest is
        made during its playback. ``save_to`` receives the whole utterance as one WAV.
        """
        if self.printer is not None:
            self.printer.say(text, kind=kind, language=language)
        parts = split_sentences(text)
        if not parts:
            return self.clock.now()
        made: list[Utterance] = []
        audio: list = []

        def clips():
            import soundfile as sf

            for i, part in enumerate(parts):
                made.append(self.synthesize(part, language, self._tmp / f"part-{i}.wav"))
                data, rate = sf.read(str(made[-1].path), dtype="float32", always_2d=True)
                audio.append(data)
                yield data, rate

        first, _end = self.player.play_clips(clips())
        self.last = Utterance(
            path=Path(save_to) if save_to else made[-1].path,
            frames=sum(u.frames for u in made),
            rate=made[0].rate,
            synth_s=sum(u.synth_s for u in made),
            first_synth_s=made[0].synth_s,
        )
        if save_to is not None:
            import numpy as np
            import soundfile as sf

            Path(save_to).parent.mkdir(parents=True, exist_ok=True)
            sf.write(str(save_to), np.concatenate(audio), made[0].rate, subtype="PCM_16")
        return first

    def cue(self) -> None:
        """A short tone: the candidate's turn to speak."""
        self.player.play_clips([beep()])


def list_voices() -> list[VoiceInfo]:
    """All espeak-ng voices pyttsx3 offers (runs a short-lived worker)."""
    worker = WorkerClient()
    try:
        worker.start()
        reply = worker.request(op="voices")
    except WorkerError as exc:
        raise DeviceError(f"cannot list voices: {exc}", hint=NO_TTS_HINT) from None
    finally:
        worker.close()
    return [VoiceInfo(**v) for v in reply["voices"]]
