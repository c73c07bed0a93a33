"""Speech to text with faster-whisper (CTranslate2), int8 on the CPU, fully offline.

``WhisperTranscriber`` loads the model once and transcribes whole files or in-memory audio
(16 kHz mono float32). Models come from :mod:`voice_interviewer.weights` ("base",
"tiny.en") or from a local CTranslate2 directory. Language ``auto`` picks Spanish or English
per answer from Whisper's language detector. A short prompt written with fillers ("um",
"eh, bueno…") keeps Whisper from cleaning filler words away, which the delivery metrics count.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..config import Settings
from ..errors import ModelError, TranscriptionError
from ..sound import SAMPLE_RATE, resample
from .cleanup import clean_segment
from .transcript import Segment, Transcript, Word

LANGUAGES = ("es", "en")
MODEL_ALIASES = {"base": "whisper-base", "tiny.en": "whisper-tiny.en"}

# Whisper copies the style of its prompt: a prompt with fillers keeps fillers in the output.
FILLER_PROMPTS = {
    "en": "Um, so, uh, I think... hmm, you know, like, it's basically, uh, a model that, um, learns.",
    "es": "Eh, bueno, este... pues, o sea, mmm, creo que, eh, es un modelo que, pues, aprende.",
}


def resolve_model(spec: str, models_dir: Path | str | None = None, *, progress: bool = True) -> Path:
    """``base`` / ``tiny.en`` (packaged, prepared on first use) or a CTranslate2 directory."""
    if spec in MODEL_ALIASES:
        from ..weights import model_path

        return model_path(MODEL_ALIASES[spec], models_dir, progress=progress)
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path}: not a CTranslate2 Whisper model (no model.bin)")
        return path
    names = ", ".join(MODEL_ALIASES)
    raise ModelError(f"unknown STT model {spec!r}", hint=f"use {names} or a CTranslate2 model folder")


def load_audio(path: str | Path) -> np.ndarray:
    """Decode any file soundfile or PyAV can read into 16 kHz mono float32."""
    p = Path(path)
    if not p.is_file():
        raise TranscriptionError(f"{p}: no such audio file")
    try:
        import soundfile as sf

        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
        audio = data.mean(axis=1)
        if rate != SAMPLE_RATE:
            audio = resample(audio, rate, SAMPLE_RATE)
        return audio.astype(np.float32)
    except Exception:  # noqa: BLE001 - soundfile cannot read it: let PyAV try (mp3, m4a, ...)
        pass
    try:
        from faster_whisper import decode_audio

        return decode_audio(str(p), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # noqa: BLE001 - av raises many error types
        raise TranscriptionError(f"{p}: cannot read audio ({type(exc).__name__}: {exc})") from None


def _windowed_model_class():
    """faster-whisper pads every window to 30 s before the encoder, so a 3 s chunk costs as
    much as 30 s (0.95 s vs 0.08 s here). CTranslate2's encoder accepts shorter inputs; this
    subclass cuts the padding down to the frames set for the calling thread."""
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):
        _local = threading.local()

        def set_window(self, frames: int | None) -> None:
            self._local.frames = frames

        def encode(self, features):
            frames = getattr(self._local, "frames", None)
            if frames is not None and features.shape[-1] > frames:
                features = features[..., :frames]
            return super().encode(features)

        def set_token_limit(self, limit: int | None) -> None:
            self._local.token_limit = limit

        def _split_segments_by_timestamps(self, tokenizer, tokens, time_offset, segment_size,
                                          segment_duration, seek):
            args = (time_offset, segment_size, segment_duration, seek)
            split = super()._split_segments_by_timestamps(tokenizer, tokens, *args)
            # A window whose text does not end on a lone timestamp makes faster-whisper
            # decode again from the last timestamp or word: in a fitted window that is a
            # second encoder and decoder pass over the chunk's trailing silence, where
            # Whisper repeats itself or invents "Nos vemos." (0.5-3 s lost per chunk). When
            # decoding stopped by itself (not at the token limit), the window is done.
            limit = getattr(self._local, "token_limit", None)
            if (getattr(self._local, "frames", None) is None or limit is None or split[2]
                    or not tokens or len(tokens) >= limit):
                return split
            if tokens[-1] >= tokenizer.timestamp_begin:  # "…<|t|><|t|>": nothing after t
                return split[0], seek + segment_size, True
            close = tokenizer.timestamp_begin + min(segment_size // self.input_stride, 1500)
            return super()._split_segments_by_timestamps(tokenizer, [*tokens, close], *args)

    return WindowedWhisperModel


MAX_NEW_TOKENS = 200  # Whisper's limit is 448 with up to 224 for the prompt
WINDOW_PAD_FRAMES = 100  # silence kept after the audio in a fitted window (1 s)
MIN_WINDOW_FRAMES = 1000  # shorter windows make Whisper repeat a short chunk until its limit
FULL_WINDOW_FRAMES = 3000


def fitted_frames(duration: float) -> int | None:
    """Encoder frames for audio of ``duration`` s: the audio plus 1 s, at least 10 s, even;
    None past 29 s."""
    frames = max(MIN_WINDOW_FRAMES, int(np.ceil(duration * 100)) + WINDOW_PAD_FRAMES)
    if frames >= FULL_WINDOW_FRAMES:
        return None
    return frames + frames % 2


MAX_RESUMES = 3  # decodes of speech Whisper skipped, per call
RESUME_MIN_S = 1.0  # audio after the last word shorter than this is not looked at
FRAME = SAMPLE_RATE // 50  # 20 ms


def unheard_speech(samples: np.ndarray, heard_to: float) -> int | None:
    """Sample where speech resumes after ``heard_to`` s (the end of the last word Whisper
    wrote), or None if what follows is silence or too short to matter.

    After a filler and a long pause ("... for them. Um..." + 2.4 s) Whisper, primed by the
    filler-style prompt, ends its window on a lone timestamp, which faster-whisper reads as "no
    speech after this" and skips the rest of the window: every word said after the pause was
    lost. Speech counts when 0.2 s of 20 ms frames after ``heard_to`` are at least a tenth as
    loud as the answer's speech (its 95th-percentile frame), and above -50 dBFS."""
    start = int(max(0.0, heard_to) * SAMPLE_RATE)
    if len(samples) - start < RESUME_MIN_S * SAMPLE_RATE:
        return None
    n = len(samples) // FRAME
    rms = np.sqrt(np.mean(samples[: n * FRAME].astype(np.float64).reshape(n, FRAME) ** 2, axis=1))
    first = -(-start // FRAME)
    loud = rms[first:] >= max(0.1 * float(np.percentile(rms, 95)), 10 ** (-50 / 20))
    if loud.sum() < 10:
        return None
    onset = first + int(np.argmax(loud))
    return max(start, (onset - 15) * FRAME)  # 0.3 s of lead-in before the first loud frame


class WhisperTranscriber:
    """faster-whisper, loaded once; int8 on the CPU with ``threads`` threads.

    ``fit_window`` (default on) feeds the encoder only the audio plus 1 s (at least 10 s) instead
    of a padded 30 s window; ``temperatures`` are Whisper's fallback temperatures (the default,
    temperature 0 only, keeps decoding deterministic and bounded in time: sampled fallbacks
    could take 20 s on a long answer and made the same audio give different text run to run).
    Two workers share the weights, so two calls (a chunk in the background and the answer's
    tail) can run at once on two cores without more memory.
    """

    def __init__(
        self,
        model: str = "base",
        *,
        threads: int = 1,
        models_dir: Path | str | None = None,
        beam_size: int = 5,
        progress: bool = True,
        fit_window: bool = True,
        temperatures: tuple[float, ...] = (0.0,),
    ):
        path = resolve_model(model, models_dir, progress=progress)
        try:
            self._model = _windowed_model_class()(str(path), device="cpu", compute_type="int8",
                                                  cpu_threads=max(1, threads), num_workers=2)
        except Exception as exc:  # noqa: BLE001 - ctranslate2 raises RuntimeError/ValueError
            raise ModelError(f"cannot load Whisper model from {path}: {exc}") from None
        self.name = model
        self.path = path
        self.beam_size = beam_size
        self.fit_window = fit_window
        self.temperatures = tuple(temperatures)
        self.english_only = not self._model.model.is_multilingual

    @classmethod
    def from_settings(cls, settings: Settings) -> WhisperTranscriber:
        """The model, threads and model folder the settings name."""
        return cls(settings.stt_model, threads=settings.stt_threads, models_dir=settings.models_dir)

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Spanish or English, whichever Whisper finds likelier, with its probability."""
        if self.english_only:
            return "en", 1.0
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        with self._window(len(audio) / SAMPLE_RATE, self.fit_window):
            _, _, probs = self._model.detect_language(audio=audio)
        table = dict(probs)
        lang = max(LANGUAGES, key=lambda code: table.get(code, 0.0))
        return lang, float(table.get(lang, 0.0))

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        language: str = "auto",
        *,
        prompt: str | None = None,
        context: str | None = None,
        offset: float = 0.0,
        fit_window: bool | None = None,
        beam_size: int | None = None,
    ) -> Transcript:
        """Transcribe ``audio``; ``offset`` is added to every timestamp.

        ``prompt`` is what was said just before (the answer so far); ``context`` what the
        other side said before that (the question): its terms help Whisper spell the answer's.

        ``beam_size`` overrides the transcriber's for this call (1 = greedy, about twice as fast).

        ``fit_window`` overrides the transcriber's setting for this call (see the class).
        """
        samples = audio if isinstance(audio, np.ndarray) else load_audio(audio)
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        duration = len(samples) / SAMPLE_RATE
        if language not in (*LANGUAGES, "auto"):
            raise TranscriptionError(f"unsupported language {language!r} (use es, en or auto)")
        if self.english_only and language == "es":
            raise TranscriptionError(f"STT model {self.name} is English-only",
                                     hint="use --stt-model base for Spanish")
        if duration < 0.1:
            return Transcript(language=None if language == "auto" else language, duration=duration)
        if language == "auto":
            lang, prob = self.detect_language(samples)
        else:
            lang, prob = language, None
        # the question first, then the filler style, then the answer so far (nearest wins)
        initial = " ".join(p for p in (context, FILLER_PROMPTS[lang], prompt) if p)
        fit = self.fit_window if fit_window is None else fit_window
        beam = beam_size or self.beam_size
        segs, words = self._decode_all(samples, lang, initial, offset, fit, beam)
        for _ in range(MAX_RESUMES):  # Whisper stopped early: speech after its last word
            start = unheard_speech(samples, words[-1].end - offset) if words else None
            if start is None:
                break
            said = " ".join(p for p in (context, " ".join(s.text for s in segs)) if p)
            more_segs, more_words = self._decode_all(samples[start:], lang, said, offset + start / SAMPLE_RATE,
                                                     fit, beam)
            if not more_words:
                break
            segs, words = segs + more_segs, words + more_words
        text = " ".join(s.text for s in segs if s.text).strip()
        return Transcript(text=text, language=lang, language_probability=prob, duration=duration,
                          segments=segs, words=words)

    def _decode_all(self, samples, lang: str, initial: str | None, offset: float, fit: bool,
                    beam: int) -> tuple[list[Segment], list[Word]]:
        with self._window(len(samples) / SAMPLE_RATE, fit):
            segs, words, looped = self._decode(samples, lang, initial, offset, beam)
            if looped:  # the prompt can lock Whisper into a loop: decode once more without it
                segs2, words2, _ = self._decode(samples, lang, None, offset, beam)
                if len(words2) > len(words):
                    segs, words = segs2, words2
        return segs, words

    @contextmanager
    def _window(self, duration: float, fit: bool = True):
        self._model.set_window(fitted_frames(duration) if fit else None)
        try:
            yield
        finally:
            self._model.set_window(None)

    def _decode(self, samples, lang: str, initial: str | None, offset: float,
                beam_size: int) -> tuple[list[Segment], list[Word], bool]:
        """Decode, dropping invented and copied segments and cutting loops short; returns
        segments, words and whether a loop was seen."""
        duration = len(samples) / SAMPLE_RATE
        limit = min(MAX_NEW_TOKENS, int(24 + 8 * duration))
        self._model.set_token_limit(limit)
        try:
            segments, _info = self._model.transcribe(
                samples, language=lang, beam_size=beam_size, word_timestamps=True,
                initial_prompt=initial, condition_on_previous_text=initial is not None,
                vad_filter=False, temperature=list(self.temperatures),
                # fast speech is ~5 tokens/s: a bound keeps a decoding loop from running on
                max_new_tokens=limit,
            )
            segs, words, looped = [], [], False
            for s in segments:  # a generator: decoding happens while iterating
                seg, kept, loop = clean_segment(s, " ".join(x.text for x in segs), offset)
                looped = looped or loop
                if seg is not None:
                    segs.append(seg)
                    words.extend(kept)
        except Exception as exc:  # noqa: BLE001
            raise TranscriptionError(f"transcription failed: {exc}") from None
        finally:
            self._model.set_token_limit(None)
        return segs, words, looped
