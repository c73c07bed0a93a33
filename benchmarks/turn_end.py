"""The combined end-of-answer decision (hearing/turn_end.py) against the turn model + text alone.

Each answer is fed block by block through the real ``Endpointer`` (silero VAD, Smart Turn v3, real
Whisper base chunks cut as the listener cuts them; the decision waits for the transcript up to the
pause, whose decode time on this CPU is counted from the silence it started in, as in
benchmarks/endpointing.py). Two policies:

- old: the endpointer without a rule (``end_rule`` false): a quick end at turn probability
  >= 0.95 with a finished-reading text after 0.4 s, else the 3 s pause limit;
- combined: ``TurnEndRule`` with its defaults: the turn probability, the text check, the rubric
  coverage of the words so far (the offline judge's, for the question the answer is to) and the
  answer's length against the bank's model answer.

Printed per language: the end delay (last voiced block to the decision, plus the time the model
calls of the last pause took: turn model, rubric coverage; earlier pauses' calls are caught up
with while speech goes on) p50/p95 over the answers that end, and the share of answers cut before
speech that was still to come, per kind. ``--natural --split dev|test`` runs the natural-voice answer sets
(tests/answer_sets.py: fluent, thinking, sentence_pause; ``--kinds`` adds closer, resume).

``--fit`` (with ``--natural --split dev``) also runs each answer with a rule that never ends it
(``recorder``), to read the signals at every pause, and searches the rule's parameters on them
(``GRID``): no thinking or sentence-pause answer may be cut; among those, the lowest fluent p95,
then p50, with the more cautious thresholds preferred on ties (the simulation and the fit are in
``turn_end_fit.py``).

    .venv/bin/python benchmarks/turn_end.py --natural --split dev [--fit] [--json out.json]
    .venv/bin/python benchmarks/turn_end.py --report en.json es.json [--fit]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from turn_end_fit import SLOW_S, ablate, fit, pct, resumable  # noqa: E402

RATE = 16000
BLOCK = 512
LEAD = RATE // 2
TRAIL_S = 4.0
CUT_MARGIN_S = 0.3  # the VAD lets go of a soft last syllable up to this early
# the listener's end before the rule: quick at turn probability 0.95 and a finished text after 0.4 s
OLD_CONFIG_ARGS = {"end_silence_s": 0.4, "turn_threshold": 0.95}


@dataclass
class Item:
    name: str
    language: str
    kind: str
    audio: np.ndarray
    must_hear: int | None  # sample of the speech after the pause (None: the answer is whole)
    question_id: str | None = None
    finished: bool = True  # the answer ends where a sentence ends (else waiting is right)


def natural_items(split: str, kinds: list[str], languages: list[str]) -> list[Item]:
    """The natural-voice answers of ``split`` as ``kinds``; an answer is cut when the endpointer
    stopped hearing it more than ``CUT_MARGIN_S`` before its last word ends."""
    from answer_sets import answer_set

    out = []
    for language in languages:
        for kind in kinds:
            for a in answer_set(language, kind, split=split):
                must = int((a.speech_end - CUT_MARGIN_S) * RATE)
                out.append(Item(a.id, language, kind, a.audio, must, a.question_id))
    return out


class ReplayingTranscriber:
    """Whisper, with each decode kept: the same chunk decoded again for another policy's run comes
    back at once, and the seconds its first decode took are added to ``replayed_s``, which the run
    counts as if it had waited for them. Every policy then reads the same words, and a run costs
    only the decodes that no earlier run made."""

    def __init__(self, stt):
        self.stt = stt
        self.replayed_s = 0.0
        self._kept: dict = {}
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self.stt, name)

    def _call(self, method: str, audio, *args, **kwargs):
        key = (method, hashlib.sha1(np.ascontiguousarray(audio).tobytes()).hexdigest(), args,
               tuple(sorted(kwargs.items())))
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self.replayed_s += kept[1]
                return kept[0]
        t = time.perf_counter()
        out = getattr(self.stt, method)(audio, *args, **kwargs)
        with self._lock:
            self._kept[key] = (out, time.perf_counter() - t)
        return out

    def detect_language(self, audio):
        return self._call("detect_language", audio)

    def transcribe(self, audio, *args, **kwargs):
        return self._call("transcribe", audio, *args, **kwargs)


def recorder():
    """A rule that never ends an answer: the endpointer reads every pause's signals for the fit."""
    from voice_interviewer.hearing.turn_end import TurnEndRule

    return TurnEndRule(min_words=10**9)


