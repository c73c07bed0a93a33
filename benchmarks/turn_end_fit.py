"""Fitting the end-of-answer rule (hearing/turn_end.py) on the signals that ``benchmarks/turn_end.py``
read at every pause of its ``record`` runs: each rule is simulated on those rows (where it would have
ended each answer, and whether speech came after), without feeding the audio again. Used by
``turn_end.py --fit``, ``--ablate`` and ``--resumable``."""

from __future__ import annotations

import itertools

import numpy as np

TEXT_WAIT_S = 1.5  # EndpointConfig.text_wait_s


def pct(values, q):
    return float(np.percentile(values, q)) if values else float("nan")




def text_ending(p: dict, language: str) -> str | None:
    """The pause's text ending, read again from the transcript's stored tail with the current
    ``textcue.ending`` (so a change to it is simulated on earlier runs; those made before the
    text check told "bare" from "open" kept a bool, ``text_finished``); None when the check had
    no verdict."""
    from voice_interviewer.hearing.textcue import ending

    if p.get("text_ending", p.get("text_finished")) is None:
        return None
    return ending(p["text"], language) or "finished"


def pause_features(p: dict, language: str):
    from voice_interviewer.hearing.turn_end import PauseFeatures

    if "_f" not in p:
        values = {k: p[k] for k in PauseFeatures.model_fields if k in p}
        p["_f"] = PauseFeatures.model_validate({**values, "text_ending": text_ending(p, language)})
    return p["_f"]


def simulate(row: dict, rule, max_pause_s: float) -> tuple[bool, float | None]:
    """(cut, delay) of the combined policy from the old run's row: it ends at the first pause whose
    signals the rule accepts and that lasts long enough, else where the old policy ended."""
    for p in row["pauses"]:
        wait = rule.wait_s(pause_features(p, row["language"]))
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


GRID = {  # the fit searches these (turn_sure is Settings.turn_threshold: kept)
    "sure_silence_s": [0.4, 0.5, 0.6, 0.7, 0.8],
    "early_silence_s": [0.5, 0.6, 0.7, 0.8],
    "turn_likely": [0.5, 0.7, 0.9, 1.0],
    "turn_floor": [0.0, 0.1, 0.3],
    "coverage_done": [0.4, 0.6, 0.8, 1.0],
    "length_done": [0.35, 0.4, 0.5, 1e9],
    "min_words": [0],
    "min_length": [0.0, 0.25, 0.3, 0.33, 0.35, 0.38, 0.4],
}
SLOW_S = 1.5  # a fluent answer that waits longer than this counts against a rule


def scores(rows: list[dict], rule) -> dict:
    """Per language: answers cut, fluent answers slower than SLOW_S, fluent p50 and p95."""
    out = {}
    for language in sorted({r["language"] for r in rows}):
        delays, cuts = [], 0
        for r in (r for r in rows if r["language"] == language):
            cut, delay = simulate(r, rule, 3.0)
            cuts += cut
            if r["kind"] == "fluent" and r["finished"] and not cut and delay is not None:
                delays.append(delay)
        out[language] = {"cuts": cuts, "slow": sum(d > SLOW_S for d in delays),
                         "p50": pct(delays, 50), "p95": pct(delays, 95)}
    return out


def fit(rows: list[dict]):
    """The grid point with no answer cut (the fewest), then the fewest slow fluent answers, then
    the lowest p95 and p50 summed over the languages; the more cautious one on ties."""
    from voice_interviewer.hearing.turn_end import TurnEndRule

    rows = [r for r in rows if r["policy"] == "record"]
    best = None
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values))
        rule = TurnEndRule.model_construct(**{**TurnEndRule().model_dump(), **params})
        sc = scores(rows, rule)
        key = (sum(s["cuts"] for s in sc.values()), sum(s["slow"] for s in sc.values()),
               round(sum(s["p95"] for s in sc.values()), 2), round(sum(s["p50"] for s in sc.values()), 2),
               *(-params[k] for k in GRID))
        if best is None or key < best[0]:
            best = (key, params, sc)
    return best


ABLATIONS = {  # the fitted rule with one signal taken out (``--ablate``)
    "fitted": {},
    "no rubric coverage": {"coverage_done": 1.0},
    "no length (done or barely started)": {"length_done": 1e9, "min_length": 0.0},
    "no 'barely started' veto": {"min_length": 0.0},
    "no coverage, no length": {"coverage_done": 1.0, "length_done": 1e9, "min_length": 0.0},
    "turn model + text only (0.95, 0.4 s)": {"coverage_done": 1.0, "length_done": 1e9, "min_length": 0.0,
                                              "sure_silence_s": 0.4},
}


def separation(rows: list[dict]) -> None:
    """AUC of each signal for telling an answer's end from a pause of 0.6 s or more that speech
    followed, over the pauses whose text reads finished (higher: more at the end)."""
    def auc(pos, neg):
        return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))

    for language in sorted({r["language"] for r in rows}):
        sets: dict[str, tuple[list, list]] = {}
        for r in (r for r in rows if r["language"] == language):
            for p in (p for p in r["pauses"] if text_ending(p, language) == "finished"):
                if p.get("length_s") is not None and p["length_s"] < 0.6:
                    continue
                pr = p["progress"]
                signals = {"length share": pr["words"] / pr["expected_words"] if pr["expected_words"] else 0.0,
                           "rubric coverage": pr["coverage"] or 0.0, "turn probability": p["turn_probability"],
                           "level fall": -(p["level_fall_db"] or 0.0)}
                for name, value in signals.items():
                    sets.setdefault(name, ([], []))[p.get("length_s") is not None].append(value)
        if sets:
            print(f"  {language} AUC, end vs pause: " + ", ".join(
                f"{name} {auc(*pair):.2f}" for name, pair in sets.items() if pair[0] and pair[1]))


def ablate(rows: list[dict]) -> None:
    from voice_interviewer.hearing.turn_end import TurnEndRule

    rows = [r for r in rows if r["policy"] == "record"]
    separation(rows)
    for label, change in ABLATIONS.items():
        rule = TurnEndRule.model_construct(**{**TurnEndRule().model_dump(), **change})
        parts = [f"{lang} cut {s['cuts']}, p50 {s['p50']:.2f} s, p95 {s['p95']:.2f} s"
                 for lang, s in scores(rows, rule).items()]
        print(f"  {label:<38} " + "; ".join(parts))


def resumable(rows: list[dict], seconds: list[float]) -> None:
    """The fitted rule, then with ``resumable_silence_s`` (barge-in on), simulated on the record
    runs: fluent delays, and per kind the answers ended before more speech came (without barge-in
    cut; with it the candidate takes the floor back over the reaction)."""
    from voice_interviewer.hearing.turn_end import TurnEndRule

    rows = [r for r in rows if r["policy"] == "record"]
    for value in [None, *seconds]:
        rule = TurnEndRule(resumable_silence_s=value)
        for language in sorted({r["language"] for r in rows}):
            delays, ended = [], {}
            for r in (r for r in rows if r["language"] == language):
                cut, delay = simulate(r, rule, 3.0)
                ended[r["kind"]] = ended.get(r["kind"], 0) + cut
                if r["kind"] == "fluent" and r["finished"] and not cut and delay is not None:
                    delays.append(delay)
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(ended.items()))
            print(f"  resumable {value or '-'} s, {language}: fluent p50 {pct(delays, 50):.2f} s, p95 "
                  f"{pct(delays, 95):.2f} s, over {SLOW_S} s {sum(d > SLOW_S for d in delays)}/{len(delays)}; "
                  f"ended before more speech: {kinds}")


