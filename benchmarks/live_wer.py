"""Live (chunked) transcript against one whole-file pass, offline, on the natural-voice answers.

Each fluent answer of ``--split`` (tests/answer_sets.py) is fed block by block through the real
``Endpointer`` (silero VAD, Smart Turn, a rule that never ends the answer early: the 3 s pause
limit ends it) and the listener's chunking (``listener.settle_on``) into the real
``IncrementalTranscriber`` with Whisper base, at about 8× real time (chunks decode in the
background, as they do live); the answer's tail is transcribed by ``finish()``. The same audio is
then transcribed in one pass. Printed: the pooled WER of both against the text said (lowercase,
punctuation dropped). A quick way to try a chunking change before the microphone runs of
``turn_latency.py``; ``--set NAME=VALUE`` changes a constant of ``hearing.listener`` or
``hearing.incremental`` for the run (e.g. ``PAUSE_CHUNK_S=4``).

    .venv/bin/python benchmarks/live_wer.py --language en --split dev [--set NAME=VALUE ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

RATE, BLOCK = 16000, 512


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", text.lower())).strip()


def live(stt, models, audio: np.ndarray, language: str) -> str:
    from voice_interviewer.hearing import listener
    from voice_interviewer.hearing.endpoint import EndpointConfig, Endpointer
    from voice_interviewer.hearing.incremental import IncrementalTranscriber
    from voice_interviewer.hearing.turn_end import TurnEndRule

    vad, turn = models
    vad.reset()
    inc = IncrementalTranscriber(stt, language)
    ep = Endpointer(vad, turn, EndpointConfig(), text_check=inc.ending, rule=TurnEndRule(min_words=10**9))
    x = np.concatenate([np.zeros(RATE // 2, np.float32), audio, np.zeros(4 * RATE, np.float32)])
    for i in range(0, len(x) - BLOCK + 1, BLOCK):
        listener.settle_on(ep.feed(x[i:i + BLOCK]), ep, inc)
        time.sleep(0.004)
        if ep.done:
            break
    while inc.working:
        time.sleep(0.005)
    end = (ep.last_voiced_end or len(x)) + int(listener.TAIL_PAD_S * RATE)
    return inc.finish(ep.all_audio(), end).text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--language", default="en", choices=["en", "es"])
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--answers", type=int, help="only the first N answers")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                    help="a constant of hearing.listener or hearing.incremental for this run")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    import jiwer
    from answer_sets import answer_set

    from voice_interviewer.hearing import incremental, listener
    from voice_interviewer.hearing.endpoint import load_endpointer_models
    from voice_interviewer.hearing.whisper import WhisperTranscriber

    for item in args.set:
        name, value = item.split("=", 1)
        owners = [m for m in (listener, incremental) if hasattr(m, name)]
        if not owners:
            sys.exit(f"no constant {name} in hearing.listener or hearing.incremental")
        for module in owners:
            setattr(module, name, float(value))
    stt = WhisperTranscriber("base", progress=False)
    models = load_endpointer_models(progress=False)
    rows = []
    for answer in answer_set(args.language, "fluent", split=args.split, limit=args.answers):
        rows.append({"id": answer.id, "text": normalise(answer.text),
                     "live": normalise(live(stt, models, answer.audio, args.language)),
                     "whole_file": normalise(stt.transcribe(answer.audio, args.language, beam_size=5).text)})
    wer = {k: jiwer.wer([r["text"] for r in rows], [r[k] for r in rows]) for k in ("live", "whole_file")}
    print(f"{args.language} {args.split}, {len(rows)} fluent answers{' ' + ' '.join(args.set) if args.set else ''}: "
          f"WER live {wer['live']:.3f}, whole file {wer['whole_file']:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"wer": wer, "rows": rows}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
