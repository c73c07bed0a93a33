"""How many thinking pauses delivery counts in an answer heard through the microphone.

One answer a language (espeak-ng, 150 words/min): nine clause pieces that trail off ("..., and")
with eight pauses of 1.6-2.5 s between them, played through the virtual microphone
(``tests/audio/virtual-audio``) into the real ``Listener`` (default settings; the pieces trail
off, so the answer goes on through each pause). The heard words are measured by
``judging.delivery.measure`` three ways: Whisper's word times with the old 2.5 s threshold, the
same with 1.5 s (``Settings.long_pause_s``), and the word times kept out of the VAD's pauses
(``hearing.listener.fit_words_to_pauses``, what the listener hands on) with 1.5 s.

    VIRTUAL_MIC_DIR=/tmp/vm-pauses .venv/bin/python benchmarks/pause_count.py [--runs 2] [--language en,es]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VIRTUAL_AUDIO = str(ROOT / "tests" / "audio" / "virtual-audio")
VOICES = {"en": "en-us", "es": "es"}
PAUSES = [1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.3, 2.5]
PIECES = {
    "en": ["Regularization adds a penalty to the weights, and", "it keeps the model simple, because",
           "large weights fit the noise, and", "the penalty is tuned on validation data, so",
           "we try several values and", "pick the one with the lowest error, but",
           "too much of it underfits, and", "the model misses real patterns, so",
           "the balance matters."],
    "es": ["La regularización añade una penalización a los pesos, y", "mantiene el modelo simple, porque",
           "los pesos grandes ajustan el ruido, y", "la penalización se elige con validación, así que",
           "probamos varios valores y", "elegimos el de menor error, pero",
           "demasiada penaliza de más, y", "el modelo pierde patrones reales, así que",
           "el equilibrio importa."],
}


def vm(*args: str) -> str:
    r = subprocess.run([VIRTUAL_AUDIO, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"virtual-audio {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def make_answer(language: str, path: Path) -> None:
    parts = []
    for i, piece in enumerate(PIECES[language]):
        raw, out = path.with_suffix(f".{i}.raw.wav"), path.with_suffix(f".{i}.wav")
        subprocess.run(["espeak-ng", "-v", VOICES[language], "-s", "150", "-w", str(raw), piece], check=True,
                       stdin=subprocess.DEVNULL)
        subprocess.run(["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "norm", "-3"],
                       check=True, stdin=subprocess.DEVNULL)
        parts.append(sf.read(str(out), dtype="float32")[0])
        if i < len(PAUSES):
            parts.append(np.zeros(int(PAUSES[i] * 16000), np.float32))
    parts.append(np.zeros(8000, np.float32))
    sf.write(str(path), np.concatenate(parts), 16000, subtype="PCM_16")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2, help="answers played per language")
    ap.add_argument("--language", default="en,es")
    args = ap.parse_args()
    os.environ.setdefault("VIRTUAL_MIC_DIR", "/tmp/vm-pauses")
    vm("start")
    for line in vm("env").splitlines():
        key, value = shlex.split(line)[1].split("=", 1)
        os.environ[key] = value

    import voice_interviewer.hearing.listener as listener_mod
    from voice_interviewer.config import Settings
    from voice_interviewer.hearing.endpoint import load_endpointer_models
    from voice_interviewer.hearing.whisper import WhisperTranscriber
    from voice_interviewer.judging.delivery import measure
    from voice_interviewer.ports import AnswerRequest

    raw_words: list = []
    fit = listener_mod.fit_words_to_pauses

    def keep_raw(words, pauses):
        raw_words[:] = words
        return fit(words, pauses)

    listener_mod.fit_words_to_pauses = keep_raw
    vad, turn = load_endpointer_models(progress=False)
    listener = listener_mod.Listener(Settings(), transcriber=WhisperTranscriber("base", progress=False),
                                     vad=vad, turn_model=turn, live=False)
    print(f"{len(PAUSES)} pauses of {PAUSES[0]}-{PAUSES[-1]} s in each answer")
    print("language run  heard s  Whisper >=2.5  Whisper >=1.5  fitted >=1.5  fitted pauses")
    try:
        with tempfile.TemporaryDirectory(prefix="vi-pauses-") as tmp:
            for language in args.language.split(","):
                wav = Path(tmp) / f"{language}.wav"
                make_answer(language, wav)
                for run in range(args.runs):
                    def play(wav=wav):
                        threading.Thread(target=vm, args=("play", str(wav)), daemon=True).start()

                    req = AnswerRequest(turn=1, question_id="q", language=language, session_dir=tmp,
                                        audio_name=f"{language}-{run}-heard.wav", on_listening=play)
                    answer = listener.get_answer(req)
                    raw = [w.model_dump() for w in raw_words]
                    t = answer.timings
                    old = measure(answer.text, language, words=raw, long_pause_s=2.5).long_pauses
                    mid = measure(answer.text, language, words=raw, long_pause_s=1.5).long_pauses
                    new = measure(answer.text, language, words=answer.words, long_pause_s=1.5).long_pauses
                    print(f"{language:<8} {run:<4} {t.speech_end - t.speech_start:7.1f}  {len(old):>13}  "
                          f"{len(mid):>13}  {len(new):>12}  {new}", flush=True)
                    print(f"    ends: …{answer.text[-70:]!r}", flush=True)
    finally:
        vm("stop")


if __name__ == "__main__":
    main()
