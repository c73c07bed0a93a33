"""How well a scorer agrees with human graders.

Data sets:
  mohler   mohler.jsonl, not in the repository (where it comes from: README, Tests); give its
           path with --data PATH (``--data mohler``: ../shared/eval/mohler/mohler.jsonl).
           2,264 short answers to 79 data-structures questions, graded 0–5 by two humans
           (gold = their mean). Scored rubric-less, against the reference answer. Reported: Pearson and Spearman of the raw score,
           RMSE (and Pearson) after a linear map to 0–5 fitted leave-one-assignment-out.
  graded   benchmarks/data/graded_answers.jsonl: spoken-style answers to bank questions
           (es/en; paraphrases, keyword lists, off-topic, grader instructions), graded 0–10
           against the rubric. Reported: Spearman, Pearson, mean absolute error, means by kind.
  graded2  benchmarks/data/graded_v2/*.jsonl: the larger independent set (20 bank questions,
           es/en, confident-wrong answers among its kinds; benchmarks/data/GRADING.md). Each row
           carries its split ("dev" or "test"). Reported as for graded, per answer language too.

Calibration split (the judge's global constants were set on these only):
  mohler assignments 1 and 2 (``--split dev``) and, in the graded set, the questions
  bias-variance, regularization and imbalanced-data. ``--split test`` reports the rest.

Usage:
  python benchmarks/judge_agreement.py --data mohler [--scorer offline|llm|fusion]
         [--sample N --seed 42 | --limit N] [--split all|dev|test] [--out scores.jsonl]
``--sample N`` takes ``random.Random(seed).sample(rows sorted by id, N)`` (a fixed subset).
Timings are wall-clock on this machine (shared CPU: read them as upper bounds).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_interviewer.config import Settings  # noqa: E402
from voice_interviewer.judging.batch import make_scorer, score_lines  # noqa: E402
from voice_interviewer.judging.calibration import (  # noqa: E402
    grouped_linear_map,
    pearson,
    rmse,
    spearman,
)

MOHLER = ROOT.parent / "shared" / "eval" / "mohler" / "mohler.jsonl"
GRADED = ROOT / "benchmarks" / "data" / "graded_answers.jsonl"
GRADED2 = ROOT / "benchmarks" / "data" / "graded_v2"
DEV_ASSIGNMENTS = {"1", "2"}
DEV_QUESTIONS = {"bias-variance", "regularization", "imbalanced-data"}


def load(data: str) -> tuple[list[dict], str]:
    if data == "graded2":
        rows = [json.loads(line) for f in sorted(GRADED2.glob("*.jsonl"))
                for line in f.open(encoding="utf-8") if line.strip()]
        return rows, "graded"
    path = {"mohler": MOHLER, "graded": GRADED}.get(data, Path(data))
    if not path.is_file():
        sys.exit(f"error: {path}: no such file")
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    kind = "mohler" if "score" in rows[0] and "reference" in rows[0] else "graded"
    return rows, kind


def gold_of(row: dict) -> float:
    return float(row["score"] if "score" in row else row["grade"])


def group_of(row: dict, kind: str) -> str:
    return str(row["id"]).split(".")[0] if kind == "mohler" else row["question_id"]


def in_split(row: dict, kind: str, split: str) -> bool:
    if split == "all":
        return True
    if "split" in row:
        return row["split"] == split
    dev = group_of(row, kind) in (DEV_ASSIGNMENTS if kind == "mohler" else DEV_QUESTIONS)
    return dev if split == "dev" else not dev


def run(rows: list[dict], scorer: str, language: str) -> tuple[list[dict], list[float], float]:
    from voice_interviewer.bank import QuestionBank

    bank = QuestionBank.load()
    judge = make_scorer(scorer, Settings(), background=list(bank.questions.values()))
    t_load = time.perf_counter()
    list(score_lines([json.dumps({"id": "warm-up", "question": "warm up", "reference": "Load the model.",
                                  "answer": "loading the model"})], judge, bank, language))
    load_s = time.perf_counter() - t_load
    per_answer: list[float] = []
    results: list[dict] = []
    last = [time.perf_counter()]

    def tick(_row: dict) -> None:
        now = time.perf_counter()
        per_answer.append(now - last[0])
        last[0] = now

    lines = []
    for r in rows:
        item = {k: r[k] for k in ("id", "question", "reference", "question_id", "answer", "language") if k in r}
        lines.append(json.dumps(item, ensure_ascii=False))
    last[0] = time.perf_counter()
    for row in score_lines(lines, judge, bank, language, on_result=tick):
        results.append(row)
    return results, per_answer, load_s


def report(rows, results, per_answer, load_s, kind, args) -> dict:
    ok = [(r, s) for r, s in zip(rows, results) if "error" not in s]
    errors = len(rows) - len(ok)
    gold = [gold_of(r) for r, _ in ok]
    pred = [s["score"] for _, s in ok]
    out: dict = {"data": args.data, "scorer": args.scorer, "split": args.split, "n": len(ok), "errors": errors,
                 "pearson": round(pearson(pred, gold), 3), "spearman": round(spearman(pred, gold), 3)}
    if kind == "mohler":
        groups = [group_of(r, kind) for r, _ in ok]
        mapped = grouped_linear_map(pred, gold, groups, 0.0, 5.0)
        out["rmse_0_5_loao"] = round(rmse(mapped, gold), 3)
        out["pearson_loao_mapped"] = round(pearson(mapped, gold), 3)
        out["rmse_constant_mean"] = round(statistics.pstdev(gold), 3)
    else:
        out["mae_0_10"] = round(statistics.mean(abs(p - g) for p, g in zip(pred, gold)), 2)
        by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for (r, s) in ok:
            by_kind[r.get("kind", "?")].append((s["score"], gold_of(r)))
        out["by_kind"] = _by(ok, lambda r: r.get("kind", "?"))
        langs = sorted({r.get("answer_language") or r.get("language") or "?" for r, _ in ok})
        if len(langs) > 1:
            out["by_language"] = {}
            for lang in langs:
                sub = [(r, s) for r, s in ok if (r.get("answer_language") or r.get("language")) == lang]
                g, p = [gold_of(r) for r, _ in sub], [s["score"] for _, s in sub]
                out["by_language"][lang] = {"n": len(sub), "spearman": round(spearman(p, g), 3),
                                            "pearson": round(pearson(p, g), 3),
                                            "mae_0_10": round(statistics.mean(abs(a - b) for a, b in zip(p, g)), 2),
                                            "by_kind": _by(sub, lambda r: r.get("kind", "?"))}
    total = sum(per_answer)
    out["model_load_s"] = round(load_s, 2)
    out["run_s"] = round(total, 1)
    out["ms_per_answer_mean"] = round(1000 * total / max(1, len(per_answer)), 1)
    out["ms_per_answer_median"] = round(1000 * statistics.median(per_answer), 1) if per_answer else None
    return out


def _by(pairs, key) -> dict:
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r, s in pairs:
        groups[key(r)].append((s["score"], gold_of(r)))
    return {k: {"n": len(v), "mean_score": round(statistics.mean(p for p, _ in v), 2),
                "mean_grade": round(statistics.mean(g for _, g in v), 2)} for k, v in sorted(groups.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="mohler", help="mohler, graded, graded2 or a JSONL path")
    ap.add_argument("--scorer", default="offline", choices=["offline", "llm", "fusion"])
    ap.add_argument("--language", default="auto", choices=["es", "en", "auto"])
    ap.add_argument("--split", default="all", choices=["all", "dev", "test"])
    ap.add_argument("--limit", type=int, help="only the first N rows (after the split)")
    ap.add_argument("--sample", type=int, help="a fixed random subset of N rows (rows sorted by id)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, help="write per-answer results (with gold) as JSON lines")
    args = ap.parse_args(argv)

    rows, kind = load(args.data)
    rows = [r for r in rows if in_split(r, kind, args.split)]
    if args.sample:
        rows = random.Random(args.seed).sample(sorted(rows, key=lambda r: str(r["id"])), min(args.sample, len(rows)))
    if args.limit:
        rows = rows[: args.limit]
    print(f"scoring {len(rows)} answers from {args.data} with {args.scorer} ...", file=sys.stderr)
    results, per_answer, load_s = run(rows, args.scorer, args.language)
    summary = report(rows, results, per_answer, load_s, kind, args)
    if args.out:
        with args.out.open("w", encoding="utf-8") as f:
            for r, s in zip(rows, results):
                f.write(json.dumps({**s, "gold": gold_of(r)}, ensure_ascii=False) + "\n")
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
