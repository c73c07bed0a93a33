"""Follow-up wording by a local LLM: how often it passes the guard, and how long it takes.

For N bank questions (the first by id of each category, in turn), in English and Spanish, a short weak answer
(the question's first key point only, paraphrased by its evidence terms) is judged with the
probability method; the most important missing key point is picked in code and the model
words a follow-up. Printed per case: the source (llm, or bank after a rejection), the reason
for a rejection, the wording and the seconds; then totals as JSON on stdout.

Usage: python benchmarks/llm_follow_ups.py --llm-model qwen2.5-coder-1.5b --questions 6
Timings are wall-clock on a shared CPU: read them as upper bounds.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_interviewer.bank import QuestionBank  # noqa: E402
from voice_interviewer.config import Settings  # noqa: E402
from voice_interviewer.judging.llm import LLMJudge  # noqa: E402
from voice_interviewer.judging.llm_client import Endpoint  # noqa: E402
from voice_interviewer.judging.offline import OfflineJudge  # noqa: E402
from voice_interviewer.judging.llm_server import LocalLLMServer, choose_threads, resolve_gguf  # noqa: E402


def weak_answer(question, lang: str) -> str:
    kp = question.rubric[0]
    terms = (kp.evidence.es if lang == "es" else kp.evidence.en)[:3]
    lead = "Creo que tiene que ver con" if lang == "es" else "I think it is about"
    return f"{lead} {', '.join(terms)}." if terms else kp.statement.get(lang)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--llm-model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--questions", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args(argv)

    settings = Settings()
    by_cat: dict[str, list] = collections.defaultdict(list)
    for q in sorted(QuestionBank.load().questions.values(), key=lambda q: q.id):
        by_cat[q.category].append(q)
    mixed = [q for group in zip(*by_cat.values()) for q in group]  # one per category in turn
    questions = mixed[: args.questions]
    gguf = resolve_gguf(args.llm_model, settings.models_dir)
    server = LocalLLMServer(gguf, threads=args.threads or choose_threads(settings.llm_threads))
    server.start()
    endpoint = Endpoint.from_settings(settings.model_copy(update={"openai_base_url": server.base_url,
                                                                   "llm_timeout": 300.0, "llm_retries": 0}))
    judge = LLMJudge(endpoint, OfflineJudge(), method="probs")
    counts: collections.Counter = collections.Counter()
    seconds = []
    try:
        for q in questions:
            for lang in ("en", "es"):
                t = time.perf_counter()
                j = judge.judge(q, weak_answer(q, lang), lang)
                dt = time.perf_counter() - t
                seconds.append(dt)
                src = j.details.get("follow_up_source") or "none"
                counts[src] += 1
                why = next((n for n in j.notes if "follow-up rejected" in n), "")
                print(f"[{q.id} {lang}] {src:5s} {dt:5.1f}s {j.follow_up_key_point}: {j.follow_up}"
                      + (f"   ({why})" if why else ""), file=sys.stderr)
    finally:
        server.stop()
    print(json.dumps({"model": gguf.name, "cases": len(seconds), "sources": dict(counts),
                      "s_per_judgement_with_follow_up": round(sum(seconds) / max(1, len(seconds)), 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
