"""How the live answer is cut into chunks: the last piece's length and decode time vs accuracy.

The candidate's wait is mostly the transcription of the answer's last piece: the audio after
the last point where a chunk was settled. Fluent speech has few pauses, so without forced cuts
the last piece is a whole sentence. This feeds real recorded answers (the clips of
tests/data/speech, two or three per answer, 0.3 s apart, as ``turn_latency.py --voice human``
plays them) block by block through the real endpointer and incremental transcriber, with the
listener's chunking rule under several settings, and reports per setting: WER of the final
transcript (jiwer, normalised), the last piece's seconds and the time from the end of speech
to the finished transcript (the endpoint taken as 0.3 s after it, as
when the turn model says complete). Answers are fed as fast as transcription keeps pace, the
last 3 s of speech and what follows in real time.

    .venv/bin/python benchmarks/chunking.py [--answers 12]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SPEECH = ROOT / "tests" / "data" / "speech"
RATE = 16000
BLOCK = 512


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text)).strip()


def answers(n: int, seed: int = 3) -> list[tuple[str, np.ndarray, str]]:
    from voice_interviewer.hearing.whisper import load_audio

    rows = [json.loads(line) for line in (SPEECH / "manifest.jsonl").read_text().splitlines() if line]
    by_lang: dict[str, list] = {}
    for r in rows:
        by_lang.setdefault(r["language"], []).append((load_audio(SPEECH / r["file"]), r["text"]))
    rng = random.Random(seed)
    out = []
    gap = np.zeros(int(0.3 * RATE), np.float32)
    for i in range(n):
        lang = ("en", "es")[i % 2]
        picks = rng.sample(by_lang[lang], k=min(len(by_lang[lang]), rng.choice((2, 3))))
        audio = np.concatenate([x for a, _ in picks for x in (a, gap)])
        out.append((lang, audio, " ".join(t for _, t in picks)))
    return out


QUESTIONS = {"en": "Explain the bias-variance tradeoff.",
             "es": "¿Me puedes explicar el tradeoff entre sesgo y varianza?"}


def run(stt, vad, audio: np.ndarray, language: str, force_s: float, gap_s: float, beam: int,
        advance_s: float = 3.0, holdback_s: float = 1.0, context: str | None = None):
    """Feed ``audio`` (a finished answer); returns the transcript, the last piece's seconds,
    the wall time from the end of speech to the transcript, the number of chunks and when the
    last piece began decoding (seconds after the end of speech)."""
    from voice_interviewer.hearing import incremental, listener
    from voice_interviewer.hearing.endpoint import EndpointConfig, Endpointer
    from voice_interviewer.hearing.incremental import IncrementalTranscriber

    listener.FORCE_CHUNK_S, listener.GAP_CHUNK_S, incremental.LIVE_BEAM = force_s, gap_s, beam
    listener.ADVANCE_S, incremental.HOLDBACK_S = advance_s, holdback_s
    inc = IncrementalTranscriber(stt, language, context=context)
    inc.clock = time.perf_counter
    ep = Endpointer(vad, None, EndpointConfig(use_turn_model=False, max_pause_s=60.0))
    lead = RATE // 2
    x = np.concatenate([np.zeros(lead, np.float32), audio, np.zeros(RATE, np.float32)])
    voiced = np.flatnonzero(np.abs(x) > 0.02)
    speech_end = int(voiced[-1]) + 1
    realtime_from = speech_end - 3 * RATE  # the last 3 s of speech and 0.3 s after it play in real time
    stop_at = speech_end + int(0.3 * RATE)  # a complete turn ends 0.3 s after speech
    t_end = None
    for i in range(0, stop_at, BLOCK):
        events = ep.feed(x[i:i + BLOCK])
        listener.settle_on(events, ep, inc)
        if i + BLOCK < realtime_from:  # before: transcription keeps pace, as it does live
            while inc.working:
                time.sleep(0.002)
            next_block = time.perf_counter()
        else:
            next_block += BLOCK / RATE
            time.sleep(max(0.0, next_block - time.perf_counter()))
        if t_end is None and i + BLOCK >= speech_end:
            t_end = time.perf_counter() - (i + BLOCK - speech_end) / RATE
    full = ep.all_audio()
    end = min(len(full), (ep.last_voiced_end or len(full)) + int(listener.TAIL_PAD_S * RATE))
    result = inc.finish(full, end)
    lag = time.perf_counter() - t_end
    last_s = inc.last_chunk[1] if inc.last_chunk else 0.0
    begun = inc.last_chunk[0] - t_end if inc.last_chunk else None
    return result.text, last_s, lag, inc.chunks, begun


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--answers", type=int, default=12)
    ap.add_argument("--settings", default="10:1:5:99,10:1:2:99,6:1:2:99,10:1:2:4,10:1:2:4:1.5",
                    help="force_s:gap_s:beam:advance_s[:holdback_s], comma separated: seconds pending before a cut "
                         "at the quietest point, before a cut at a 0.1 s gap, the beam size, and "
                         "seconds pending before the words heard so far are transcribed (99: never), "
                         "and how close to the newest audio a word is not kept (default 1)")
    ap.add_argument("--question", action="store_true",
                    help="transcribe with an (off-topic) interview question as Whisper's context, as the interview does")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import jiwer

    from voice_interviewer.hearing.endpoint import load_endpointer_models
    from voice_interviewer.hearing.whisper import WhisperTranscriber

    stt = WhisperTranscriber("base", progress=False)
    vad, _ = load_endpointer_models(turn=False, progress=False)
    data = answers(args.answers)
    print(f"{len(data)} answers, {sum(len(a) for _, a, _ in data) / RATE / len(data):.1f} s mean "
          f"({sum(lang == 'es' for lang, _, _ in data)} es)\n")
    print(f"{'force:gap:beam:advance':>22} {'WER en':>7} {'WER es':>7} {'chunks':>7} {'last piece s p50':>17} "
          f"{'speech end→text p50':>20} {'p95':>6} {'last begun p50':>15}")
    out = []
    for setting in args.settings.split(","):
        force_s, gap_s, beam, advance_s, holdback_s = (float(v) for v in (setting + ":1").split(":")[:5])
        rows = []
        for lang, audio, ref in data:
            text, last_s, lag, chunks, begun = run(stt, vad, audio, lang, force_s, gap_s, int(beam), advance_s, holdback_s,
                                            QUESTIONS[lang] if args.question else None)
            rows.append({"language": lang, "ref": normalise(ref), "hyp": normalise(text),
                         "last_s": last_s, "lag": lag, "chunks": chunks, "begun": begun})
        wer = {lang: jiwer.wer([r["ref"] for r in rows if r["language"] == lang],
                               [r["hyp"] for r in rows if r["language"] == lang]) for lang in ("en", "es")}
        lags = sorted(r["lag"] for r in rows if r["lag"] is not None)
        p95 = statistics.quantiles(lags, n=20, method="inclusive")[-1] if len(lags) > 1 else lags[0]
        print(f"{setting:>22} {wer['en']:>7.3f} {wer['es']:>7.3f} "
              f"{statistics.mean(r['chunks'] for r in rows):>7.1f} "
              f"{statistics.median(r['last_s'] for r in rows):>17.2f} {statistics.median(lags):>20.2f} {p95:>6.2f} "
              f"{statistics.median(r['begun'] for r in rows if r['begun'] is not None):>15.2f}",
              flush=True)
        out.append({"setting": setting, "wer": wer, "rows": rows})
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
