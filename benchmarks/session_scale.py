"""How the many-session commands scale: ``sessions``, ``sessions --json``, ``progress --json``
and ``progress --html`` over N generated sessions, against the same command on an empty
recordings folder (start-up).

Each generated session looks like a real 5-question typed interview: 5 questions with one
follow-up each (10 turns), 3 key points per turn with evidence, feedback, delivery and timings
(~25 kB of session.json). The first run after generating builds the session index; the
numbers are the median of ``--repeat`` later runs (a warm index, as a user sees it).

Usage:
  python benchmarks/session_scale.py [--sessions 1000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_interviewer.session_index import INDEX_FILE  # noqa: E402
from voice_interviewer.schema import (  # noqa: E402
    DeliveryMetrics,
    KeyPointResult,
    Session,
    Summary,
    Timings,
    Turn,
)

QUESTIONS = [(f"question-{i:02d}", ("fundamentals", "practical", "system-design", "coding")[i % 4]) for i in range(40)]


def make_session(i: int, rng: random.Random, start: datetime) -> Session:
    s = Session(id=f"{(start + timedelta(hours=i)):%Y%m%d-%H%M%S}", language="en", mode="text", state="completed",
                started_at=start + timedelta(hours=i))
    for q in range(5):
        qid, cat = QUESTIONS[rng.randrange(len(QUESTIONS))]
        for follow in (False, True):
            idx = len(s.turns) + 1
            kps = [
                KeyPointResult(id=f"kp-{k}", statement=f"Key point {k} of {qid} stated in a full sentence",
                               verdict=rng.choice(("covered", "partly", "missing")),
                               evidence="the answer said something relevant here", similarity=rng.random())
                for k in range(3)
            ]
            t = Turn(index=idx, question_id=qid, category=cat, question_text=f"Explain {qid} and why it matters?",
                     is_follow_up=follow, follow_up_of=idx - 1 if follow else None,
                     answer=" ".join(["an answer about models data and validation"] * 12),
                     answer_language="en", score=round(rng.uniform(0, 10), 2), key_points=kps,
                     covered=[k.id for k in kps if k.verdict == "covered"],
                     missing=[k.id for k in kps if k.verdict == "missing"],
                     feedback="Mention the validation gap and give a concrete example. " * 3,
                     reaction="6 out of 10. You missed: the validation gap.", scorer="offline",
                     confidence=0.7,
                     delivery=DeliveryMetrics(words=84, duration_s=35.0, words_per_minute=144.0,
                                              fillers={"um": 2, "like": 1}, fillers_per_minute=5.1),
                     timings=Timings(question_start=10.0 * idx, listening_start=10.0 * idx + 2,
                                     endpoint=10.0 * idx + 8, judged=10.0 * idx + 8.5, wait=1.1))
            s.turns.append(t)
    s.finished_at = s.started_at + timedelta(minutes=12)
    s.summary = Summary(mean_score=s.mean_score(), answered=10)
    return s


def generate(root: Path, n: int) -> None:
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for i in range(n):
        s = make_session(i, rng, start)
        folder = root / s.id
        folder.mkdir(parents=True)
        (folder / "session.json").write_text(s.model_dump_json(indent=2), encoding="utf-8")


def timed(args: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "voice_interviewer", *args], capture_output=True,
                           stdin=subprocess.DEVNULL, cwd=ROOT)
        runs.append(time.perf_counter() - t0)
        if r.returncode:
            raise SystemExit(f"{args} failed: {r.stderr.decode(errors='replace')[-400:]}")
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    a = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    root = a.keep or Path(tmp.name) / "rec"
    empty = Path(tmp.name) / "empty"
    empty.mkdir()
    if not root.is_dir() or not any(root.iterdir()):
        t0 = time.perf_counter()
        generate(root, a.sessions)
        print(f"generated {a.sessions} sessions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    n = sum(1 for p in os.scandir(root) if p.is_dir())
    html = Path(tmp.name) / "progress.html"
    commands = {
        "sessions": ["sessions"],
        "sessions --json": ["sessions", "--json"],
        "progress --json": ["progress", "--json"],
        "progress --html": ["progress", "--html", str(html)],
    }
    print(f"{n} sessions, median of {a.repeat} runs (warm index); seconds")
    print(f"{'command':<18} {'empty':>7} {'N':>7} {'beyond':>7}")
    for name, args in commands.items():
        timed([*args, "--recordings-dir", str(root)], 1)  # builds the index
        base = timed([*args, "--recordings-dir", str(empty)], a.repeat)
        full = timed([*args, "--recordings-dir", str(root)], a.repeat)
        print(f"{name:<18} {base:7.2f} {full:7.2f} {full - base:7.2f}")
    index = root / INDEX_FILE
    index.unlink(missing_ok=True)
    cold = timed(["sessions", "--json", "--recordings-dir", str(root)], 1)
    print(f"{'cold index':<18} {'':>7} {cold:7.2f}   (sessions --json, every session file read once)")


if __name__ == "__main__":
    main()
