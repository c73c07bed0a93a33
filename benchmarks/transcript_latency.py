"""Latency from the end of speech to the final transcript, through the virtual microphone.

Long answers (15 / 60 / 120 s) are built by concatenating distinct sentences — the real
English clips of tests/data/speech, then espeak-ng sentences — with 0.3 s gaps (sox), played into the virtual microphone while the
real ``Listener`` records them, with and without incremental transcription. Endpointing is
silence-only here (1.5 s) so the whole answer is heard; the turn model is measured in
benchmarks/endpointing.py. Reported per answer: endpoint − speech_end, transcript_ready −
endpoint and transcript_ready − speech_end (all on the session clock), WER, chunks.

    .venv/bin/python benchmarks/transcript_latency.py [--lengths 15 60 120] [--reps 3]

It starts (and at the end stops) its own virtual audio server (tests/audio/virtual-audio) in a private state dir, so it
never hears or stops another run's server.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "tests" / "data" / "speech"
VIRTUAL_AUDIO = str(ROOT / "tests" / "audio" / "virtual-audio")


def vm(*args: str) -> str:
    r = subprocess.run([VIRTUAL_AUDIO, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode:
        raise SystemExit(f"virtual-audio {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


FILL_SENTENCES = [
    "A validation set tells you how the model does on data it has not seen.",
    "Regularization adds a penalty on large weights so the model stays simple.",
    "Precision is the share of predicted positives that are really positive.",
    "Recall is the share of real positives that the model finds.",
    "Gradient descent takes small steps against the slope of the loss.",
    "A learning rate that is too high makes the training diverge.",
    "Batch normalization keeps the activations in a stable range.",
    "Dropout switches off random units during training to reduce overfitting.",
    "Cross validation splits the data into folds and averages the scores.",
    "A confusion matrix counts the right and wrong answers for each class.",
    "Feature scaling helps models that depend on distances between points.",
    "Early stopping ends training when the validation loss stops improving.",
    "Data leakage happens when information from the test set reaches training.",
    "An embedding maps words to vectors that capture their meaning.",
    "Attention lets the model weigh every token when it encodes another one.",
    "A random forest averages many decision trees trained on bootstrap samples.",
    "Boosting trains each new tree on the errors of the previous ones.",
    "The bias variance trade off balances underfitting against overfitting.",
    "Monitoring in production catches drift in the input distribution.",
    "A baseline model tells you whether the complex model is worth it.",
]


def build_answer(seconds: float, out: Path) -> str:
    """Distinct sentences up to ``seconds``: the real English clips first, then espeak-ng
    sentences (no sentence repeats, so Whisper cannot copy its prompt), 0.3 s gaps."""
    rows = [json.loads(line) for line in (SPEECH / "manifest.jsonl").read_text().splitlines() if line]
    items = [(str(SPEECH / r["file"]), r["text"]) for r in rows if r["language"] == "en"]
    for i, sentence in enumerate(FILL_SENTENCES):
        raw, wav = out.with_name(f"fill-{i}-raw.wav"), out.with_name(f"fill-{i}.wav")
        if not wav.exists():
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), sentence], check=True)
            subprocess.run(["sox", "-D", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav),
                            "norm", "-3"], check=True)
        items.append((str(wav), sentence))
    gap = out.with_name("gap.wav")
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(gap), "trim", "0", "0.3"], check=True)
    files, texts, total = [], [], 0.0
    for path, text in items:
        if total >= seconds:
            break
        files += [path, str(gap)]
        texts.append(text)
        total += float(subprocess.run(["soxi", "-D", path], capture_output=True, text=True).stdout) + 0.3
    if total < seconds:
        raise SystemExit(f"not enough distinct sentences for {seconds:g} s (got {total:.0f} s)")
    subprocess.run(["sox", *files[:-1], str(out)], check=True)
    return " ".join(texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", type=float, nargs="+", default=[15, 60, 120])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--stt-model", default="base")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()

    os.environ["VIRTUAL_MIC_DIR"] = tempfile.mkdtemp(prefix="vm-lat-", dir="/tmp")
    vm("start")
    for line in vm("env").splitlines():
        key, value = shlex.split(line)[1].split("=", 1)
        os.environ[key] = value
    sys.path.insert(0, str(ROOT))
    import jiwer

    from voice_interviewer.hearing.listener import Listener
    from voice_interviewer.config import Settings
    from voice_interviewer.ports import AnswerRequest
    from voice_interviewer.hearing.endpoint import load_endpointer_models
    from voice_interviewer.hearing.whisper import WhisperTranscriber

    settings = Settings(stt_model=args.stt_model, stt_threads=args.threads, max_pause_s=1.5,
                        no_speech_timeout_s=10)
    transcriber = WhisperTranscriber(args.stt_model, threads=args.threads, progress=False)
    vad, _ = load_endpointer_models(settings.models_dir, turn=False, progress=False)
    listeners = {mode: Listener(settings, transcriber=transcriber, vad=vad, turn_model=None,
                                incremental=(mode == "incremental"), live=False)
                 for mode in ("incremental", "whole")}
    tmp = Path(tempfile.mkdtemp(prefix="latency-"))
    rows = []
    for seconds in args.lengths:
        wav = tmp / f"answer-{seconds:g}.wav"
        reference = build_answer(seconds, wav)
        for rep in range(args.reps):
            for mode, listener in listeners.items():
                def play():
                    threading.Thread(target=vm, args=("play", str(wav)), daemon=True).start()

                req = AnswerRequest(turn=1, question_id="bench", language="en", session_dir=tmp,
                                    audio_name=f"{mode}-{seconds:g}-{rep}.wav", on_listening=play)
                ans = listener.get_answer(req)
                t = ans.timings
                norm = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(),
                                      jiwer.RemoveMultipleSpaces(), jiwer.Strip()])
                row = {
                    "length_s": seconds, "mode": mode, "rep": rep,
                    "speech_s": round(t.speech_end - t.speech_start, 2),
                    "endpoint_delay": round(t.endpoint - t.speech_end, 3),
                    "stt_after_endpoint": round(t.transcript_ready - t.endpoint, 3),
                    "speech_end_to_transcript": round(t.transcript_ready - t.speech_end, 3),
                    "wer": round(jiwer.wer(norm(reference), norm(ans.text)), 3),
                    "text": ans.text,
                }
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "text"}), flush=True)
                time.sleep(0.5)
    print("\nlength  mode         p50 speech_end→transcript  p50 endpoint→transcript  WER")
    for seconds in args.lengths:
        for mode in listeners:
            sel = [r for r in rows if r["length_s"] == seconds and r["mode"] == mode]
            print(f"{seconds:>5g}s  {mode:<11}  "
                  f"{statistics.median(r['speech_end_to_transcript'] for r in sel):>10.2f} s"
                  f"  {statistics.median(r['stt_after_endpoint'] for r in sel):>18.2f} s"
                  f"  {statistics.mean(r['wer'] for r in sel):>12.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    vm("stop")


if __name__ == "__main__":
    main()
