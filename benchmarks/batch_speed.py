"""Answers per second of ``voice-interviewer score --batch`` on spoken answers of 60–120 words.

The answers are the distinct answers of the graded sets (benchmarks/data) with 60–120 words,
each scored once (no answer repeats, so no cached vector helps). The command runs twice as a
child process: once with a single answer (start-up: Python, the bank, the embedding model) and
once with all of them; throughput is counted on the difference, and also end to end.

  python benchmarks/batch_speed.py [--scorer offline] [--limit N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"


def answers(lo: int = 60, hi: int = 120) -> list[dict]:
    files = [DATA / "graded_answers.jsonl", *sorted((DATA / "graded_v2").glob("*.jsonl"))]
    seen: set[str] = set()
    rows = []
    for f in files:
        for line in f.open(encoding="utf-8"):
            if not line.strip():
                continue
            r = json.loads(line)
            if lo <= len(r["answer"].split()) <= hi and r["answer"] not in seen:
                seen.add(r["answer"])
                rows.append({k: r[k] for k in ("id", "question_id", "answer", "language")})
    return rows


def run(path: Path, scorer: str) -> float:
    exe = ROOT / ".venv" / "bin" / "voice-interviewer"
    cmd = [str(exe) if exe.exists() else "voice-interviewer", "score", "--batch", str(path), "--scorer", scorer]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"score --batch failed: {out.stderr.strip()[-500:]}")
    bad = [line for line in out.stdout.splitlines() if '"error"' in line]
    if bad:
        sys.exit(f"{len(bad)} lines failed, e.g. {bad[0][:200]}")
    return dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scorer", default="offline")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    rows = answers()[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        one, full = Path(tmp) / "one.jsonl", Path(tmp) / "all.jsonl"
        one.write_text(json.dumps(rows[0], ensure_ascii=False) + "\n", encoding="utf-8")
        full.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        starts, totals = [], []
        for _ in range(args.repeat):
            starts.append(run(one, args.scorer))
            totals.append(run(full, args.scorer))
    start, total = statistics.median(starts), statistics.median(totals)
    words = statistics.mean(len(r["answer"].split()) for r in rows)
    print(json.dumps({
        "answers": len(rows), "mean_words": round(words, 1), "scorer": args.scorer, "cpus": os.cpu_count(),
        "start_up_s": round(start, 2), "total_s": round(total, 2),
        "answers_per_s_after_start_up": round((len(rows) - 1) / max(total - start, 1e-9), 1),
        "answers_per_s_end_to_end": round(len(rows) / total, 1),
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
