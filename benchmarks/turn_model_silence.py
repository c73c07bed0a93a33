"""Does the turn model hear an answer's end better after more silence? Smart Turn v3's probability
at the end of each natural-voice fluent answer and at the inserted pause of each thinking and
sentence-pause answer (tests/answer_sets.py), read with 0.2 s (what the endpointer does,
``EndpointConfig.check_after_s``), 0.6 s and 1.2 s of the silence after the last word in its window.

Printed per language and silence: the AUC of end against pause (higher: the probability tells them
apart better), and the share of ends, of thinking pauses and of all pauses at 0.9 or more (the
floor of the sooner end, ``turn_end.RESUMABLE_FLOOR``).

    .venv/bin/python benchmarks/turn_model_silence.py [--split dev|test]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

RATE = 16000
WINDOW_S = 8  # the last seconds the turn model hears (Endpointer._turn_audio)
SILENCES = (0.2, 0.6, 1.2)
FLOOR = 0.9


def probability(turn, audio: np.ndarray, at: float, silence: float) -> float:
    end = int((at + silence) * RATE)
    x = audio[:end]
    if len(x) < end:
        x = np.concatenate([x, np.zeros(end - len(x), np.float32)])
    return turn.probability(x[max(0, end - WINDOW_S * RATE):])


def auc(pos: list[float], neg: list[float]) -> float:
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))


def main() -> None:
    from answer_sets import answer_set
    from voice_interviewer.hearing.endpoint import load_endpointer_models

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    args = ap.parse_args()
    _, turn = load_endpointer_models(progress=False)
    for language in ("en", "es"):
        ends = [[probability(turn, a.audio, a.speech_end, s) for s in SILENCES]
                for a in answer_set(language, "fluent", split=args.split)]
        pauses = {kind: [[probability(turn, a.audio, a.pauses[-1].start, s) for s in SILENCES]
                         for a in answer_set(language, kind, split=args.split)]
                  for kind in ("thinking", "sentence_pause")}
        for i, s in enumerate(SILENCES):
            e = [p[i] for p in ends]
            thinking = [p[i] for p in pauses["thinking"]]
            every = thinking + [p[i] for p in pauses["sentence_pause"]]
            print(f"{language} {args.split}, {s} s of silence: AUC end vs pause {auc(e, every):.2f}; "
                  f"at {FLOOR} or more: ends {np.mean(np.array(e) >= FLOOR):.2f}, thinking pauses "
                  f"{np.mean(np.array(thinking) >= FLOOR):.2f}, all pauses {np.mean(np.array(every) >= FLOOR):.2f} "
                  f"(n = {len(e)} / {len(every)})")


if __name__ == "__main__":
    main()
