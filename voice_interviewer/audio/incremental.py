"""Incremental transcription: settled parts of an answer are transcribed while it goes on.

The listener calls ``settle(audio, upto)`` at every pause the VAD finds; a background thread
transcribes everything settled since the last chunk (one Whisper call, coalescing whatever
piled up while it was busy), with the text so far as the prompt. ``finish(audio, end)`` then
only has to transcribe the tail after the last settled point, so the final transcript is ready
soon after the answer ends instead of after a full re-read of a long answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from ..stt import SAMPLE_RATE, Segment, Transcriber, Transcript, Word
from ..transcript_cleanup import is_copy
from .textcue import sounds_finished

MIN_CHUNK_S = 1.0  # settled audio shorter than this waits for the next pause
PROMPT_CHARS = 200
LIVE_BEAM = 5  # greedy (1) is ~half the time but misheard espeak-ng speech through the mic too often


class IncrementalTranscriber:
    def __init__(self, transcriber: Transcriber, language: str = "auto",
                 on_text: Callable[[str], None] | None = None, fit_window: bool | None = None):
        self.transcriber = transcriber
        self.requested = language
        self.language: str | None = None if language == "auto" else language
        self.language_probability: float | None = None
        self.on_text = on_text
        self.fit_window = fit_window
        self._audio: np.ndarray = np.zeros(0, dtype=np.float32)
        self._settled = 0  # audio[:_settled] may be transcribed
        self._done = 0  # audio[:_done] is transcribed
        self._parts: list[Transcript] = []
        self._cv = threading.Condition()
        self._busy = False
        self._closed = False
        self._error: Exception | None = None
        self.chunks = 0
        self.clock: Callable[[], float] | None = None
        self.last_chunk: tuple[float, float] | None = None  # (clock at start, seconds of audio)
        self._thread = threading.Thread(target=self._run, name="incremental-stt", daemon=True)
        self._thread.start()

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self._parts if p.text).strip()

    def skip_to(self, sample: int) -> None:
        """Audio before ``sample`` holds no speech: never transcribe it."""
        with self._cv:
            if self._done == self._settled and sample > self._done:
                self._done = self._settled = sample

    @property
    def settled(self) -> int:
        """Samples handed over for transcription so far."""
        return self._settled

    def sounds_finished(self, upto: int) -> bool | None:
        """Whether the transcript up to sample ``upto`` reads as a finished thought; None while
        audio settled up to there is still being transcribed. Audio after the last settled
        point (too short to be a chunk) is not waited for."""
        with self._cv:
            if self._done < min(upto, self._settled):
                return None
            text = self.text
        verdict = sounds_finished(text, self.language)
        return True if verdict is None else verdict  # nothing said yet: no evidence either way

    def settle(self, audio: np.ndarray, upto: int, min_s: float = MIN_CHUNK_S) -> None:
        """Everything before sample ``upto`` of ``audio`` (the recording so far) is final.

        Ignored while less than ``min_s`` seconds are pending (short chunks lose context).
        """
        with self._cv:
            self._audio = audio
            if upto - self._settled >= min_s * SAMPLE_RATE and upto > self._settled:
                self._settled = upto
                self._cv.notify_all()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._closed and self._settled <= self._done:
                    self._cv.wait()
                if self._closed and self._settled <= self._done:
                    return
                start, end, audio = self._done, self._settled, self._audio
                self._busy = True
            try:
                self._transcribe(audio, start, end)
            except Exception as exc:  # noqa: BLE001 - surfaced by finish()
                with self._cv:
                    self._error = exc
            with self._cv:
                self._done = end
                self._busy = False
                self._cv.notify_all()

    def _transcribe(self, audio: np.ndarray, start: int, end: int) -> None:
        chunk = audio[start:end]
        if self.clock is not None:
            self.last_chunk = (self.clock(), (end - start) / SAMPLE_RATE)
        if self.language is None:
            self.language, self.language_probability = self.transcriber.detect_language(chunk)
        part = self.transcriber.transcribe(chunk, self.language, prompt=self._prompt(),
                                           offset=start / SAMPLE_RATE, fit_window=self.fit_window,
                                           beam_size=LIVE_BEAM)
        part = drop_copied_segments(part, self.text)
        self._parts.append(part)
        self.chunks += 1
        if self.on_text:
            self.on_text(self.text)

    def _prompt(self) -> str | None:
        """The last ~200 characters said so far: context for the next chunk. A longer prompt
        makes Whisper copy earlier sentences into the new chunk."""
        text = self.text
        if len(text) > PROMPT_CHARS:
            text = text[-PROMPT_CHARS:].split(" ", 1)[-1]
        return text or None

    def finish(self, audio: np.ndarray, end: int | None = None) -> Transcript:
        """Wait for the settled chunks, transcribe the tail up to ``end`` and join it all."""
        end = len(audio) if end is None else min(end, len(audio))
        with self._cv:
            self._audio = audio
            while self._busy or self._settled > self._done:
                self._cv.wait()
            self._closed = True
            self._cv.notify_all()
            start = self._done
        self._thread.join(timeout=5)
        if self._error is not None:
            raise self._error
        if end - start >= int(0.2 * SAMPLE_RATE):
            self._transcribe(audio, start, end)
        return self.result(len(audio) / SAMPLE_RATE)

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def result(self, duration: float) -> Transcript:
        segments: list[Segment] = [s for p in self._parts for s in p.segments]
        words: list[Word] = [w for p in self._parts for w in p.words]
        return Transcript(text=self.text, language=self.language,
                          language_probability=self.language_probability, duration=duration,
                          segments=segments, words=words)


def drop_copied_segments(part: Transcript, previous: str, share: float = 0.6) -> Transcript:
    """Whisper sometimes re-emits its prompt over a pause: drop segments of a chunk whose
    word trigrams mostly already occur in the text said before it."""
    kept = [seg for seg in part.segments if not is_copy(seg.text, previous, share)]
    if len(kept) == len(part.segments):
        return part
    spans = [(s.start, s.end) for s in kept]
    words = [w for w in part.words if any(a - 0.01 <= w.start <= b + 0.01 for a, b in spans)]
    text = " ".join(s.text for s in kept if s.text).strip()
    return part.model_copy(update={"segments": kept, "words": words, "text": text})
