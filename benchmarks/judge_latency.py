"""How long the live judgement takes once the transcript is ready (the candidate waits for it).

In a spoken interview the offline judge is warmed while the question is spoken (key points,
red flags, the bank background) and fed the answer so far at each pause (``prefetch``), so
when the answer ends only its last words are left. This replays that for the graded answers
of 40-160 words: warm, prefetch the first 80 % of the words, then time ``judge`` on the whole
answer. Reported: p50 / p95 / max milliseconds, per answer language.

  python benchmarks/judge_latency.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_interviewer.bank import QuestionBank  # noqa: E402
from voice_interviewer.config import Settings  # noqa: E402
from voice_interviewer.judging import make_offline_judge  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=200)
    args = ap.parse_args(argv)
    rows = [json.loads(x) for f in sorted((ROOT / "benchmarks" / "data" / "graded_v2").glob("*.jsonl"))
            for x in f.open(encoding="utf-8") if x.strip()]
    rows = [r for r in rows if 40 <= len(r["answer"].split()) <= 160][: args.limit]
    bank = QuestionBank.load()
    judge = make_offline_judge(Settings(), list(bank.questions.values()))
    by_lang: dict[str, list[float]] = {}
    for r in rows:
        q = bank.get(r["question_id"])
        judge.prefetch(q, "")  # while the question is spoken
        words = r["answer"].split()
        judge.prefetch(q, " ".join(words[: int(len(words) * 0.8)]))  # at the last pause
        t = time.perf_counter()
        judge.judge(q, r["answer"], r["language"])
        by_lang.setdefault(r.get("answer_language") or r["language"], []).append(1000 * (time.perf_counter() - t))
    out = {}
    for lang, ms in sorted(by_lang.items()):
        ms.sort()
        out[lang] = {"n": len(ms), "p50_ms": round(statistics.median(ms), 1),
                     "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