def level_fall(audio: np.ndarray, speech_start: int, end: int) -> float | None:
    """Prosody at a pause: the level (dB) of the last 0.3 s of speech against the median of the
    answer's voiced 30 ms frames so far (a falling voice ends lower)."""
    frame = int(0.03 * RATE)
    x = audio[speech_start:end]
    n = len(x) // frame
    if n < 12:
        return None
    db = 10 * np.log10(np.mean(x[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1) + 1e-10)
    voiced = db > db.max() - 30
    last = slice(n - 10, n)
    if not voiced[last].any():
        return None
    return round(float(np.median(db[last][voiced[last]]) - np.median(db[voiced])), 2)


def run(models, stt, item: Item, rule, coverage, expected: int | None, config) -> dict:
    """Feed one answer; returns its row: end, delay, cut, and the signals read at each pause."""
    from voice_interviewer.hearing.endpoint import Endpointer
    from voice_interviewer.hearing.incremental import IncrementalTranscriber
    from voice_interviewer.hearing.listener import progress_reader, settle_on
    from voice_interviewer.ports import AnswerRequest

    vad, turn = models
    inc = IncrementalTranscriber(stt, item.language)
    request = AnswerRequest(turn=1, question_id=item.question_id or "", language=item.language,
                            session_dir=Path("."), audio_name="-", expected_words=expected,
                            coverage=coverage)
    ep = Endpointer(vad, turn, config, text_check=inc.ending,
                    rule=rule, progress_check=progress_reader(inc, request))
    x = np.concatenate([np.zeros(LEAD, np.float32), item.audio, np.zeros(int(TRAIL_S * RATE), np.float32)])
    model_time, ready_at, pauses = 0.0, None, []
    for i in range(0, len(x) - BLOCK + 1, BLOCK):
        t, predicted, read = time.perf_counter(), len(ep.turn_probabilities), len(ep.pause_features)
        events = ep.feed(x[i:i + BLOCK])
        if any(e.kind == "resume" for e in events):
            model_time = 0.0  # calls at earlier pauses were caught up with while speech went on
        if len(ep.turn_probabilities) > predicted or len(ep.pause_features) > read:
            model_time += time.perf_counter() - t  # the decision waited for this call
        settle_on(events, ep, inc)
        t, replayed = time.perf_counter(), getattr(stt, "replayed_s", 0.0)
        while inc.working:  # as if transcription kept pace
            time.sleep(0.005)
        waited = time.perf_counter() - t + getattr(stt, "replayed_s", 0.0) - replayed
        if any(e.kind == "resume" for e in events):
            ready_at = None
        if any(e.kind in ("gap", "pause") for e in events):
            ready_at = max(ready_at or 0.0, ep.silence_s() + waited)
        if len(ep.pause_features) > read:
            f = ep.pause_features[-1]
            pauses.append({"at": ep.last_voiced_end - LEAD, "ready_s": round(ready_at or 0.0, 3),
                           "model_s": round(model_time, 3), **f.model_dump(),
                           "level_fall_db": level_fall(x, ep.speech_start, ep.last_voiced_end),
                           "text": (inc.text_upto(ep.last_voiced_end) or "")[-50:]})
        if any(e.kind == "resume" for e in events) and pauses and pauses[-1].get("length_s") is None:
            pauses[-1]["length_s"] = round(ep.pauses[-1][1] / RATE - ep.pauses[-1][0] / RATE, 3)
        if ep.done:
            break
    inc.close()
    heard = (ep.last_voiced_end or 0) - LEAD
    if item.must_hear is not None:
        cut = heard < item.must_hear
    else:
        rest = item.audio[max(0, heard + RATE // 10):]
        cut = len(rest) > RATE // 2 and float(np.abs(rest).max()) > 0.05
    done = ep.done
    delay = (done.sample - ep.last_voiced_end) / RATE + model_time if done else None
    if delay is not None and done.reason in ("complete", "finished") and ready_at is not None:
        delay = max(delay, min(ready_at, ep.config.text_wait_s))
    return {"answer": item.name, "language": item.language, "kind": item.kind, "finished": item.finished,
            "cut": bool(cut), "reason": done.reason if done else None,
            "delay_s": None if delay is None else round(delay, 3), "expected_words": expected,
            "turn_probabilities": [round(p, 3) for p in ep.turn_probabilities], "pauses": pauses}


def summary(rows: list[dict], policy: str) -> dict:
    out = {}
    for language in sorted({r["language"] for r in rows}):
        sel = [r for r in rows if r["language"] == language and r["policy"] == policy]
        fluent = [r["delay_s"] for r in sel if r["kind"] == "fluent" and r["finished"] and not r["cut"]
                  and r["delay_s"] is not None]
        kinds = {}
        for k in sorted({r["kind"] for r in sel}):
            ks = [r for r in sel if r["kind"] == k]
            kinds[k] = (sum(r["cut"] for r in ks), len(ks))
        out[language] = {"p50": pct(fluent, 50), "p95": pct(fluent, 95), "n_fluent": len(fluent), "cut": kinds}
    return out


def report(rows: list[dict]) -> None:
    for policy in (p for p in dict.fromkeys(r["policy"] for r in rows) if p != "record"):
        print(f"{policy}:")
        for language, s in summary(rows, policy).items():
            cuts = ", ".join(f"{k} {c}/{n}" for k, (c, n) in s["cut"].items())
            print(f"  {language}: fluent end delay p50 {s['p50']:.2f} s, p95 {s['p95']:.2f} s "
                  f"(n={s['n_fluent']}); cut: {cuts}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--natural", action="store_true", help="the natural-voice answer sets (the only ones so far)")
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--fit", action="store_true", help="search the rule's parameters on this run's pauses")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--report", type=Path, nargs="+", help="print the summary (and --fit) of saved --json runs")
    ap.add_argument("--ablate", action="store_true", help="the fitted rule without each signal (record runs)")
    ap.add_argument("--resumable", type=float, nargs="+", metavar="S",
                    help="the rule with barge-in's resumable end after S s of silence (record runs)")
    ap.add_argument("--policies", default="old,combined", help="policies to run (record: with --fit or --resumable)")
    ap.add_argument("--kinds", default="fluent,thinking,sentence_pause",
                    help="answer kinds of --natural (also: closer, resume)")
    ap.add_argument("--languages", default="en,es")
    ap.add_argument("--limit", type=int, help="only the first N answers (a quick look)")
    args = ap.parse_args()
    if not (args.natural or args.report):
        ap.error("give --natural (the natural-voice answer sets) or --report FILE")
    if args.report:
        rows = [row for path in args.report for row in json.loads(path.read_text())]
    else:
        rows = measure(args)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    report(rows)
    if args.ablate:
        print("on the pauses of the record runs:")
        ablate(rows)
    if args.resumable:
        resumable(rows, args.resumable)
    if args.fit:
        _, params, sc = fit(rows)
        print(f"fitted on the pauses of the record runs: {params}")
        for language, s in sc.items():
            print(f"  {language}: cut {s['cuts']}, fluent slower than {SLOW_S} s {s['slow']}, "
                  f"p50 {s['p50']:.2f} s, p95 {s['p95']:.2f} s")


def measure(args) -> list[dict]:
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.hearing.endpoint import EndpointConfig, load_endpointer_models
    from voice_interviewer.hearing.turn_end import TurnEndRule
    from voice_interviewer.hearing.whisper import WhisperTranscriber
    from voice_interviewer.judging.offline import OfflineJudge

    models = load_endpointer_models(progress=False)
    stt = ReplayingTranscriber(WhisperTranscriber("base", threads=1, progress=False))
    items = natural_items(args.split, args.kinds.split(","), args.languages.split(","))
    if args.limit:
        items = items[: args.limit]
    bank = QuestionBank.load()
    judge = OfflineJudge()
    judge.embedder  # loaded before the first answer, as in the interview
    rows = []
    policies = {"old": (None, EndpointConfig(**OLD_CONFIG_ARGS)), "combined": (TurnEndRule(), EndpointConfig())}
    policies = {k: v for k, v in policies.items() if k in args.policies.split(",")}
    if args.fit or args.resumable:
        policies["record"] = (recorder(), EndpointConfig())
    for item in items:
        question = bank.get(item.question_id) if item.question_id else None
        coverage = ((lambda text, q=question, lang=item.language: judge.coverage(q, text, lang))
                    if question else None)
        expected = len(question.model_answer.get(item.language).split()) if question else None
        if question is not None:
            judge.prefetch(question, "")  # as the interview does while the question is spoken
        for policy, (rule, config) in policies.items():
            row = run(models, stt, item, rule, coverage, expected, config)
            rows.append({"policy": policy, **row})
            print(f"{policy:<9} {item.language} {item.kind:<15} {item.name[:40]:<40} {row['reason']} "
                  f"delay {row['delay_s']} cut {row['cut']}", file=sys.stderr)
    return rows


if __name__ == "__main__":
    main()
