"""Offline judge vs local LLM vs their fusion, against human grades, in one run.

For each answer of a fixed Mohler subset (``random.Random(seed).sample(rows sorted by id, N)``,
as in judge_agreement.py) the offline judge scores it, and a local llama.cpp server scores it
with the small-model method (one token under the grammar ``[0-5]``; the score is the expected
value over the digits' probabilities). Fusion = ``w·llm + (1−w)·offline`` on 0–10, with the
judge's fixed w = 0.5 (a weight sweep is printed too, marked in-sample). Reported: Pearson and
Spearman vs the human mean grade, seconds per answer for each part, and the share of answers
where the LLM fell back. ``--minutes`` stops early (the first k of the fixed subset are then
reported, and k is said).

Usage:
  python benchmarks/llm_agreement.py --llm-model qwen2.5-coder-1.5b --sample 300 --minutes 20 \
      [--split test] [--threads N] [--out per_answer.jsonl]
Timings are wall-clock on a shared CPU: read them as upper bounds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from judge_agreement import gold_of, in_split, load  # noqa: E402

from voice_interviewer.bank import QuestionBank  # noqa: E402
from voice_interviewer.config import Settings  # noqa: E402
from voice_interviewer.judging.calibration import pearson, spearman  # noqa: E402
from voice_interviewer.judging.llm import CAPPED_FLAGS, FUSION_WEIGHT, LLMJudge, fuse_scores  # noqa: E402
from voice_interviewer.judging.llm_client import Endpoint  # noqa: E402
from voice_interviewer.judging.offline import OfflineJudge  # noqa: E402
from voice_interviewer.judging.reference import question_from_reference  # noqa: E402
from voice_interviewer.judging.llm_server import LocalLLMServer, choose_threads, resolve_gguf  # noqa: E402


class TimedJudge:
    """Wraps the offline judge to time it (the LLM judge calls it as its fallback)."""

    name = "offline"

    def __init__(self, inner):
        self.inner, self.seconds = inner, []

    def judge(self, question, answer, language):
        t0 = time.perf_counter()
        try:
            return self.inner.judge(question, answer, language)
        finally:
            self.seconds.append(time.perf_counter() - t0)


def _qkey(row: dict) -> str:
    return row.get("question_id") or row["question"]


def corr(pred: list[float], gold: list[float]) -> dict:
    return {"pearson": round(pearson(pred, gold), 3), "spearman": round(spearman(pred, gold), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="mohler", help="mohler, graded (our bank answers, 0-10) or a JSONL path")
    ap.add_argument("--llm-model", default="qwen2.5-coder-1.5b", help="GGUF path or known model name")
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--split", default="all", choices=["all", "dev", "test"])
    ap.add_argument("--minutes", type=float, default=20.0, help="stop after this long (fixed order)")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: idle cores)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)

    rows, kind = load(args.data)
    rows = [r for r in rows if in_split(r, kind, args.split)]
    rows = random.Random(args.seed).sample(sorted(rows, key=lambda r: str(r["id"])), min(args.sample, len(rows)))
    # same subset, answers to one question next to each other (in order of first appearance), so the
    # server's prompt cache reuses the question + reference prefix; a --minutes cut keeps whole questions
    first: dict[str, int] = {}
    for i, r in enumerate(rows):
        first.setdefault(_qkey(r), i)
    rows.sort(key=lambda r: first[_qkey(r)])
    bank = QuestionBank.load() if kind == "graded" else None
    settings = Settings()
    gguf = resolve_gguf(args.llm_model, settings.models_dir)
    server = LocalLLMServer(gguf, threads=args.threads or choose_threads(settings.llm_threads), n_ctx=4096)
    t0 = time.perf_counter()
    server.start()
    startup = time.perf_counter() - t0
    print(f"{gguf.name}: ready in {startup:.1f} s, {server.threads} thread(s); scoring up to {len(rows)} answers",
          file=sys.stderr)
    offline = TimedJudge(OfflineJudge(background=list(bank.questions.values()) if bank else (),
                                      vector_store=settings.models_dir / "e5-vectors.npz"))
    endpoint = Endpoint.from_settings(settings.model_copy(update={"openai_base_url": server.base_url,
                                                                   "llm_timeout": 300.0, "llm_retries": 0}))
    judge = LLMJudge(endpoint, offline, method="probs", fuse=False, follow_ups=False)
    results: list[dict] = []
    deadline = time.perf_counter() + 60 * args.minutes
    try:
        judge.judge(question_from_reference("warm up", "Load the model."), "loading", "en")
        offline.seconds.clear()
        for i, r in enumerate(rows):
            if time.perf_counter() > deadline:
                break
            q = bank.get(r["question_id"]) if bank else question_from_reference(r["question"], r["reference"])
            t = time.perf_counter()
            j = judge.judge(q, r["answer"], r.get("language") or "en")
            total = time.perf_counter() - t
            results.append({"id": r["id"], "gold": gold_of(r), "offline": j.offline_score,
                            "llm": j.details.get("llm_score"), "scorer": j.scorer, "total_s": round(total, 3),
                            "kind": r.get("kind"), "language": r.get("answer_language") or r.get("language"),
                            "wrong_claim": bool(j.wrong_claims) or bool((CAPPED_FLAGS | {"injection"}) & set(j.details.get("flags") or [])),
                            "offline_s": round(offline.seconds[-1], 3), "notes": j.notes})
            if (i + 1) % 10 == 0:
                print(f"  {i + 1} answers, {total:.1f} s for the last", file=sys.stderr)
    finally:
        server.stop()
    ok = [x for x in results if x["llm"] is not None]
    gold = [x["gold"] for x in ok]
    off = [x["offline"] for x in ok]
    llm = [x["llm"] for x in ok]
    w = FUSION_WEIGHT
    # what the product reports: a wrong claim or a cap (off-topic, filler, keyword list) the offline judge
    # found bounds the LLM's and the fused score
    guard = [x["wrong_claim"] for x in ok]
    llm_g = [min(a, b) if g else a for a, b, g in zip(llm, off, guard)]
    fused_g = [min(fuse_scores(a, b, w), b) if g else fuse_scores(a, b, w) for a, b, g in zip(llm, off, guard)]
    by_kind: dict[str, dict] = {}
    for kind_name in sorted({x["kind"] for x in ok if x["kind"]}):
        idx = [i for i, x in enumerate(ok) if x["kind"] == kind_name]
        by_kind[kind_name] = {"n": len(idx), "grade": round(statistics.mean(gold[i] for i in idx), 2),
                              "offline": round(statistics.mean(off[i] for i in idx), 2),
                              "llm": round(statistics.mean(llm_g[i] for i in idx), 2),
                              "fusion": round(statistics.mean(fused_g[i] for i in idx), 2)}
    by_language = {lang: {name: corr([v[i] for i in idx], [gold[i] for i in idx])["spearman"]
                          for name, v in (("offline", off), ("llm", llm_g), ("fusion", fused_g))}
                   for lang in sorted({x["language"] for x in ok if x["language"]})
                   for idx in [[i for i, x in enumerate(ok) if x["language"] == lang]]}
    summary = {
        "data": args.data, "split": args.split, "subset": f"random.Random({args.seed}).sample(sorted rows, {args.sample})",
        "n_scored": len(results), "n_llm_ok": len(ok), "llm_fallbacks": len(results) - len(ok),
        "model": gguf.name, "threads": server.threads, "server_start_s": round(startup, 1),
        "offline": corr(off, gold), "llm_probs": corr(llm, gold), "llm_guarded": corr(llm_g, gold),
        f"fusion_w{w}": corr([fuse_scores(a, b, w) for a, b in zip(llm, off)], gold),
        f"fusion_w{w}_guarded": corr(fused_g, gold),
        "spearman_by_language_guarded": by_language, "means_by_kind_guarded": by_kind,
        "sweep_in_sample": {str(k / 10): corr([fuse_scores(a, b, k / 10) for a, b in zip(llm, off)], gold)["pearson"]
                            for k in range(0, 11)},
        "s_per_answer": {
            "offline_mean": round(statistics.mean(x["offline_s"] for x in results), 3) if results else None,
            "llm_mean": round(statistics.mean(x["total_s"] - x["offline_s"] for x in results), 3) if results else None,
            "llm_median": round(statistics.median(x["total_s"] - x["offline_s"] for x in results), 3) if results else None,
        },
    }
    if args.out:
        with args.out.open("w", encoding="utf-8") as f:
            for x in results:
                f.write(json.dumps(x, ensure_ascii=False) + "\n")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
