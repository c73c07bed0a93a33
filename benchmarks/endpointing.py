"""End-of-answer detection: delay after speech ends, and answers cut at a thinking pause.

Answers: the 16 real clips of tests/data/speech (6 en, 10 es) plus the espeak-ng clips of
tests/data/stt, each (a) as is — a finished answer —, (b) with a 1.5–2.5 s thinking pause
inserted at the quietest 20 ms of the middle third of the clip ("quietest": this lands on a
clause or sentence boundary more often than not, where the words before it are complete), and
(c) with the pause inserted inside a clause: between two words of the middle third, found by
Whisper's word timestamps, where the first word carries no punctuation ("mid-clause"). The
audio is fed block by block through the real ``Endpointer`` (silero VAD + Smart Turn), as the
listener does, and each policy is scored:

- delay: seconds from the last voiced block to the decision (audio time), plus the time the
  decision's model calls took on this CPU; over the answers not cut early that end where a
  sentence ends (four English clips stop mid-sentence in their source, where waiting is right:
  benchmarks/data/clip_endings.json; the last column counts how many of those waited);
- cut rate: answers ended before the speech after the pause (or a finished clip's last word);
- text ready: when the answer's transcript is ready (the decision, or the decode of its last
  piece if later), for the policies that transcribe.

Policies: silence-only at 0.3 / 1.0 / 3.0 s, and the turn model (end after 0.3 s when it says
complete, 3.0 s otherwise) at thresholds 0.5–0.95, at 0.95 with 0.2–0.5 s end silence and at
0.5 with a 0.8 s end silence, and "+ text" (the listener's default: 0.95, 0.4 s and text),
where the transcript up to the pause must also read as finished: real Whisper base chunks cut
as the listener cuts them, the last one started at the 0.1 s gap; the decision waits for it,
and the time its decode took on this CPU (transcription is done between blocks here, as if it
kept pace) is counted from the silence it started in. ``--through-mic`` is left to
transcript_latency.py; this script needs no audio device and runs in ~15 minutes.
``--report out.json`` prints the summary of a saved run again.

    .venv/bin/python benchmarks/endpointing.py [--json out.json] [--only TEXT] [--report out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT / "tests" / "data" / "speech"
RATE = 16000
BLOCK = 512
ENDINGS = json.loads((ROOT / "benchmarks" / "data" / "clip_endings.json").read_text())["clips"]


def clips() -> list[tuple[str, str, np.ndarray]]:
    out = []
    rows = [json.loads(line) for line in (SPEECH / "manifest.jsonl").read_text().splitlines() if line]
    for r in rows:
        x, rate = sf.read(str(SPEECH / r["file"]), dtype="float32")
        assert rate == RATE
        out.append((r["file"], r["language"], x))
    for f in ("en_answer.wav", "en_sentence.wav", "es_answer.wav"):
        x, _ = sf.read(str(ROOT / "tests" / "data" / "stt" / f), dtype="float32")
        out.append((f, f[:2], x))
    return out


def insert_pause(x: np.ndarray, pause_s: float) -> tuple[np.ndarray, int]:
    lo, hi = len(x) // 3, 2 * len(x) // 3
    frame = RATE // 50
    energy = np.convolve(x[lo:hi] ** 2, np.ones(frame) / frame, mode="same")
    cut = lo + int(np.argmin(energy))
    return np.concatenate([x[:cut], np.zeros(int(pause_s * RATE), np.float32), x[cut:]]), cut


def mid_clause_cut(stt, x: np.ndarray, language: str) -> int | None:
    """A point between two words of the middle third where the first has no punctuation."""
    words = stt.transcribe(x, language).words
    lo, hi = len(x) / RATE / 3, 2 * len(x) / RATE / 3
    gaps = [(b.start - a.end, (a.end + b.start) / 2) for a, b in zip(words, words[1:])
            if lo <= a.end <= hi and a.word[-1:].isalnum()]
    if not gaps:
        return None
    return int(max(gaps)[1] * RATE)


def run(vad, turn, config, audio: np.ndarray, lead: int, stt=None, language: str = "en",
        text: bool = False):
    """Feed the answer block by block; returns the endpointer, the seconds the decision waited
    for model calls, the silence (s) at which the transcript of the answer up to the end would
    be ready in real time (None without ``stt``) and the transcripts the text checks read."""
    from voice_interviewer.hearing.endpoint import Endpointer
    from voice_interviewer.hearing.incremental import IncrementalTranscriber
    from voice_interviewer.hearing.listener import settle_on

    inc = IncrementalTranscriber(stt, language) if stt is not None else None
    read: list[str] = []  # the transcript each text check read

    def check(sample: int) -> str | None:
        verdict = inc.ending(sample)
        if verdict is not None:
            read.append(inc.text_with_tentative)
        return verdict

    ep = Endpointer(vad, turn, config, text_check=check if inc and text else None)
    model_time = 0.0
    x = np.concatenate([np.zeros(lead, np.float32), audio, np.zeros(4 * RATE, np.float32)])
    ready_at = None
    for i in range(0, len(x) - BLOCK + 1, BLOCK):
        t, predicted = time.perf_counter(), len(ep.turn_probabilities)
        events = ep.feed(x[i:i + BLOCK])
        if len(ep.turn_probabilities) > predicted:
            model_time += time.perf_counter() - t  # the decision waited for this call
        if inc is not None:
            settle_on(events, ep, inc)
            t = time.perf_counter()
            while inc.working:  # as if transcription kept pace
                time.sleep(0.005)
            waited = time.perf_counter() - t
            if any(e.kind == "resume" for e in events):
                ready_at = None
            if any(e.kind in ("gap", "pause") for e in events):  # a decode started in this silence
                ready_at = max(ready_at or 0.0, ep.silence_s() + waited)
        if ep.done:
            break
    if inc is not None:
        inc.close()
    return ep, model_time, ready_at, read


KINDS = ("pause", "mid-clause")


def ends_sentence(answer: str) -> bool:
    clip = answer.split("+")[0]
    return ENDINGS.get(clip, {"ends_sentence": True})["ends_sentence"]  # espeak: whole sentences


def report(rows: list[dict]) -> None:
    """Delay over the answers not cut that end where a sentence ends (a clip stopped
    mid-sentence is not a finished answer: waiting there is right, see clip_endings.json); cut
    rates over every answer of the kind."""
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    first = [r for r in rows if r["policy"] == policies[0]]
    clips = {r["answer"].split("+")[0] for r in first}
    print(f"{len(first)} answers: " + ", ".join(
        f"{sum(r['kind'] == k for r in first)} {k}" for k in ("finished", *KINDS))
        + f" ({len(clips)} clips, {sum(not ends_sentence(c) for c in clips)} of them stop mid-sentence)\n")
    print(f"{'policy':<30} {'delay mean':>10} {'delay p50':>9} {'cut (quietest)':>15} "
          f"{'cut (mid-clause)':>17} {'cut (finished)':>15} {'text ready p50':>15} {'mid-sentence ends':>18}")
    for label in policies:
        sel = [r for r in rows if r["policy"] == label]
        kept = [r for r in sel if not r["cut"] and r["delay_s"] is not None]
        ok = [r["delay_s"] for r in kept if ends_sentence(r["answer"])]
        ready = [r["text_ready_s"] for r in kept if ends_sentence(r["answer"]) and r.get("text_ready_s") is not None]
        waited = [r for r in sel if r["kind"] == "finished" and not ends_sentence(r["answer"])]
        rate = {k: [r["cut"] for r in sel if r["kind"] == k] for k in ("finished", *KINDS)}
        print(f"{label:<30} {np.mean(ok):>9.2f}s {np.median(ok):>8.2f}s "
              f"{np.mean(rate['pause']):>14.0%} {np.mean(rate['mid-clause']):>16.0%} "
              f"{np.mean(rate['finished']):>14.0%} "
              + (f"{np.median(ready):>14.2f}s" if ready else f"{'–':>15}")
              + f" {sum(r['reason'] == 'pause_limit' for r in waited):>10}/{len(waited)} wait")
        for language in ("en", "es"):
            parts = []
            for k in KINDS:
                lp = [r for r in sel if r["kind"] == k and r["language"] == language]
                parts.append(f"{k} {sum(r['cut'] for r in lp)}/{len(lp)}")
            print(f"{'':<4}{language}: cut at " + ", ".join(parts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", help="run only the policies whose label contains this text")
    ap.add_argument("--report", type=Path, help="print the summary of a saved --json run")
    args = ap.parse_args()
    if args.report:
        return report(json.loads(args.report.read_text()))
    sys.path.insert(0, str(ROOT))
    from voice_interviewer.hearing.endpoint import EndpointConfig, load_endpointer_models

    from voice_interviewer.hearing.whisper import WhisperTranscriber

    vad, turn = load_endpointer_models(progress=False)
    stt = WhisperTranscriber("base", threads=1, progress=False)
    policies = {
        "silence 0.3 s": (EndpointConfig(use_turn_model=False, max_pause_s=0.3), None),
        "silence 1.0 s": (EndpointConfig(use_turn_model=False, max_pause_s=1.0), None),
        "silence 3.0 s": (EndpointConfig(use_turn_model=False, max_pause_s=3.0), None),
        "turn p>=0.5 0.3/3.0 s": (EndpointConfig(turn_threshold=0.5, end_silence_s=0.3), turn),
        "turn p>=0.7 0.3/3.0 s": (EndpointConfig(turn_threshold=0.7, end_silence_s=0.3), turn),
        "turn p>=0.8 0.3/3.0 s": (EndpointConfig(turn_threshold=0.8, end_silence_s=0.3), turn),
        "turn p>=0.9 0.3/3.0 s": (EndpointConfig(turn_threshold=0.9, end_silence_s=0.3), turn),
        "turn p>=0.95 0.3/3.0 s": (EndpointConfig(turn_threshold=0.95, end_silence_s=0.3), turn),
        "turn p>=0.95 0.2/3.0 s": (EndpointConfig(turn_threshold=0.95, end_silence_s=0.2), turn),
        "turn p>=0.95 0.4/3.0 s": (EndpointConfig(turn_threshold=0.95, end_silence_s=0.4), turn, stt),
        "turn p>=0.95 0.5/3.0 s": (EndpointConfig(turn_threshold=0.95, end_silence_s=0.5), turn),
        "turn p>=0.5 0.8/3.0 s": (EndpointConfig(turn_threshold=0.5, end_silence_s=0.8), turn),
        "turn p>=0.95 0.4/3.0 s + text": (EndpointConfig(turn_threshold=0.95), turn, stt, True),
        "turn p>=0.9 0.4/3.0 s + text": (EndpointConfig(turn_threshold=0.9), turn, stt, True),
        "turn p>=0.8 0.4/3.0 s + text": (EndpointConfig(turn_threshold=0.8), turn, stt, True),
        "turn p>=0.5 0.4/3.0 s + text": (EndpointConfig(turn_threshold=0.5), turn, stt, True),
    }
    if args.only:
        policies = {k: v for k, v in policies.items() if args.only in k}
    rng = random.Random(7)
    answers = []
    for name, lang, x in clips():
        answers.append((name, lang, "finished", x, len(x)))
        pause = rng.uniform(1.5, 2.5)
        y, cut = insert_pause(x, pause)
        answers.append((f"{name}+{pause:.1f}s", lang, "pause", y, cut + int(pause * RATE)))
        at = mid_clause_cut(stt, x, lang)
        if at is not None:
            pad = np.zeros(int(pause * RATE), np.float32)
            answers.append((f"{name}+{pause:.1f}s mid-clause", lang, "mid-clause",
                            np.concatenate([x[:at], pad, x[at:]]), at + len(pad)))
    lead = RATE // 2
    rows = []
    for label, (config, model, *text) in policies.items():
        for name, lang, kind, audio, must_hear in answers:
            ep, model_time, ready_at, read = run(vad, model, config, audio, lead,
                                                 stt=text[0] if text else None, language=lang,
                                                 text=bool(text[1:]))
            heard_until = (ep.last_voiced_end or 0) - lead
            # cut: the answer ended before speech that was still to come
            if kind != "finished":
                cut = heard_until < must_hear
            else:
                rest = audio[max(0, heard_until + RATE // 10):]
                cut = len(rest) > RATE // 2 and float(np.abs(rest).max()) > 0.05
            delay = (ep.done.sample - ep.last_voiced_end) / RATE + model_time if ep.done else None
            if delay is not None and text[1:] and ep.done.reason == "complete" and ready_at is not None:
                # the decision waited for the transcript up to the pause, at most text_wait_s
                delay = max(delay, min(ready_at, config.text_wait_s))
            # the answer's transcript is ready when both the decision and its last piece are
            text_ready = None if delay is None or ready_at is None else max(delay, ready_at)
            rows.append({"policy": label, "answer": name, "language": lang, "kind": kind,
                         "cut": bool(cut), "delay_s": None if delay is None else round(delay, 3),
                         "reason": ep.done.reason if ep.done else None,
                         "text_ready_s": None if text_ready is None else round(text_ready, 3),
                         "turn_probabilities": [round(p, 3) for p in ep.turn_probabilities],
                         "text_verdicts": ep.text_verdicts,
                         "texts_read": [t[-60:] for t in read]})
    report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
