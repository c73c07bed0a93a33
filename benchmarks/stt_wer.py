"""Word error rate, speed (real-time factor) and peak RSS of the Whisper models, side by side.

Runs each configuration (base and tiny.en, int8, 1 and 2 threads) in its own process over the
real speech clips of tests/data/speech (tiny.en: English clips only), so the peak RSS is that of
one loaded model transcribing. WER: lowercase, accents and punctuation stripped on both sides
(the Spanish references lack accents). RTF = transcription seconds / audio seconds (lower is
faster; 0.1 means ten times faster than real time).

    .venv/bin/python benchmarks/stt_wer.py [--configs base:2 base:1 tiny.en:2 tiny.en:1] [--max-clips N]

A config may add options after the threads: ``full`` pads every encoder window to 30 s as
faster-whisper does by default (the transcriber fits it to the audio), ``fallback`` adds
Whisper's sampled temperature fallbacks (the transcriber uses temperature 0 only), ``greedy``
decodes with beam size 1 instead of 5 and ``beamN`` with beam size N, e.g.
``base:2:full:fallback`` is plain faster-whisper.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "tests" / "data" / "speech"


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.replace("-", " ")).split())


FALLBACK = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's default temperatures


def beam_size(options: list[str]) -> int:
    """``greedy`` = 1, ``beamN`` = N, else 5."""
    for opt in options:
        if opt == "greedy":
            return 1
        if opt.startswith("beam") and opt[4:].isdigit():
            return int(opt[4:])
    return 5


def worker(model: str, threads: int, max_clips: int | None, options: list[str]) -> dict:
    sys.path.insert(0, str(ROOT))
    import jiwer

    from voice_interviewer.hearing.whisper import WhisperTranscriber, load_audio

    rows = [json.loads(line) for line in (SPEECH / "manifest.jsonl").read_text().splitlines() if line]
    started = time.perf_counter()
    stt = WhisperTranscriber(model, threads=threads, progress=False, fit_window="full" not in options,
                             temperatures=FALLBACK if "fallback" in options else (0.0,),
                             beam_size=beam_size(options))
    load_s = time.perf_counter() - started
    if stt.english_only:
        rows = [r for r in rows if r["language"] == "en"]
    if max_clips:
        en = [r for r in rows if r["language"] == "en"][:max_clips]
        es = [r for r in rows if r["language"] == "es"][:max_clips]
        rows = en + es
    per_lang: dict[str, dict] = {}
    for r in rows:
        audio = load_audio(SPEECH / r["file"])
        t = time.perf_counter()
        out = stt.transcribe(audio, "auto")
        took = time.perf_counter() - t
        d = per_lang.setdefault(r["language"], {"refs": [], "hyps": [], "audio_s": 0.0, "proc_s": 0.0,
                                                "lang_ok": 0, "n": 0})
        d["refs"].append(normalise(r["text"]))
        d["hyps"].append(normalise(out.text))
        d["audio_s"] += len(audio) / 16000
        d["proc_s"] += took
        d["lang_ok"] += out.language == r["language"]
        d["n"] += 1
    result = {"model": model, "threads": threads, "options": "+".join(options) or "-", "load_s": round(load_s, 2),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    refs, hyps, audio_s, proc_s = [], [], 0.0, 0.0
    for lang, d in per_lang.items():
        result[lang] = {"clips": d["n"], "wer": round(jiwer.wer(d["refs"], d["hyps"]), 3),
                        "rtf": round(d["proc_s"] / d["audio_s"], 3),
                        "language_detected": f"{d['lang_ok']}/{d['n']}"}
        refs += d["refs"]
        hyps += d["hyps"]
        audio_s += d["audio_s"]
        proc_s += d["proc_s"]
    result["pooled"] = {"wer": round(jiwer.wer(refs, hyps), 3), "rtf": round(proc_s / audio_s, 3),
                        "audio_s": round(audio_s, 1)}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=["base:2", "base:1", "tiny.en:2", "tiny.en:1"])
    ap.add_argument("--max-clips", type=int, help="at most N clips per language")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.worker:
        model, threads, *options = args.worker.split(":")
        print(json.dumps(worker(model, int(threads), args.max_clips, options)))
        return
    results = []
    for config in args.configs:
        cmd = [sys.executable, __file__, "--worker", config]
        if args.max_clips:
            cmd += ["--max-clips", str(args.max_clips)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            print(f"{config}: failed\n{r.stderr[-2000:]}", file=sys.stderr)
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        results.append(res)
        print(json.dumps(res), flush=True)
    print(f"\n{'model':<9}{'threads':>8}{'options':>15}{'WER en':>8}{'WER es':>8}{'RTF':>7}{'load':>7}{'peak RSS':>10}")
    for r in results:
        es = r.get("es", {}).get("wer")
        print(f"{r['model']:<9}{r['threads']:>8}{r['options']:>15}{r['en']['wer']:>8.3f}{es if es is not None else '-':>8}"
              f"{r['pooled']['rtf']:>7.2f}{r['load_s']:>6.1f}s{r['peak_rss_mb']:>8.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
