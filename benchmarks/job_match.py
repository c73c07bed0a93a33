"""Seconds to choose questions for a job description (``practice --job``).

Steps, each timed on its own: loading the multilingual-e5 model; the bank's question vectors
with an empty vector store (the first ``--job`` run after installing or editing the bank) and
read back from the store by a fresh embedder (every later run); then the plan itself for the
sample job (its sentences embedded, matched and ordered), without and with the sample CV,
median of ``--repeat`` runs. The job's and CV's vectors are never cached, so every plan embeds
them again. ``--huge`` times the largest job read: a 260 kB file (the two sample jobs'
sentences, numbered so none repeats) cut to its first 200 kB and its first ``MAX_UNITS`` sentences.

  python benchmarks/job_match.py [--job tests/data/jobs/nlp-engineer.md] [--cv tests/data/jobs/cv-nlp.md] [--repeat 5] [--huge]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from voice_interviewer.bank import QuestionBank
from voice_interviewer.job_match import JobMatcher
from voice_interviewer.jobtext import read_document
from voice_interviewer.judging.embeddings import E5Embedder, VectorStore

ROOT = Path(__file__).resolve().parent.parent


def huge_job(path: Path, size: int = 260_000) -> Path:
    samples = [d.text for job in ("nlp-engineer.md", "vision-mlops-es.md")
               for d in read_document(ROOT / "tests/data/jobs" / job).lines]
    lines, n = [], 0
    while sum(len(line) + 1 for line in lines) < size:
        lines.append(f"- {samples[n % len(samples)]} (item {n + 1})")
        n += 1
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--job", type=Path, default=ROOT / "tests/data/jobs/nlp-engineer.md")
    ap.add_argument("--cv", type=Path, default=ROOT / "tests/data/jobs/cv-nlp.md")
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--huge", action="store_true", help="a 260 kB job description instead of --job")
    args = ap.parse_args()

    bank = list(QuestionBank.load().questions.values())
    with tempfile.TemporaryDirectory() as tmp:
        if args.huge:
            args.job = huge_job(Path(tmp) / "huge.md")
        job, cv = read_document(args.job), read_document(args.cv, "cv")
        store = Path(tmp) / "vectors.npz"
        t = time.perf_counter()
        embedder = E5Embedder(store=VectorStore(store))
        embedder.encode(["warm up"], "query")
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        JobMatcher(bank, embedder)
        cold_s = time.perf_counter() - t
        fresh = E5Embedder(store=VectorStore(store))  # a new process: vectors only on disk
        t = time.perf_counter()
        matcher = JobMatcher(bank, fresh)
        warm_s = time.perf_counter() - t
        size = args.job.stat().st_size

    def timed(with_cv: bool) -> list[float]:
        out = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            matcher.plan(job, bank, args.count, "en", cv if with_cv else None)
            out.append(time.perf_counter() - t)
        return out

    plain, with_cv = timed(False), timed(True)
    print(f"bank: {len(bank)} questions; job: {args.job.name}, {size} bytes, "
          f"{len(job.lines)} sentences; CV: {args.cv.name}, {len(cv.lines)} sentences; count {args.count}")
    print(f"model load                        {load_s:6.2f} s")
    print(f"bank vectors, empty store         {cold_s:6.2f} s")
    print(f"bank vectors, read from the store {warm_s:6.2f} s")
    print(f"plan, job only (median of {args.repeat})     {statistics.median(plain):6.3f} s  (max {max(plain):.3f})")
    print(f"plan, job + CV (median of {args.repeat})     {statistics.median(with_cv):6.3f} s  (max {max(with_cv):.3f})")


if __name__ == "__main__":
    main()
