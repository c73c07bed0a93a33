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
(tests/answer_sets.py: fluent, thinking, sentence_pause, closer, resume); without it the clips of
benchmarks/endpointing.py (finished, a pause at the quietest point, a mid-clause pause).

``--fit`` (with ``--natural --split dev``) also runs each answer with a rule that never ends it
(``recorder``), to read the signals at every pause, and searches the rule's parameters on them
(``GRID``): no thinking or sentence-pause answer may be cut; among those, the lowest fluent p95,
then p50, with the more cautious thresholds preferred on ties.

    .venv/bin/python benchmarks/turn_end.py --natural --split dev [--fit] [--json out.json]
    .venv/bin/python benchmarks/turn_end.py --report out.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

RATE = 16000
BLOCK = 512
LEAD = RATE // 2
TRAIL_S = 4.0
TEXT_WAIT_S = 1.5  # EndpointConfig.text_wait_s
THINKING = ("thinking", "sentence_pause", "resume")  # kinds with speech after a pause


@dataclass
class Item:
    name: str
    language: str
    kind: str
    audio: np.ndarray
    must_hear: int | None  # sample of the speech after the pause (None: the answer is whole)
    question_id: str | None = None
    finished: bool = True  # the answer ends where a sentence ends (else waiting is right)


def natural_items(split: str) -> list[Item]:
    import answer_sets

    out = []
    for a in answer_sets.load(split=split):
        audio = a.audio()
        must = int(a.resume_s * RATE) if a.kind in THINKING and a.resume_s is not None else None
        out.append(Item(a.id, a.language, a.kind, audio, must, a.question_id))
    return out


def clip_items() -> list[Item]:
    import endpointing as epb
    from voice_interviewer.hearing.whisper import WhisperTranscriber

    stt = WhisperTranscriber("base", threads=1, progress=False)
    rng = random.Random(7)
    out = []
    for name, lang, x in epb.clips():
        out.append(Item(name, lang, "fluent", x, None, finished=epb.ends_sentence(name)))
        pause = rng.uniform(1.5, 2.5)
        y, cut = epb.insert_pause(x, pause)
        out.append(Item(f"{name}+{pause:.1f}s", lang, "quietest", y, cut + int(pause * RATE)))
        at = epb.mid_clause_cut(stt, x, lang)
        if at is not None:
            pad = np.zeros(int(pause * RATE), np.float32)
            out.append(Item(f"{name}+{pause:.1f}s mid-clause", lang, "thinking",
                            np.concatenate([x[:at], pad, x[at:]]), at + len(pad)))
    return out


def recorder():
    """A rule that never ends an answer: the endpointer reads every pause's signals for the fit."""
    from voice_interviewer.hearing.turn_end import TurnEndRule

    return TurnEndRule(min_words=10**9)


