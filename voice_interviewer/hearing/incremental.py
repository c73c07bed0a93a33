"""Incremental transcription: settled parts of an answer are transcribed while it goes on.

The listener calls ``settle(audio, upto)`` at every pause the VAD finds; a background thread
transcribes everything settled since the last chunk (one Whisper call, coalescing whatever
piled up while it was busy), with the text so far as the prompt. ``finish(audio, end)`` then
only has to transcribe the tail after the last settled point, so the final transcript is ready
soon after the answer ends instead of after a full re-read of a long answer.

Fluent speech can run for a whole sentence without a pause. ``advance(audio, upto)`` then
transcribes what is pending while the candidate goes on talking, keeps the words that end at
least ``HOLDBACK_S`` before ``upto`` (Whisper heard what followed them) and moves the settled
point to the quietest moment between the last kept word and the next, so the tail left for
the end of the answer stays short.

At a short gap (0.1 s of silence) the answer may be over. ``tentative(audio, upto)`` starts
decoding the audio up to the gap at once, as the chunk that the pause detector would settle
there 0.1 s later (and after its turn model has run): ``settle()`` at the same point keeps it,
``retract()`` drops it when speech goes on. Chunks stay cut where they were; only the last one
starts sooner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from ..sound import SAMPLE_RATE
from .cleanup import clean_chunk
from .transcript import Segment, Transcriber, Transcript, Word, with_words
from .textcue import Ending, ending

MIN_CHUNK_S = 1.0  # settled audio shorter than this waits for the next pause
PROMPT_CHARS = 200
LIVE_BEAM = 5  # beam 2 and greedy save ~0.1 s but misheard synthetic speech through the mic
HOLDBACK_S = 1.0  # words ending this close to the newest audio are not kept by advance()


class IncrementalTranscriber:
    def __init__(self, transcriber: Transcriber, language: str = "auto",
                 on_text: Callable[[str], None] | None = None, fit_window: bool | None = None,
                 context: str | None = None):
        self.transcriber = transcriber
        self.context = context  # the question: its terms help Whisper, and it is never the answer
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
        self._advance_to: int | None = None
        self._advancing = False  # the background thread is working on an advance() request
        self._gen = 0  # a thread whose generation is older has been abandoned (see _abandon)
        self._provisional: int | None = None  # settled point before a tentative chunk
        self._held: Transcript | None = None  # a tentative chunk decoded before it was kept
        self._orphans: list[threading.Thread] = []  # abandoned threads, maybe still decoding
        self.chunks = 0
        self.clock: Callable[[], float] | None = None
        self.last_chunk: tuple[float, float] | None = None  # (clock at start, seconds of audio)
        self._start_thread()

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, args=(self._gen,), name="incremental-stt",
                                        daemon=True)
        self._thread.start()

    def _abandon(self) -> None:
        """Called with the lock held while a decode is no longer wanted as it is: an advance()
        when speech has stopped (its audio belongs to the chunk that ends at the pause, decoded
        at once on Whisper's second worker, the other core, instead of after it), or a
        tentative chunk when speech goes on. The old thread ends on its own, its result dropped."""
        self._orphans = [t for t in self._orphans if t.is_alive()] + [self._thread]
        self._gen += 1
        self._busy = self._advancing = False

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self._parts if p.text).strip()

    @property
    def text_with_tentative(self) -> str:
        """The text so far and a decoded tentative chunk after it, if any."""
        held = self._held
        return f"{self.text} {held.text}".strip() if held is not None else self.text

    def skip_to(self, sample: int) -> None:
        """Audio before ``sample`` holds no speech: never transcribe it."""
        with self._cv:
            if self._done == self._settled and sample > self._done:
                self._done = self._settled = sample

    @property
    def settled(self) -> int:
        """Samples handed over for transcription so far."""
        return self._settled

    def text_upto(self, upto: int) -> str | None:
        """The transcript up to sample ``upto``; None while audio settled up to there is still
        being transcribed. Audio after the last settled point (too short to be a chunk) is not
        waited for. A tentative chunk counts once it is decoded: it is the answer's last piece
        if the answer ends there."""
        with self._cv:
            if self._held is None and self._done < min(upto, self._settled):
                return None
            return self.text_with_tentative

    def text_through(self, upto: int) -> str | None:
        """The transcript once every sample before ``upto`` is decoded (a tentative chunk
        counts), else None: words said after the last settled point are not left out."""
        with self._cv:
            if self._held is not None:
                reached = self._settled
            else:
                reached = self._done if self._done >= self._settled else 0
            return self.text_with_tentative if reached >= upto else None

    def ending(self, upto: int) -> Ending | None:
        """How the transcript up to sample ``upto`` ends (``textcue.ending``); None while it is
        not ready (``text_upto``)."""
        text = self.text_upto(upto)
        if text is None:
            return None
        verdict = ending(text, self.language)
        return "finished" if verdict is None else verdict  # nothing said yet: no evidence either way

    @property
    def idle(self) -> bool:
        """Nothing is being transcribed or waiting to be."""
        with self._cv:
            return not self._busy and self._settled <= self._done and self._advance_to is None

    @property
    def working(self) -> bool:
        """A decode is running or settled audio waits for one (a decoded tentative chunk
        waiting to be confirmed does not count)."""
        with self._cv:
            return self._busy or self._pending()

    def advance(self, audio: np.ndarray, upto: int) -> None:
        """Speech goes on past ``upto`` without a pause: transcribe what is pending and keep
        the words that are safely before ``upto`` (see the module docstring)."""
        with self._cv:
            if self._closed or upto - self._done < (HOLDBACK_S + MIN_CHUNK_S) * SAMPLE_RATE:
                return
            self._audio = audio
            self._advance_to = upto
            self._cv.notify_all()

    def settle(self, audio: np.ndarray, upto: int, min_s: float = MIN_CHUNK_S) -> None:
        """Everything before sample ``upto`` of ``audio`` (the recording so far) is final.

        Ignored while less than ``min_s`` seconds are pending (short chunks lose context).
        A tentative chunk that ends at ``upto`` is kept as it is; one shorter than ``min_s``
        stays tentative: it is the answer's last piece if the answer ends here (``finish()``),
        and dropped if speech goes on.
        """
        with self._cv:
            if self._provisional is not None:
                if upto == self._settled:
                    if upto - self._provisional >= min_s * SAMPLE_RATE:
                        self._confirm()
                    return
                self._retract()
            self._audio = audio
            if upto - self._settled >= min_s * SAMPLE_RATE and upto > self._settled:
                self._settled = upto
                if self._advancing and not self._closed:
                    self._abandon()
                    self._start_thread()
                self._cv.notify_all()

    def tentative(self, audio: np.ndarray, upto: int, min_s: float = MIN_CHUNK_S) -> None:
        """Speech may have ended at sample ``upto``: decode the audio pending up to there at once
        (see the module docstring); an advance() being decoded is abandoned, as a pause would.
        Only when no settled chunk is being decoded or waiting, the language is known, at least
        ``min_s`` is pending and no abandoned decode still runs (it holds one of Whisper's
        two workers until it ends)."""
        with self._cv:
            if (self._closed or (self._busy and not self._advancing) or self._settled > self._done
                    or self._advance_to is not None or self.language is None
                    or upto - self._done < min_s * SAMPLE_RATE
                    or any(t.is_alive() for t in self._orphans)):
                return
            if self._advancing:
                self._abandon()
                self._start_thread()
            self._audio = audio
            self._provisional = self._settled
            self._settled = upto
            self._cv.notify_all()

    def retract(self) -> None:
        """Speech went on: the tentative chunk, if any, is not a chunk."""
        with self._cv:
            self._retract()

    def _retract(self) -> None:
        if self._provisional is None:
            return
        if self._busy:  # still decoding: it runs to its end on its own and is dropped
            self._abandon()
            self._start_thread()
        self._settled, self._provisional, self._held = self._provisional, None, None

    def _confirm(self) -> None:
        self._provisional = None
        if self._held is not None:
            self._add(self._held)
            self._held = None
            self._done = self._settled
            self._cv.notify_all()

    def _pending(self) -> bool:
        """Settled audio that still has to be decoded."""
        return self._settled > self._done and self._held is None

    def _run(self, gen: int) -> None:
        while True:
            with self._cv:
                while (gen == self._gen and not self._closed and not self._pending()
                       and self._advance_to is None):
                    self._cv.wait()
                if gen != self._gen or (self._closed and not self._pending()):
                    return
                partial = self._settled <= self._done  # an advance() request
                start = self._done
                end = self._advance_to if partial else self._settled
                audio, self._advance_to, self._busy = self._audio, None, True
                self._advancing = partial
            part = None
            try:
                if partial:
                    part, end = self._settled_part(audio, start, end)
                else:
                    part = self._decode(audio, start, end)
            except Exception as exc:  # noqa: BLE001 - surfaced by finish()
                with self._cv:
                    if gen == self._gen:
                        self._error = exc
            with self._cv:
                if gen != self._gen:  # abandoned: its audio is transcribed by another call
                    return
                self._advancing = False
                if not partial and self._provisional is not None and part is not None:
                    self._held, self._busy = part, False  # kept once settle() confirms it
                    self._cv.notify_all()
                    continue
                if part is not None:
                    self._add(part)
                self._done = max(self._done, end)
                self._settled = max(self._settled, self._done)
                self._busy = False
                self._cv.notify_all()

    def _settled_part(self, audio: np.ndarray, start: int, end: int) -> tuple[Transcript | None, int]:
        """Transcribe audio[start:end] and keep the words Whisper heard what followed; returns
        them and the sample up to which they cover the answer (None and ``start`` if none)."""
        part = self._decode(audio, start, end)
        limit = end / SAMPLE_RATE - HOLDBACK_S
        n = 0
        while n < len(part.words) and part.words[n].end <= limit:
            n += 1
        if n < 2 or n == len(part.words):
            return None, start
        between = (part.words[n - 1].end + part.words[n].start) / 2
        cut = quietest_point(audio, int((between + 0.1) * SAMPLE_RATE), span_s=0.2)
        cut = max(int(part.words[n - 1].end * SAMPLE_RATE), min(cut, int(part.words[n].start * SAMPLE_RATE)))
        return with_words(part, part.words[:n]), cut

    def _transcribe(self, audio: np.ndarray, start: int, end: int) -> None:
        self._add(self._decode(audio, start, end))

    def _decode(self, audio: np.ndarray, start: int, end: int) -> Transcript:
        chunk = audio[start:end]
        if self.clock is not None:
            self.last_chunk = (self.clock(), (end - start) / SAMPLE_RATE)
        if self.language is None:
            self.language, self.language_probability = self.transcriber.detect_language(chunk)
        return self.transcriber.transcribe(chunk, self.language, prompt=self._prompt(),
                                           context=self.context, offset=start / SAMPLE_RATE,
                                           fit_window=self.fit_window,
                                           beam_size=LIVE_BEAM)

    def _add(self, part: Transcript) -> None:
        # only what Whisper was shown can be copied: a sentence said again later in a long
        # answer, beyond the prompt, is speech
        part = clean_chunk(part, f"{self.context or ''} {self._prompt() or ''}", self.text)
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
        """Wait for the settled chunks, transcribe the tail up to ``end`` and join it all.

        An advance() still being worked on is not waited for: its audio is part of the tail,
        decoded here at once (on the transcriber's second worker, the other CPU core)."""
        end = len(audio) if end is None else min(end, len(audio))
        with self._cv:
            if self._provisional is not None and self._settled <= end:
                self._confirm()  # the answer did end at the gap
            self._retract()  # (no-op once confirmed)
            self._audio = audio
            while (self._busy and not self._advancing) or (not self._busy and self._settled > self._done):
                self._cv.wait()
            self._closed = True
            self._advance_to = None
            abandoned = self._busy
            if abandoned:
                self._abandon()
            self._cv.notify_all()
            start = self._done
        if not abandoned:
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


def quietest_point(audio: np.ndarray, before: int, span_s: float = 2.0) -> int:
    """Sample at the middle of the quietest 20 ms in the ``span_s`` seconds before ``before``:
    between two words, most likely, when someone speaks without pausing."""
    start = max(0, before - int(span_s * SAMPLE_RATE))
    frame = SAMPLE_RATE // 50
    x = audio[start:before]
    if len(x) < frame:
        return before
    energy = np.convolve(x.astype(np.float64) ** 2, np.ones(frame) / frame, mode="valid")
    return start + int(np.argmin(energy)) + frame // 2
