"""What the second hearing of an answer changes: the transcript judged and its score.

Reads the ``--json`` files ``turn_latency.py --voice natural`` writes (one row per answer: the text
said, the live transcript, the saved one — the second hearing's when it read the answer otherwise —
and a whole-file pass without the question). For each, the WER against the text said and the
offline judge's score; the score of the text said is the reference, so the mean absolute gap is
what the transcript costs the judgement.

    .venv/bin/python benchmarks/second_hearing.py /tmp/fluent-en.json /tmp/fluent-es.json ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

KINDS = ("live", "saved", "whole_file")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", type=Path, help="turn_latency.py --json files")
    args = ap.parse_args()

    from natural_turns import wer as pooled_wer
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.judging.offline import OfflineJudge

    bank, judge = QuestionBank.load(), OfflineJudge()
    for path in args.results:
        rows = [r for r in json.loads(path.read_text())["rows"] if "whole_file" in r]
        if not rows:
            continue
        language = rows[0]["id"].split("/")[0]
        gaps: dict[str, list[float]] = {k: [] for k in KINDS}
        changed = 0
        for r in rows:
            question = bank.get(r["id"].split("/")[1].split(":")[0])
            ref = judge.judge(question, r["text"], language).score
            for k in KINDS:
                gaps[k].append(abs(judge.judge(question, r[k], language).score - ref))
            changed += r["live"] != r["saved"]
        wer = {k: pooled_wer([r["text"] for r in rows], [r[k] for r in rows]) for k in KINDS}  # as turn_latency.py
        print(f"{path.name}: {len(rows)} answers ({language}), {changed} heard otherwise the second time")
        for k in KINDS:
            g = sorted(gaps[k])
            print(f"  {k:10} WER {wer[k]:.3f}; |score - score of the text said| mean {sum(g) / len(g):.2f}, "
                  f"max {g[-1]:.2f}, over 1 point: {sum(x > 1 for x in g)}")


if __name__ == "__main__":
    main()
