"""How soon the reply can start after a spoken closer ("so that's all", "eso es todo") vs. without.

Each answer (espeak-ng, 150 words/min) is played through the virtual microphone
(``tests/audio/virtual-audio``) into the real ``Listener`` with its default settings (silero VAD,
Smart Turn at 0.95, the text check, Whisper base with incremental transcription), once as is
and once with a closer said after it. Measured, from the end of the last word (the listener's
``speech_end``):

- end: when the listener decided the answer was over (``endpoint``), and by which rule;
- reply: when the transcript was ready (``transcript_ready``), the earliest the judge, and so
  the reply, can start.

Whisper base often mishears espeak-ng's closers through the microphone ("So that's all" as "so
next all" or "let's all"), and such an answer ends by the usual rules: the closer rows show
both. The closers are taken in turn from ``CLOSERS``.

    VIRTUAL_MIC_DIR=/tmp/vm-closers .venv/bin/python benchmarks/closers.py [--language en,es]
        [--closer "en=That's it."] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
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
CLOSERS = {  # said after the answer, in turn
    "en": ["So that's all.", "That's it.", "I'm done."],
    "es": ["Eso es todo.", "Ya está.", "Eso es todo, gracias."],
}
ANSWERS = {
    "en": [
        "I would use cross validation to choose the penalty.",
        "Overfitting happens when a model learns the noise in the training data.",
        "Precision is the share of predicted positives that are correct.",
        "Bagging trains many models on bootstrap samples and averages them.",
        "Gradient descent moves the weights against the gradient of the loss",  # sounds unfinished
        "Dropout switches off random units during training, and then",  # trails off
    ],
    "es": [
        "Usaría validación cruzada para elegir la penalización.",
        "El sobreajuste ocurre cuando el modelo aprende el ruido de los datos.",
        "La precisión es la parte de los positivos predichos que son correctos.",
        "El bagging entrena muchos modelos con muestras distintas y los promedia.",
        "El descenso de gradiente mueve los pesos contra el gradiente de la pérdida",
        "El dropout apaga unidades al azar durante el entrenamiento, y luego",
    ],
}


def vm(*args: str) -> str:
    r = subprocess.run([VIRTUAL_AUDIO, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"virtual-audio {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def make_wav(text: str, language: str, path: Path) -> None:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", VOICES[language], "-s", "150", "-w", str(raw), text], check=True,
                   stdin=subprocess.DEVNULL)
    subprocess.run(["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path), "norm", "-3"],
                   check=True, stdin=subprocess.DEVNULL)
    x, rate = sf.read(str(path), dtype="float32")
    sf.write(str(path), np.concatenate([x, np.zeros(rate // 2, np.float32)]), rate, subtype="PCM_16")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--language", default="en,es")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--closer", action="append", default=[], metavar="LANG=TEXT",
                    help="say this closer after every answer in LANG (instead of taking CLOSERS in turn)")
    args = ap.parse_args()
    for item in args.closer:
        lang, _, text = item.partition("=")
        if lang not in CLOSERS or not text:
            sys.exit(f"--closer {item!r}: use en=TEXT or es=TEXT")
        CLOSERS[lang] = [text]
    languages = args.language.split(",")

    os.environ.setdefault("VIRTUAL_MIC_DIR", "/tmp/vm-closers")
    vm("start")
    for line in vm("env").splitlines():
        key, value = shlex.split(line)[1].split("=", 1)
        os.environ[key] = value

    import voice_interviewer.hearing.listener as listener_mod
    from voice_interviewer.config import Settings
    from voice_interviewer.hearing.endpoint import Endpointer, load_endpointer_models
    from voice_interviewer.hearing.whisper import WhisperTranscriber
    from voice_interviewer.ports import AnswerRequest

    endpointers: list[Endpointer] = []

    class Recorded(Endpointer):  # the listener's endpointer, kept to read why the answer ended
        def __post_init__(self) -> None:
            super().__post_init__()
            endpointers.append(self)

    listener_mod.Endpointer = Recorded
    vad, turn = load_endpointer_models(progress=False)
    listener = listener_mod.Listener(Settings(), transcriber=WhisperTranscriber("base", progress=False),
                                     vad=vad, turn_model=turn, live=False)
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="vi-closers-") as tmp:
            for language in languages:
                for i, text in enumerate(ANSWERS[language]):
                    for closed in (False, True):
                        closer = CLOSERS[language][i % len(CLOSERS[language])]
                        said = f"{text} {closer}" if closed else text
                        wav = Path(tmp) / f"{language}-{i}-{int(closed)}.wav"
                        make_wav(said, language, wav)

                        def play(wav=wav):
                            threading.Thread(target=vm, args=("play", str(wav)), daemon=True).start()

                        req = AnswerRequest(turn=1, question_id="q", language=language, session_dir=tmp,
                                            audio_name=wav.name.replace(".wav", "-heard.wav"), on_listening=play)
                        answer = listener.get_answer(req)
                        t = answer.timings
                        row = {"language": language, "answer": i, "closer": closed, "said": said,
                               "heard": answer.text, "reason": endpointers[-1].done.reason,
                               "end_s": round(t.endpoint - t.speech_end, 3),
                               "reply_s": round(t.transcript_ready - t.speech_end, 3)}
                        rows.append(row)
                        print(f"{language} {i} {'closer' if closed else 'plain ':6} end {row['end_s']:5.2f} s "
                              f"reply {row['reply_s']:5.2f} s  {row['reason']:<11} {answer.text!r}", flush=True)
    finally:
        vm("stop")
    print()
    print("language  closer  n  end p50  end max  reply p50  reply max  ended by")
    for language in languages:
        for closed in (False, True):
            sel = [r for r in rows if r["language"] == language and r["closer"] == closed]
            ends, replies = [r["end_s"] for r in sel], [r["reply_s"] for r in sel]
            reasons = {k: sum(r["reason"] == k for r in sel) for k in sorted({r["reason"] for r in sel})}
            print(f"{language:<9} {'yes' if closed else 'no':<7} {len(sel)}  {statistics.median(ends):6.2f}   "
                  f"{max(ends):6.2f}   {statistics.median(replies):7.2f}    {max(replies):6.2f}    {reasons}")
        heard = [r for r in rows if r["language"] == language and r["reason"] == "closer"]
        if heard:
            print(f"{language:<9} ended by the closer: reply p50 {statistics.median(r['reply_s'] for r in heard):.2f} s, "
                  f"max {max(r['reply_s'] for r in heard):.2f} s (n={len(heard)})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
