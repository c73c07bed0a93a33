"""End-of-answer detection: delay after speech ends, and answers cut at a thinking pause.

Answers: the 16 real clips of ../shared/speech (6 en, 10 es) plus the espeak-ng clips of
tests/data/stt, each (a) as is — a finished answer — and (b) with a 1.5–2.5 s thinking pause
inserted at the quietest 20 ms of the middle third of the clip (mid-sentence). The audio is
fed block by block through the real ``Endpointer`` (silero VAD + Smart Turn), as the listener
does, and each policy is scored:

- delay: seconds from the last voiced block to the decision (audio time), plus the time the
  decision's model calls took on this CPU; only over answers that were not cut early;
- cut rate: answers ended before the speech after the pause (or a finished clip's last word).

Policies: silence-only at 0.3 / 1.0 / 3.0 s, and the turn model (end after 0.3 s when it says
complete, 3.0 s otherwise), also with a stricter threshold (0.9) and a 0.8 s end silence. ``--through-mic`` is left to transcript_latency.py; this script
needs no audio device and runs in about a minute.

    .venv/bin/python benchmarks/endpointing.py [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHARED", ROOT.parent / "shared"))
RATE = 16000
BLOCK = 512


def clips() -> list[tuple[str, str, np.ndarray]]:
    out = []
    rows = [json.loads(line) for line in (SHARED / "speech" / "manifest.jsonl").read_text().splitlines() if line]
    for r in rows:
        x, rate = sf.read(str(SHARED / "speech" / r["file"]), dtype="float32")
        assert rate == RATE
        out.append((r["file"], r["language"], x))
    for f in ("en_answer.wav", "en_sentence.wav", "es_answer.wav"):
        x, _ = sf.read(str(ROOT / "tests" / "data" / "stt" / f), dtype="float32")
        out.append((f, f[:2], x))
    return out


def insert_pause(x: np.ndarray, pause_s: float) -> tuple[np.ndarray, int]:
    lo, hi = len(x) // 3, 2 * len(x) // 3
    frame = RATE // 50
    energy = np.convolve(x[lo:hi] ** 2, np.ones(frame) / frame, mode="same")
    cut = lo + int(np.argmin(energy))
    return np.concatenate([x[:cut], np.zeros(int(pause_s * RATE), np.float32), x[cut:]]), cut


def run(vad, turn, config, audio: np.ndarray, lead: int):
    from voice_interviewer.audio.endpoint import Endpointer

    ep = Endpointer(vad, turn, config)
    model_time = 0.0
    x = np.concatenate([np.zeros(lead, np.float32), audio, np.zeros(4 * RATE, np.float32)])
    for i in range(0, len(x) - BLOCK + 1, BLOCK):
        t = time.perf_counter()
        events = ep.feed(x[i:i + BLOCK])
        if any(e.kind == "pause" and e.turn_probability is not None for e in events):
            model_time += time.perf_counter() - t  # the decision waited for this call
        if ep.done:
            break
    return ep, model_time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from voice_interviewer.audio.endpoint import EndpointConfig, load_endpointer_models

    vad, turn = load_endpointer_models(progress=False)
    policies = {
        "silence 0.3 s": (EndpointConfig(use_turn_model=False, max_pause_s=0.3), None),
        "silence 1.0 s": (EndpointConfig(use_turn_model=False, max_pause_s=1.0), None),
        "silence 3.0 s": (EndpointConfig(use_turn_model=False, max_pause_s=3.0), None),
        "turn model 0.3/3.0 s": (EndpointConfig(), turn),
        "turn p>=0.9 0.3/3.0 s": (EndpointConfig(turn_threshold=0.9), turn),
        "turn model 0.8/3.0 s": (EndpointConfig(end_silence_s=0.8), turn),
    }
    rng = random.Random(7)
    answers = []
    for name, lang, x in clips():
        answers.append((name, lang, "finished", x, len(x)))
        pause = rng.uniform(1.5, 2.5)
        y, cut = insert_pause(x, pause)
        answers.append((f"{name}+{pause:.1f}s", lang, "pause", y, cut + int(pause * RATE)))
    lead = RATE // 2
    rows = []
    for label, (config, model) in policies.items():
        for name, lang, kind, audio, must_hear in answers:
            ep, model_time = run(vad, model, config, audio, lead)
            heard_until = (ep.last_voiced_end or 0) - lead
            # cut: the answer ended before speech that was still to come
            if kind == "pause":
                cut = heard_until < must_hear
            else:
                rest = audio[max(0, heard_until + RATE // 10):]
                cut = len(rest) > RATE // 2 and float(np.abs(rest).max()) > 0.05
            delay = (ep.done.sample - ep.last_voiced_end) / RATE + model_time if ep.done else None
            rows.append({"policy": label, "answer": name, "language": lang, "kind": kind,
                         "cut": bool(cut), "delay_s": None if delay is None else round(delay, 3),
                         "reason": ep.done.reason if ep.done else None,
                         "turn_probabilities": [round(p, 3) for p in ep.turn_probabilities]})
    print(f"{len(answers)} answers ({sum(a[2] == 'pause' for a in answers)} with a thinking pause), "
          f"{len({a[0].split('+')[0] for a in answers})} clips\n")
    print(f"{'policy':<22} {'delay mean':>10} {'delay p50':>9} {'cut (pause)':>12} {'cut (finished)':>15}")
    for label in policies:
        sel = [r for r in rows if r["policy"] == label]
        ok = [r["delay_s"] for r in sel if not r["cut"] and r["delay_s"] is not None]
        paused = [r for r in sel if r["kind"] == "pause"]
        finished = [r for r in sel if r["kind"] == "finished"]
        print(f"{label:<22} {np.mean(ok):>9.2f}s {np.median(ok):>8.2f}s "
              f"{sum(r['cut'] for r in paused) / len(paused):>11.0%} "
              f"{sum(r['cut'] for r in finished) / len(finished):>14.0%}")
        for language in ("en", "es"):
            lp = [r for r in paused if r["language"] == language]
            print(f"{'':<4}{language}: cut at pause {sum(r['cut'] for r in lp)}/{len(lp)}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