def run(models, stt, item: Item, rule, coverage, expected: int | None) -> dict:
    """Feed one answer; returns its row: end, delay, cut, and the signals read at each pause."""
    from voice_interviewer.hearing.endpoint import EndpointConfig, Endpointer
    from voice_interviewer.hearing.incremental import IncrementalTranscriber
    from voice_interviewer.hearing.listener import progress_reader, settle_on
    from voice_interviewer.ports import AnswerRequest

    vad, turn = models
    inc = IncrementalTranscriber(stt, item.language)
    request = AnswerRequest(turn=1, question_id=item.question_id or "", language=item.language,
                            session_dir=Path("."), audio_name="-", expected_words=expected,
                            coverage=coverage)
    ep = Endpointer(vad, turn, EndpointConfig(), text_check=inc.sounds_finished,
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
        t = time.perf_counter()
        while inc.working:  # as if transcription kept pace
            time.sleep(0.005)
        waited = time.perf_counter() - t
        if any(e.kind == "resume" for e in events):
            ready_at = None
        if any(e.kind in ("gap", "pause") for e in events):
            ready_at = max(ready_at or 0.0, ep.silence_s() + waited)
        if len(ep.pause_features) > read:
            f = ep.pause_features[-1]
            pauses.append({"at": ep.last_voiced_end - LEAD, "ready_s": round(ready_at or 0.0, 3),
                           "model_s": round(model_time, 3), **f.model_dump()})
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


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")


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


# --- fitting on the signals the old run read at each pause --------------------------------------

def simulate(row: dict, rule, max_pause_s: float) -> tuple[bool, float | None]:
    """(cut, delay) of the combined policy from the old run's row: it ends at the first pause whose
    signals the rule accepts and that lasts long enough, else where the old policy ended."""
    from voice_interviewer.hearing.turn_end import PauseFeatures

    for p in row["pauses"]:
        if "_f" not in p:
            p["_f"] = PauseFeatures.model_validate({k: p[k] for k in PauseFeatures.model_fields})
        wait = rule.wait_s(p["_f"])
        if wait is None:
            continue
        length = p.get("length_s")  # None: the last pause, the answer's end
        if length is not None and length < wait:
            continue
        delay = max(wait, min(p["ready_s"], TEXT_WAIT_S)) + p["model_s"]
        if length is None:  # where the old run ended: the answer's end, or a pause it was cut at
            old = row["delay_s"] if row["delay_s"] is not None else max_pause_s
            return row["cut"], min(delay, old)
        return True, delay  # speech went on after this pause: cut
    return row["cut"], row["delay_s"]


GRID = {  # the fit searches these (turn_sure and sure_silence_s are Settings: kept)
    "early_silence_s": [0.5, 0.6, 0.7, 0.8],
    "turn_likely": [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    "turn_floor": [0.0, 0.1, 0.2, 0.3],
    "coverage_done": [0.3, 0.5, 0.7, 1.0],
    "length_done": [0.6, 0.8, 1.0, 1e9],
    "min_words": [0, 10],
    "min_done": [0.0, 0.15, 0.3],
}


def fit(rows: list[dict]):
    from voice_interviewer.hearing.turn_end import TurnEndRule

    old = [r for r in rows if r["policy"] == "record"]
    best = None
    keys = list(GRID)
    for values in itertools.product(*GRID.values()):
        params = dict(zip(keys, values))
        rule = TurnEndRule.model_construct(**{**TurnEndRule().model_dump(), **params})
        cuts, worst95, mean50 = 0, 0.0, 0.0
        for language in sorted({r["language"] for r in old}):
            delays = []
            for r in (r for r in old if r["language"] == language):
                cut, delay = simulate(r, rule, 3.0)
                if r["kind"] != "fluent":
                    cuts += cut and r["kind"] in THINKING + ("quietest",)
                elif r["finished"] and not cut and delay is not None:
                    delays.append(delay)
            worst95 = max(worst95, pct(delays, 95))
            mean50 += pct(delays, 50)
        # cautious on ties: later silence, higher thresholds
        key = (cuts, round(worst95, 2), round(mean50, 2), -params["early_silence_s"], -params["turn_likely"],
               -params["turn_floor"], -params["coverage_done"], -params["length_done"], -params["min_words"])
        if best is None or key < best[0]:
            best = (key, params)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--natural", action="store_true", help="the natural-voice answer sets (tests/answer_sets.py)")
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--fit", action="store_true", help="search the rule's parameters on this run's pauses")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--report", type=Path, help="print the summary (and --fit) of a saved --json run")
    ap.add_argument("--limit", type=int, help="only the first N answers (a quick look)")
    args = ap.parse_args()
    if args.report:
        rows = json.loads(args.report.read_text())
    else:
        rows = measure(args)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    report(rows)
    if args.fit:
        key, params = fit(rows)
        print(f"fitted (cuts {key[0]}, worst fluent p95 {key[1]:.2f} s, sum of p50 {key[2]:.2f} s): {params}")


def measure(args) -> list[dict]:
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.hearing.endpoint import load_endpointer_models
    from voice_interviewer.hearing.turn_end import TurnEndRule
    from voice_interviewer.hearing.whisper import WhisperTranscriber
    from voice_interviewer.judging.offline import OfflineJudge

    models = load_endpointer_models(progress=False)
    stt = WhisperTranscriber("base", threads=1, progress=False)
    items = natural_items(args.split) if args.natural else clip_items()
    if args.limit:
        items = items[: args.limit]
    bank = QuestionBank.load()
    judge = OfflineJudge()
    rows = []
    policies = {"old": None, "combined": TurnEndRule()}
    if args.fit:
        policies["record"] = recorder()
    for item in items:
        question = bank.get(item.question_id) if item.question_id else None
        coverage = ((lambda text, q=question, lang=item.language: judge.coverage(q, text, lang))
                    if question else None)
        expected = len(question.model_answer.get(item.language).split()) if question else None
        for policy, rule in policies.items():
            row = run(models, stt, item, rule, coverage, expected)
            rows.append({"policy": policy, **row})
            print(f"{policy:<9} {item.language} {item.kind:<15} {item.name[:40]:<40} {row['reason']} "
                  f"delay {row['delay_s']} cut {row['cut']}", file=sys.stderr)
    return rows


if __name__ == "__main__":
    main()
