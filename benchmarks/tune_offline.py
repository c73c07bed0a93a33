"""Set the offline judge's global constants on the development split only.

Development data: Mohler assignments 1–2 (rubric-less, against the reference) and the rows of
the graded set ``benchmarks/data/graded_v2`` whose ``split`` is ``dev``. Each answer is read
once (``OfflineJudge.analyse``: embeddings, lexical evidence, wrong claims; cached in --cache),
then a grid over the constants is searched for the best objective:

    graded-dev Spearman − 0.02 × (points by which the per-kind means miss their goals:
    confident-wrong ≤ 2.5, paraphrase ≥ 7, off-topic ≤ 1, keyword-list ≤ 3,
    grader-instructions ≤ 2, excellent ≥ 8.5, filler ≤ 1)

for the bank's constants (``DEFAULT``), and Mohler-dev Pearson for the reference-answer constants
(``REFERENCE``, ``--reference``), whose questions have no evidence terms, restatements or red flags.

The test split is never read here. Prints the best constants as JSON (paste into
``voice_interviewer/judging/calibration.py``).

  python benchmarks/tune_offline.py [--reference] [--cache /tmp/offline-analyses.pkl]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import pickle
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from judge_agreement import DEV_ASSIGNMENTS, GRADED2, MOHLER  # noqa: E402

from voice_interviewer.bank import QuestionBank  # noqa: E402
from voice_interviewer.judging.calibration import DEFAULT, REFERENCE, pearson, spearman  # noqa: E402
from voice_interviewer.judging.offline import OfflineJudge  # noqa: E402
from voice_interviewer.judging.scoring import combine  # noqa: E402
from voice_interviewer.judging.reference import question_from_reference  # noqa: E402

GOALS = {  # kind: (direction, bound)
    "confident-wrong": ("<=", 2.5), "paraphrase": (">=", 7.0), "off-topic": ("<=", 1.0),
    "keyword-list": ("<=", 3.0), "grader-instructions": ("<=", 2.0), "excellent": (">=", 8.5),
    "filler": ("<=", 1.0),
}
PENALTY = 0.02


def dev_rows() -> tuple[list[dict], list[dict]]:
    mohler = [json.loads(x) for x in MOHLER.open(encoding="utf-8")]
    mohler = [r for r in mohler if r["id"].split(".")[0] in DEV_ASSIGNMENTS]
    graded = [json.loads(x) for f in sorted(GRADED2.glob("*.jsonl")) for x in f.open(encoding="utf-8") if x.strip()]
    return mohler, [r for r in graded if r.get("split") == "dev"]


def compute(cache: Path):
    mohler, graded = dev_rows()
    code = [ROOT / "voice_interviewer" / "judging" / n for n in ("offline.py", "claims.py", "lexical.py")]
    key = hashlib.sha256(json.dumps([mohler, graded]).encode() + b"".join(
        f.read_bytes() for f in [*sorted((ROOT / "questions").glob("*.yaml")), *code])).hexdigest()
    if cache.is_file():
        data = pickle.loads(cache.read_bytes())
        if data.get("key") == key:
            return data
    bank = QuestionBank.load()
    judge = OfflineJudge(background=list(bank.questions.values()), vector_store=Path("/tmp/e5-vectors.npz"))
    out = {"key": key, "mohler": [], "graded": []}
    for r in mohler:
        q = question_from_reference(r["question"], r["reference"])
        a = judge.analyse(q, r["answer"], "en")
        out["mohler"].append((a.signals, a.injection, r["score"], "mohler"))
    for r in graded:
        a = judge.analyse(bank.get(r["question_id"]), r["answer"], r["language"])
        out["graded"].append((a.signals, a.injection, r["grade"], r["kind"]))
    cache.write_bytes(pickle.dumps(out))
    return out


def scores(rows, cal) -> list[float]:
    return [combine(s, cal, inj).score if s is not None else 0.0 for s, inj, _, _ in rows]


def evaluate(data, cal, ref=None) -> dict:
    gs = scores(data["graded"], cal)
    out = {"mohler_pearson": pearson(scores(data["mohler"], ref or REFERENCE), [g for _, _, g, _ in data["mohler"]]),
           "graded_spearman": spearman(gs, [g for _, _, g, _ in data["graded"]])}
    miss = 0.0
    kinds: dict[str, list[float]] = {}
    for (_, _, _, kind), s in zip(data["graded"], gs):
        kinds.setdefault(kind, []).append(s)
    for kind, (op, bound) in GOALS.items():
        if kind in kinds:
            m = statistics.mean(kinds[kind])
            miss += max(0.0, m - bound) if op == "<=" else max(0.0, bound - m)
    out["kind_means"] = {k: round(statistics.mean(v), 2) for k, v in sorted(kinds.items())}
    out["goal_miss"] = miss
    out["objective"] = out["graded_spearman"] - PENALTY * miss
    return out


GRID = {
    "sem_lo": [0.80, 0.83],
    "sem_hi": [0.92, 0.94],
    "kp_sem_weight": [0.3, 0.5],
    "lex_terms_full": [2.0, 3.0],
    "recall_boost": [1.5, 2.0],
    "kp_sem_alone": [0.6, 0.8, 1.0],
    "credit_floor": [0.0, 0.2, 0.3, 0.4],
    "coverage_weight": [0.85, 1.0],
    "wrong_penalty": [3.0],
    "wrong_cap_one": [2.0, 2.5],
    "wrong_cap": [1.0, 1.5],
    "off_topic_cap": [1.0],
    "off_topic_margin": [-0.02],
    "injection_cap": [2.0],
}


REFERENCE_GRID = {
    "sem_lo": [0.78, 0.80, 0.83], "sem_hi": [0.90, 0.92, 0.94], "kp_sem_weight": [0.3, 0.5, 0.7],
    "kp_sem_alone": [0.0, 0.6, 0.8], "credit_floor": [0.0, 0.1, 0.2], "coverage_weight": [0.6, 0.85, 1.0],
    "recall_boost": [1.5, 2.0, 3.0],
}


def tune_reference(data) -> int:
    best = (-9.0, None)
    for values in itertools.product(*REFERENCE_GRID.values()):
        upd = dict(zip(REFERENCE_GRID, values))
        if upd["sem_hi"] <= upd["sem_lo"] + 0.05:
            continue
        upd["kp_lex_weight"] = round(1 - upd["kp_sem_weight"], 2)
        upd["global_weight"] = round(1 - upd["coverage_weight"], 2)
        m = evaluate(data, DEFAULT, ref=DEFAULT.model_copy(update=upd))["mohler_pearson"]
        if m > best[0]:
            best = (m, upd)
    print(f"best Mohler-dev Pearson {best[0]:.3f}", file=sys.stderr)
    print(json.dumps(best[1]))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=Path("/tmp/offline-analyses.pkl"))
    ap.add_argument("--reference", action="store_true", help="tune REFERENCE on Mohler assignments 1-2")
    args = ap.parse_args()
    data = compute(args.cache)
    if args.reference:
        return tune_reference(data)
    print(f"dev: {len(data['mohler'])} Mohler answers, {len(data['graded'])} graded answers", file=sys.stderr)
    base = evaluate(data, DEFAULT)
    print(f"current constants: {json.dumps(base)}", file=sys.stderr)
    best = (-9.0, None, None)
    for values in itertools.product(*GRID.values()):
        upd = dict(zip(GRID, values))
        if upd["sem_hi"] <= upd["sem_lo"] + 0.03:
            continue
        upd["kp_lex_weight"] = round(1 - upd["kp_sem_weight"], 2)
        upd["global_weight"] = round(1 - upd["coverage_weight"], 2)
        res = evaluate(data, DEFAULT.model_copy(update=upd))
        if res["objective"] > best[0]:
            best = (res["objective"], upd, res)
    print(f"best: {json.dumps(best[2])}", file=sys.stderr)
    print(json.dumps(best[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
