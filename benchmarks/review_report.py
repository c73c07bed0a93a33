"""Size and build time of the self-contained HTML report, per minute of recorded answers.

Builds a session of N turns whose answers are real speech (``tests/data/speech/jfk.flac``,
11 s, 16 kHz, repeated to the answer length) and whose questions are espeak-ng clips, then
renders the report with embedded Ogg/Opus audio and with linked WAV files. Prints WAV bytes,
report bytes, kB per minute of audio and render seconds.

Usage:
  python benchmarks/review_report.py [--turns 5] [--answer-seconds 60] [--json out.json]
Timings are wall-clock on this machine; on a shared CPU read them as upper bounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "tests" / "data" / "speech" / "jfk.flac"
sys.path.insert(0, str(ROOT))

from voice_interviewer.schema import DeliveryMetrics, KeyPointResult, Session, Turn  # noqa: E402
from voice_interviewer.review.report import write_report  # noqa: E402
from voice_interviewer.store import SessionStore  # noqa: E402


def build(root: Path, turns: int, seconds: float) -> tuple[str, int, float]:
    store = SessionStore(root)
    session = Session(id="bench", mode="voice", language="en", state="completed")
    folder = store.create(session)
    speech, rate = sf.read(str(SPEECH), dtype="float32")
    answer = np.tile(speech, int(np.ceil(seconds * rate / len(speech))))[: int(seconds * rate)]
    wav_bytes, audio_s = 0, 0.0
    for i in range(1, turns + 1):
        sf.write(str(folder / f"turn-{i:02d}.wav"), answer, rate, subtype="PCM_16")
        subprocess.run(["espeak-ng", "-w", str(folder / f"turn-{i:02d}-question.wav"),
                        f"Question {i}: how would you evaluate a ranking model?"], check=True)
        for name in (f"turn-{i:02d}.wav", f"turn-{i:02d}-question.wav"):
            wav_bytes += (folder / name).stat().st_size
            audio_s += sf.info(str(folder / name)).duration
        session.turns.append(Turn(
            index=i, question_id=f"q{i}", category="fundamentals", question_text=f"Question {i}",
            answer="And so my fellow Americans, ask not what your country can do for you. " * int(seconds / 5),
            audio_file=f"turn-{i:02d}.wav", question_audio_file=f"turn-{i:02d}-question.wav", score=6.0,
            key_points=[KeyPointResult(id="kp", statement="s", verdict="covered", evidence="your country")],
            delivery=DeliveryMetrics(words=int(seconds * 2.5), duration_s=seconds, words_per_minute=150),
        ))
    store.save(session)
    return session.id, wav_bytes, audio_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=5)
    ap.add_argument("--answer-seconds", type=float, default=60.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sid, wav_bytes, audio_s = build(root, args.turns, args.answer_seconds)
        store = SessionStore(root)
        results = {"turns": args.turns, "answer_seconds": args.answer_seconds,
                   "audio_minutes": round(audio_s / 60, 2), "wav_bytes": wav_bytes}
        for mode, link in (("embedded", False), ("linked", True)):
            t0 = time.perf_counter()
            out = write_report(store, sid, root / f"{mode}.html", link_audio=link)
            results[f"{mode}_seconds"] = round(time.perf_counter() - t0, 2)
            results[f"{mode}_bytes"] = out.stat().st_size
        results["embedded_kB_per_audio_minute"] = round(results["embedded_bytes"] / 1024 / (audio_s / 60), 1)
        results["wav_kB_per_audio_minute"] = round(wav_bytes / 1024 / (audio_s / 60), 1)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
