"""Set the offline judge's global constants on the development split only.

Development split: Mohler assignments 1–2 (rubric-less, against the reference) and the
graded-set questions bias-variance, regularization and imbalanced-data. The raw signals of
each answer are computed once (cached in --cache), then a small grid over the constants
is searched for the best mean of (Mohler-dev Pearson, graded-dev Spearman). The test
splits are never read here. Prints the best constants as JSON (paste into
``voice_interviewer/judging/calibration.py``).

  python benchmarks/tune_offline.py [--cache /tmp/offline-signals.pkl]
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from judge_agreement import DEV_ASSIGNMENTS, DEV_QUESTIONS, GRADED, MOHLER  # noqa: E402

from voice_interviewer.bank import QuestionBank  # noqa: E402
from voice_interviewer.judging import lexical as lx  # noqa: E402
from voice_interviewer.judging.calibration import DEFAULT, pearson, spearman  # noqa: E402
from voice_interviewer.judging.guards import find_injections, remove_spans  # noqa: E402
from voice_interviewer.judging.offline import MIN_CONTENT_WORDS, OfflineJudge, combine  # noqa: E402
from voice_interviewer.judging.reference import question_from_reference  # noqa: E402


def dev_rows() -> tuple[list[dict], list[dict]]:
    mohler = [json.loads(x) for x in MOHLER.open(encoding="utf-8")]
    mohler = [r for r in mohler if r["id"].split(".")[0] in DEV_ASSIGNMENTS]
    graded = [json.loads(x) for x in GRADED.open(encoding="utf-8")]
    graded = [r for r in graded if r["question_id"] in DEV_QUESTIONS]
    return mohler, graded


def signals_for(judge: OfflineJudge, question, answer: str):
    spans = find_injections(answer)
    tokens = lx.tokenize(remove_spans(answer, spans))
    if len({t.stem for t in tokens if t.content}) < MIN_CONTENT_WORDS:
        return None, bool(spans)
    return judge.signals(question, remove_spans(answer, spans), tokens), bool(spans)


def compute(cache: Path):
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    judge, bank = OfflineJudge(), QuestionBank.load()
    mohler, graded = dev_rows()
    out = {"mohler": [], "graded": []}
    for r in mohler:
        q = question_from_reference(r["question"], r["reference"])
        out["mohler"].append((signals_for(judge, q, r["answer"]), r["score"]))
    for r in graded:
        out["graded"].append((signals_for(judge, bank.get(r["question_id"]), r["answer"]), r["grade"]))
    cache.write_bytes(pickle.dumps(out))
    return out


def evaluate(data, cal) -> tuple[float, float]:
    def scores(rows):
        return [combine(s, cal, inj).score if s is not None else 0.0 for (s, inj), _ in rows]

    m = pearson(scores(data["mohler"]), [g for _, g in data["mohler"]])
    g = spearman(scores(data["graded"]), [g for _, g in data["graded"]])
    return m, g


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=Path("/tmp/offline-signals.pkl"))
    args = ap.parse_args()
    data = compute(args.cache)
    print(f"dev: {len(data['mohler'])} Mohler answers, {len(data['graded'])} graded answers", file=sys.stderr)
    base = evaluate(data, DEFAULT)
    print(f"current constants: Mohler-dev Pearson {base[0]:.3f}, graded-dev Spearman {base[1]:.3f}", file=sys.stderr)
    grid = {
        "sem_lo": [0.80, 0.83, 0.85, 0.87],
        "sem_hi": [0.90, 0.92, 0.94],
        "kp_sem_weight": [0.3, 0.45, 0.6, 0.75],
        "coverage_weight": [0.5, 0.7, 0.85, 1.0],
    }
    best = (-1.0, None, None)
    for values in itertools.product(*grid.values()):
        upd = dict(zip(grid, values))
        if upd["sem_hi"] <= upd["sem_lo"] + 0.03:
            continue
        upd["kp_lex_weight"] = round(1 - upd["kp_sem_weight"], 2)
        upd["global_weight"] = round(1 - upd["coverage_weight"], 2)
        cal = DEFAULT.model_copy(update=upd)
        m, g = evaluate(data, cal)
        if (m + g) / 2 > best[0]:
            best = ((m + g) / 2, upd, (m, g))
    print(f"best: Mohler-dev Pearson {best[2][0]:.3f}, graded-dev Spearman {best[2][1]:.3f}", file=sys.stderr)
    print(json.dumps(best[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
