"""Speech to text with faster-whisper (CTranslate2), int8 on the CPU, fully offline.

``WhisperTranscriber`` loads the model once and transcribes whole files or in-memory audio
(16 kHz mono float32). Models come from :mod:`voice_interviewer.modelfiles` ("base",
"tiny.en") or from a local CTranslate2 directory. Language ``auto`` picks Spanish or English
per answer from Whisper's language detector. A short prompt written with fillers ("um",
"eh, bueno…") keeps Whisper from cleaning filler words away, which the delivery metrics count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

from .errors import ModelError, TranscriptionError

SAMPLE_RATE = 16000
LANGUAGES = ("es", "en")
MODEL_ALIASES = {"base": "whisper-base", "tiny.en": "whisper-tiny.en"}

# Whisper copies the style of its prompt: a prompt with fillers keeps fillers in the output.
FILLER_PROMPTS = {
    "en": "Um, so, uh, I think... hmm, you know, like, it's basically, uh, a model that, um, learns.",
    "es": "Eh, bueno, este... pues, o sea, mmm, creo que, eh, es un modelo que, pues, aprende.",
}


class Word(BaseModel):
    word: str
    start: float
    end: float
    probability: float


class Segment(BaseModel):
    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


class Transcript(BaseModel):
    text: str = ""
    language: str | None = None
    language_probability: float | None = None
    duration: float = 0.0  # seconds of audio transcribed
    segments: list[Segment] = Field(default_factory=list)
    words: list[Word] = Field(default_factory=list)

    def word_dicts(self) -> list[dict]:
        return [w.model_dump() for w in self.words]


@runtime_checkable
class Transcriber(Protocol):
    """Turns audio into text; ``audio`` is a path or 16 kHz mono float32 samples."""

    english_only: bool

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]: ...

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        language: str = "auto",
        *,
        prompt: str | None = None,
        offset: float = 0.0,
        fit_window: bool = False,
    ) -> Transcript: ...


def resolve_model(spec: str, models_dir: Path | str | None = None, *, progress: bool = True) -> Path:
    """``base`` / ``tiny.en`` (packaged, prepared on first use) or a CTranslate2 directory."""
    if spec in MODEL_ALIASES:
        from .modelfiles import model_path

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
            audio = _resample(audio, rate, SAMPLE_RATE)
        return audio.astype(np.float32)
    except Exception:  # noqa: BLE001 - soundfile cannot read it: let PyAV try (mp3, m4a, ...)
        pass
    try:
        from faster_whisper import decode_audio

        return decode_audio(str(p), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # noqa: BLE001 - av raises many error types
        raise TranscriptionError(f"{p}: cannot read audio ({type(exc).__name__}: {exc})") from None


def _resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    from math import gcd

    g = gcd(rate, target)
    up, down = target // g, rate // g
    n_out = int(round(len(x) * up / down))
    if n_out == 0:
        return np.zeros(0, dtype=np.float32)
    t_out = np.arange(n_out) * (rate / target)
    return np.interp(t_out, np.arange(len(x)), x).astype(np.float32)


def _looks_hallucinated(segment) -> str | None:
    """Whisper (more so with a prompt) may invent a phrase over the last fraction of a second
    of silence; such segments have a low log-probability and near-zero word probabilities."""
    words = segment.words or []
    if not words:
        return None
    mean_p = sum(w.probability for w in words) / len(words)
    if mean_p < 0.35 and segment.avg_logprob < -0.8:
        return "silence"
    # "No, no, no, no." over the last fraction of a second: one word repeated, nothing else
    tokens = ["".join(ch for ch in w.word.lower() if ch.isalpha()) for w in words]
    if len(tokens) >= 3 and len(set(tokens)) == 1 and (words[-1].end - words[0].start) < 1.5:
        return "silence"
    # a decoding loop ("um, so, uh, so, so, so, so, …"): one word is most of a longer segment
    if len(tokens) >= 6 and max(tokens.count(t) for t in set(tokens)) / len(tokens) >= 0.5:
        return "loop"
    return None


class WhisperTranscriber:
    """faster-whisper, loaded once; int8 on the CPU with ``threads`` threads."""

    def __init__(
        self,
        model: str = "base",
        *,
        threads: int = 2,
        models_dir: Path | str | None = None,
        beam_size: int = 5,
        progress: bool = True,
    ):
        path = resolve_model(model, models_dir, progress=progress)
        try:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(str(path), device="cpu", compute_type="int8",
                                       cpu_threads=max(1, threads), num_workers=1)
        except Exception as exc:  # noqa: BLE001 - ctranslate2 raises RuntimeError/ValueError
            raise ModelError(f"cannot load Whisper model from {path}: {exc}") from None
        self.name = model
        self.path = path
        self.beam_size = beam_size
        self.english_only = not self._model.model.is_multilingual

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Spanish or English, whichever Whisper finds likelier, with its probability."""
        if self.english_only:
            return "en", 1.0
        _, _, probs = self._model.detect_language(audio=np.asarray(audio, dtype=np.float32))
        table = dict(probs)
        lang = max(LANGUAGES, key=lambda code: table.get(code, 0.0))
        return lang, float(table.get(lang, 0.0))

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        language: str = "auto",
        *,
        prompt: str | None = None,
        offset: float = 0.0,
        fit_window: bool = False,
    ) -> Transcript:
        """Transcribe ``audio``; ``offset`` is added to every timestamp.

        ``fit_window`` shrinks Whisper's 30 s encoder window to the audio (at least 5 s), which
        makes short chunks several times cheaper; used for incremental chunks.
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
        initial = FILLER_PROMPTS[lang] if prompt is None else f"{FILLER_PROMPTS[lang]} {prompt}"
        chunk_length = min(30, max(5, int(duration) + 1)) if fit_window else None
        segs, words, looped = self._decode(samples, lang, initial, chunk_length, offset)
        if looped:  # the prompt can lock Whisper into a loop: decode once more without it
            segs2, words2, _ = self._decode(samples, lang, None, chunk_length, offset)
            if len(words2) > len(words):
                segs, words = segs2, words2
        text = " ".join(s.text for s in segs if s.text).strip()
        return Transcript(text=text, language=lang, language_probability=prob, duration=duration,
                          segments=segs, words=words)

    def _decode(self, samples, lang: str, initial: str | None, chunk_length: int | None,
                offset: float) -> tuple[list[Segment], list[Word], bool]:
        """Decode, dropping invented segments; returns segments, words and whether one was a loop."""
        try:
            segments, _info = self._model.transcribe(
                samples, language=lang, beam_size=self.beam_size, word_timestamps=True,
                initial_prompt=initial, condition_on_previous_text=initial is not None,
                vad_filter=False, chunk_length=chunk_length,
            )
            segs, words, looped = [], [], False
            for s in segments:  # a generator: decoding happens while iterating
                reason = _looks_hallucinated(s)
                if reason:
                    looped = looped or reason == "loop"
                    continue
                segs.append(Segment(start=round(s.start + offset, 3), end=round(s.end + offset, 3),
                                    text=s.text.strip(), avg_logprob=s.avg_logprob,
                                    no_speech_prob=s.no_speech_prob))
                for w in s.words or []:
                    words.append(Word(word=w.word.strip(), start=round(w.start + offset, 3),
                                      end=round(w.end + offset, 3),
                                      probability=round(w.probability, 4)))
        except Exception as exc:  # noqa: BLE001
            raise TranscriptionError(f"transcription failed: {exc}") from None
        return segs, words, looped
