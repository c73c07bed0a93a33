"""Barge-in through the virtual audio server: how fast the interviewer stops, and whether its
own voice (looped from the speaker into the microphone) makes it stop.

1. Reaction time, ``--trials`` times: the interviewer says a long reaction (espeak-ng, through
   ``BargeInSpeaker``) while a recorded answer (tests/data/stt/en_answer.wav) starts playing
   into the microphone 1.0-2.5 s in. Printed: speech onset -> playback stopped (onset: where the
   answer's first voiced 0.3 s is found in the monitor's recording by cross-correlation, else the
   VAD's onset; stopped: the player's time of the silencing callback plus the stream's output
   latency), and onset -> decision (the VAD's 0.2 s).
2. False triggers: with the speaker looped into the microphone (``virtual-audio echo on``) the
   interviewer says ``--utterances`` questions and reactions, no one else speaking; counted with
   PulseAudio's module-echo-cancel (the program's ``EchoCanceller``) and without it.

``--speakers`` runs the reaction trials with the loop on and the canceller loaded, as with
speakers (the answer then competes with what the canceller leaves of the interviewer's voice).

``--probe N`` runs only the probe (``BargeInSpeaker`` probing: barge-in turns itself on after an
utterance the microphone heard no voice through): each of N utterances said once with the speaker
looped into the microphone (no canceller: speakers; it must stay off) and once without the loop
(a virtual or muted output, or headphones; it must turn on).

Usage: python benchmarks/barge_in.py [--trials 10] [--utterances 10] [--speakers] [--json out.json]
Uses its own VIRTUAL_MIC_DIR (/tmp/vi-bench-barge-in). Timings are wall-clock on a shared CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "audio" / "virtual-audio"
ANSWER = ROOT / "tests" / "data" / "stt" / "en_answer.wav"
REACTION = ("6 out of 10. You missed: the bias-variance trade-off says that a more flexible model "
            "lowers the bias but raises the variance, so the total error is smallest somewhere in "
            "between, and regularization moves a model along that curve.")
LINES = [  # what the interviewer says in the false-trigger run
    "What is the difference between bias and variance in a machine learning model?",
    "7 out of 10. You missed: a larger training set lowers the variance, not the bias.",
    "How would you choose the regularization strength for a linear model?",
    "5 out of 10. You missed: cross validation picks the penalty that generalizes best.",
    "Explain what a confusion matrix tells you, and when accuracy is a poor metric.",
    "8 out of 10. You covered the key points.",
    "How do you detect and handle data leakage between the training and the test set?",
    "6.5 out of 10. You missed: fit the preprocessing on the training folds only.",
    "Walk me through how gradient boosting builds its ensemble of trees.",
    "9 out of 10. You covered the key points.",
]


def vm(*args: str) -> str:
    r = subprocess.run([str(HARNESS), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"virtual-audio {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def start_audio() -> None:
    os.environ.setdefault("VIRTUAL_MIC_DIR", "/tmp/vi-bench-barge-in")
    vm("stop")  # a fresh server: no volume left turned down by an earlier canceller's gain control
    vm("start")
    for line in vm("env").splitlines():
        key, value = shlex.split(line)[1].split("=", 1)
        os.environ[key] = value


def build(models_dir=None):
    from voice_interviewer.hearing.capture import Recorder
    from voice_interviewer.hearing.endpoint import SileroVAD
    from voice_interviewer.speaking.barge_in import BargeInSpeaker
    from voice_interviewer.speaking.tts import EspeakSpeaker
    from voice_interviewer.weights import ModelFiles

    inner = EspeakSpeaker("en").start()
    vad = SileroVAD(ModelFiles(models_dir).path("silero-vad", progress=False))
    return BargeInSpeaker(inner, inner.player, vad, lambda: Recorder())


def energy_onset(kept: list[np.ndarray], start: float) -> float | None:
    """Clock time of the first 20 ms frame above -34 dBFS in the audio the monitor kept (it
    starts at clock time ``start``; with the loop off the microphone hears only the answer)."""
    audio = np.concatenate(kept) if kept else np.zeros(0, np.float32)
    n = len(audio) // 320
    rms = np.sqrt((audio[: n * 320].reshape(n, 320) ** 2).mean(axis=1)) if n else np.zeros(0)
    loud = np.flatnonzero(rms > 0.02)
    return start + loud[0] * 0.02 if len(loud) else None


class SpeakerTap:
    """Records the virtual speaker (its sink's monitor) in this process, on the same clock as
    the program: the time the interviewer's voice really stopped on the sink."""

    def __init__(self):
        from voice_interviewer.hearing.capture import Recorder

        saved = os.environ.get("PULSE_SOURCE")
        os.environ["PULSE_SOURCE"] = "vspeaker.monitor"
        try:
            self.rec = Recorder().__enter__()
        finally:
            if saved is None:
                os.environ.pop("PULSE_SOURCE")
            else:
                os.environ["PULSE_SOURCE"] = saved
        self.blocks: list = []
        self.quit = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.quit.is_set():
            b = self.rec.read(timeout=0.5)
            if b is not None:
                self.blocks.append((float(np.sqrt(np.mean(b.samples**2))), b.t_end))

    def last_sound(self, after: float) -> float | None:
        """End time of the last block louder than -46 dBFS that ended after ``after``."""
        loud = [t for rms, t in self.blocks if rms > 0.005 and t > after]
        return loud[-1] if loud else None

    def close(self) -> None:
        self.quit.set()
        self.thread.join()
        self.rec.__exit__(None, None, None)


def reaction_trials(speaker, trials: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(trials):
        delay = rng.uniform(1.0, 2.5)
        timer = threading.Timer(delay, lambda: subprocess.run([str(HARNESS), "play", str(ANSWER)],
                                                              stdin=subprocess.DEVNULL, capture_output=True))
        tap = SpeakerTap()
        timer.start()
        t_say = time.monotonic()
        speaker.say(REACTION, kind="reaction", language="en")
        b = speaker.barged_in
        time.sleep(0.5)
        tap.close()
        kept_from = speaker.kept_from
        kept = speaker.take_audio()
        timer.join()
        time.sleep(9.0 - min(9.0, time.monotonic() - t_say - delay))  # the answer ends
        if b is None:
            rows.append({"trial": i, "barged_in": False, "error": repr(speaker.error) if speaker.error else None})
            continue
        onset = energy_onset(kept, kept_from) if kept_from is not None else None
        onset = b.onset if onset is None else onset
        # not before the answer was started (with the loop on, the canceller's leftovers of the
        # interviewer's voice can pass the energy threshold earlier)
        onset = max(onset, t_say + delay)
        rows.append({"trial": i, "barged_in": True, "onset_after_say_s": round(onset - t_say, 3),
                     "vad_onset_lag_s": round(b.onset - onset, 3),
                     "decision_s": round(b.detected - onset, 3),
                     "reaction_s": None if b.stopped is None else round(b.stopped - onset, 3),
                     "heard_stop_s": _minus(tap.last_sound(onset), onset)})
    return rows


def false_triggers(speaker, utterances: int, aec: bool) -> dict:
    triggers, spoken = [], 0.0
    with Loop(aec):
        for k in range(utterances):
            line = LINES[k % len(LINES)]
            kind = "reaction" if " out of 10" in line else "question"
            t = time.monotonic()
            speaker.say(line, kind=kind, language="en")
            spoken += time.monotonic() - t
            if speaker.barged_in is not None:
                triggers.append({"line": k, "after_s": round(speaker.barged_in.onset - t, 2)})
            speaker.take_audio()
    return {"aec": aec, "utterances": utterances, "spoken_s": round(spoken, 1),
            "false_triggers": len(triggers), "where": triggers}


def probe_runs(speaker, utterances: int) -> dict:
    """Per utterance, whether probing turned barge-in on, with and without the loop."""
    out = {}
    for looped in (True, False):
        enabled = []
        with Loop(aec=False) if looped else nullcontext():
            for k in range(utterances):
                line = LINES[k % len(LINES)]
                speaker.probing, speaker.active, speaker.echo_heard = True, False, 0
                speaker.say(line, kind="reaction" if " out of 10" in line else "question", language="en")
                enabled.append(speaker.active)
        out["looped" if looped else "unheard"] = {"utterances": utterances, "turned_on": sum(enabled),
                                                  "per_line": enabled}
    speaker.probing, speaker.active = False, True
    return out


class Loop:
    """The virtual speaker looped into the microphone (``virtual-audio echo on``), with the
    program's echo canceller loaded when ``aec``: as a speakers' user hears the interviewer."""

    def __init__(self, aec: bool = True):
        from voice_interviewer.speaking.barge_in import EchoCanceller

        self.aec, self.canceller = aec, EchoCanceller()

    def __enter__(self):
        if self.aec and not self.canceller.start():
            sys.exit("module-echo-cancel could not be loaded")
        vm("echo", "on")
        return self

    def __exit__(self, *exc):
        vm("echo", "off")
        self.canceller.close()


def _minus(a, b):
    return None if a is None or b is None else round(a - b, 3)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--utterances", type=int, default=10)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--speakers", action="store_true",
                    help="the reaction trials through the speaker-to-microphone loop and the echo canceller")
    ap.add_argument("--no-plain", action="store_true", help="leave out the false-trigger run without the canceller")
    ap.add_argument("--probe", type=int, metavar="N", help="only the probe: N utterances with and without the loop")
    args = ap.parse_args()
    start_audio()
    speaker = build()
    if args.probe:
        try:
            results = probe_runs(speaker, args.probe)
        finally:
            speaker.close()
        for name, r in results.items():
            print(f"probe, {name}: barge-in turned on after {r['turned_on']} of {r['utterances']} utterances")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
        return
    try:
        with Loop() if args.speakers else nullcontext():
            rows = reaction_trials(speaker, args.trials)
        hit = [r for r in rows if r["barged_in"]]
        react = [r["reaction_s"] for r in hit if r["reaction_s"] is not None]
        decide = [r["decision_s"] for r in hit]
        heard = [r["heard_stop_s"] for r in hit if r["heard_stop_s"] is not None]
        print(f"reaction: {len(hit)}/{len(rows)} barge-ins; onset -> playback stopped "
              f"p50 {pct(react, .5)} s, p95 {pct(react, .95)} s, max {max(react, default=None)} s; "
              f"onset -> decision p50 {pct(decide, .5)} s; onset -> last sound on the speaker "
              f"p50 {pct(heard, .5)} s, p95 {pct(heard, .95)} s, max {max(heard, default=None)} s")
        results = {"reaction": rows, "false": []}
        for aec in (True,) if args.no_plain else (True, False):
            r = false_triggers(speaker, args.utterances, aec)
            results["false"].append(r)
            print(f"own voice looped into the mic, {'with' if aec else 'without'} echo cancellation: "
                  f"{r['false_triggers']} false triggers in {r['utterances']} utterances ({r['spoken_s']} s)")
    finally:
        speaker.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
