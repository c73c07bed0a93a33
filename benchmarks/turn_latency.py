"""The candidate's wait, end to end: spoken answers through the virtual microphone.

For each answer length (default 15, 60 and 120 s) this starts one
``voice-interviewer practice --scorer offline --followups 0`` session with N questions,
plays an espeak-ng answer (the question's model answer repeated to the length, spoken
without punctuation but a final full stop: espeak pauses 0.2-0.5 s at commas and full
stops, which the turn detector may take as the end of a long answer) into the microphone each time session.json
says ``listening``, and reads the per-turn timings back. Printed: p50/p95
of the wait (reply_audio_start − speech_end) and of its parts — endpointing
(speech_end→endpoint), transcription (→transcript_ready), judging (→judged), speaking
(→reply_audio_start) — plus the time to the first question (process start → first audio of
question 1) and the peak RSS of the interview process and of its speech worker.

``--voice human`` plays real recorded speech instead: the clips of tests/data/speech in the
session language, 0.3 s apart, in a different order for each answer (so answers end on
different clips), repeated when one language has fewer seconds than asked, and going on past
the length until a clip that ends a sentence (benchmarks/data/clip_endings.json: four English
clips stop mid-sentence in their source). The turn model hears a human's final cadence there;
espeak-ng's flat voice rarely sounds finished to it.

``--voice natural`` plays the project's natural-voice answers (tests/data/answers, built by
tests/answer_sets.py) of one ``--kind`` (fluent, thinking, sentence_pause, closer, resume) and
``--split`` (dev, test), one answer per question, in one session; it reports the wait, answers cut
in an inserted pause, words lost on resumption and live vs whole-file WER (benchmarks/natural_turns.py).

Needs the virtual microphone (``tests/audio/virtual-audio``) and the prepared models.
Uses its own VIRTUAL_MIC_DIR so it does not disturb other runs.

Usage:
  python benchmarks/turn_latency.py [--answers 3] [--lengths 15,60,120] [--language en]
         [--stt-model base] [--voice espeak|human] [--json results.json]
  python benchmarks/turn_latency.py --voice natural --kind fluent|thinking|sentence_pause|closer|resume
         --split dev|test [--language en|es] [--answers N (default: all of the split)] [--json results.json]
Timings are wall-clock on this machine; on a shared CPU read them as upper bounds.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_interviewer.bank import QuestionBank  # noqa: E402

VIRTUAL_AUDIO = str(ROOT / "tests" / "audio" / "virtual-audio")
PARTS = [
    ("endpointing", "speech_end", "endpoint"),
    ("transcription", "endpoint", "transcript_ready"),
    ("judging", "transcript_ready", "judged"),
    ("speaking", "judged", "reply_audio_start"),
    ("wait", "speech_end", "reply_audio_start"),
]
QUESTIONS = ["bias-variance", "regularization", "cross-validation", "precision-recall", "backpropagation",
             "gradient-descent-optimizers", "bagging-vs-boosting", "pca"]  # fmt: skip
WPM = 150


def vm(*args: str) -> str:
    r = subprocess.run([VIRTUAL_AUDIO, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"virtual-audio {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


def answer_text(model_answer: str, seconds: float) -> str:
    words = re.sub(r"[.,;:!?()¿¡]", " ", model_answer).split()
    need = int(seconds * WPM / 60)
    out: list[str] = []
    while len(out) < need:
        out.extend(words)
    return " ".join(out[:need]) + "."  # one full stop: the answer ends with a final cadence


def make_wav(text: str, language: str, path: Path) -> float:
    voice = "es" if language == "es" else "en-us"
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(WPM), "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    raw.unlink()
    return speech_span(path)


def human_answer(language: str, seconds: float, rotate: int, path: Path) -> float:
    speech = ROOT / "tests" / "data" / "speech"
    rows = [json.loads(line) for line in (speech / "manifest.jsonl").read_text().splitlines() if line]
    clips = [r for r in rows if r["language"] == language]
    clips = clips[rotate % len(clips):] + clips[:rotate % len(clips)]
    gap = path.with_name("gap.wav")
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(gap), "trim", "0", "0.3"], check=True)
    files: list[str] = []
    total, i = 0.0, 0
    endings = json.loads((ROOT / "benchmarks" / "data" / "clip_endings.json").read_text())["clips"]
    last_ends = False
    while total < seconds or not last_ends:  # an answer ends where a sentence ends
        clip = clips[i % len(clips)]
        last_ends = endings[clip["file"]]["ends_sentence"]
        files += [str(speech / clip["file"]), str(gap)]
        total += clip["seconds"] + 0.3
        i += 1
    subprocess.run(["sox", *files[:-1], "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    return speech_span(path)


def speech_span(path: Path) -> float:
    """Seconds from the first to the last loud sample of a WAV: the speech that was played."""
    x, rate = sf.read(str(path), dtype="float32")
    loud = np.flatnonzero(np.abs(x) > 0.05)
    return float(loud[-1] - loud[0]) / rate if len(loud) else 0.0


def rss_kb(pid: int, field: str = "VmHWM") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def read_status(recordings: Path):
    for path in recordings.glob("*/session.json"):
        try:
            return path, json.loads(path.read_text())
        except (OSError, ValueError):
            return path, None
    return None, None


def run_session(qids, wavs, language, stt_model, work: Path, env: dict, extra: tuple[str, ...] = ()) -> dict | None:
    recordings = work / "recordings"
    cmd = [sys.executable, "-m", "voice_interviewer", "practice", "--followups", "0", "--scorer", "offline",
           "--language", language, "--recordings-dir", str(recordings), "--stt-model", stt_model, *extra]  # fmt: skip
    for q in qids:
        cmd += ["--question", q]
    log = (work / "practice.log").open("w")
    launched = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=work)
    peak = {"main": 0, "worker": 0}
    answered: set[int] = set()
    played_at: dict[int, float] = {}  # turn -> when its answer began to play (session clock)
    player = None
    try:
        while proc.poll() is None:
            peak["main"] = max(peak["main"], rss_kb(proc.pid))
            for child in children(proc.pid):
                peak["worker"] = max(peak["worker"], rss_kb(child))
            _, session = read_status(recordings)
            status = (session or {}).get("status") or {}
            turn = status.get("turn")
            if status.get("state") == "listening" and turn not in answered and turn <= len(wavs):
                if player is not None:
                    player.join()
                answered.add(turn)
                played_at[turn] = time.monotonic()
                player = threading.Thread(target=vm, args=("play", str(wavs[turn - 1])), daemon=True)
                player.start()
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()
    path, session = read_status(recordings)
    if proc.returncode != 0 or session is None:
        tail = (work / "practice.log").read_text(errors="replace")[-1500:]
        print(f"interview failed (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        return None
    first_q = session["turns"][0]["timings"].get("question_start") if session["turns"] else None
    return {
        "turns": session["turns"],
        "played_at": played_at,
        "session_dir": path.parent,
        "time_to_first_question": round(first_q - launched, 3) if first_q else None,
        "peak_rss_mb": {k: round(v / 1024, 1) for k, v in peak.items()},
    }


def ended_early(turn: dict) -> bool:
    """The answer was declared over more than a second before the played speech ended (the
    clips' own silence at their ends is well under that)."""
    tm = turn["timings"]
    if tm.get("speech_start") is None or tm.get("speech_end") is None or "played_s" not in turn:
        return False
    return tm["speech_end"] - tm["speech_start"] < turn["played_s"] - 1.0


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--answers", type=int, help="answers per length (default 3); natural: answers (default all)")
    ap.add_argument("--lengths", default="15,60,120", help="answer lengths in seconds")
    ap.add_argument("--language", default="en", choices=["en", "es"])
    ap.add_argument("--stt-model", default="base")
    ap.add_argument("--voice", default="espeak", choices=["espeak", "human", "natural"])
    ap.add_argument("--kind", default="fluent", help="natural voice: fluent, thinking, sentence_pause, closer, resume")
    ap.add_argument("--split", default="dev", choices=["dev", "test"], help="natural voice: the answers' split")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--barge-in", action="store_true", help="run the sessions with --barge-in (the echo canceller on)")
    ap.add_argument("--headphones", action="store_true",
                    help="the default output looks like headphones (barge-in on by itself, no echo canceller)")
    args = ap.parse_args()
    lengths = [float(x) for x in args.lengths.split(",")]
    if args.voice == "natural":
        import natural_turns

        if args.kind not in natural_turns.KINDS:
            sys.exit(f"--kind must be one of {', '.join(natural_turns.KINDS)}")
    elif args.answers is None:
        args.answers = 3
    if args.voice != "natural" and args.answers > len(QUESTIONS):
        sys.exit(f"--answers at most {len(QUESTIONS)}")

    os.environ.setdefault("VIRTUAL_MIC_DIR", "/tmp/vm-bench")
    vm("start")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for line in vm("env").splitlines():
        key, value = shlex.split(line)[1].split("=", 1)
        env[key] = value
        os.environ[key] = value
    extra = ("--barge-in",) if args.barge_in else ()
    if args.headphones:  # a second null sink whose form factor says headphones, as the default output
        for cmd in (["load-module", "module-null-sink", "sink_name=vheadphones",
                     "sink_properties=device.form_factor=headphone"], ["set-default-sink", "vheadphones"]):
            subprocess.run(["pactl", *cmd], check=True, capture_output=True, env=env)
    if args.voice == "natural":
        try:
            natural_turns.run(args, env, functools.partial(run_session, extra=extra))
        finally:
            vm("stop")
        return
    bank = QuestionBank.load(None)
    qids = QUESTIONS[: args.answers]
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="vi-bench-") as tmp:
            for length in lengths:
                work = Path(tmp) / f"{int(length)}s"
                work.mkdir()
                wavs, played = [], []
                for i, qid in enumerate(qids):
                    wavs.append(work / f"answer-{i + 1}.wav")
                    if args.voice == "human":
                        played.append(human_answer(args.language, length, i * 2 + 1, wavs[-1]))
                        continue
                    text = answer_text(bank.get(qid).model_answer.get(args.language), length)
                    played.append(make_wav(text, args.language, wavs[-1]))
                print(f"answers of ~{length:.0f} s: running {len(qids)} turns …", file=sys.stderr, flush=True)
                res = run_session(qids, wavs, args.language, args.stt_model, work, env, extra)
                if res is None:
                    continue
                res["length_s"] = length
                for t, seconds in zip(res["turns"], played):
                    t["played_s"] = round(seconds, 2)
                results.append(res)
    finally:
        vm("stop")

    print(f"\nTurn latency, offline judge, STT {args.stt_model}, language {args.language}, {args.voice} voice, "
          f"{args.answers} answer(s) per length (seconds; p50 / p95)")  # fmt: skip
    header = f"{'answer':>8} " + " ".join(f"{name:>15}" for name, _, _ in PARTS) + f" {'heard s':>15} {'first question':>15} {'peak RSS MB':>14}"
    print(header)
    for res in results:
        cells = []
        for _name, a, b in PARTS:
            vals = [t["timings"][b] - t["timings"][a] for t in res["turns"]
                    if t["timings"].get(a) is not None and t["timings"].get(b) is not None]  # fmt: skip
            p50, p95 = pct(vals, 50), pct(vals, 95)
            cells.append(f"{p50:6.2f} / {p95:6.2f}" if p50 is not None else f"{'-':>15}")
        heard = [t["timings"]["speech_end"] - t["timings"]["speech_start"] for t in res["turns"]
                 if t["timings"].get("speech_start") is not None and t["timings"].get("speech_end") is not None]  # fmt: skip
        cells.append(f"{statistics.median(heard):6.1f}" if heard else "-")
        rss = res["peak_rss_mb"]
        print(f"{res['length_s']:>7.0f}s " + " ".join(f"{c:>15}" for c in cells)
              + f" {res['time_to_first_question'] or float('nan'):>15.2f} {rss['main']:>7.0f}+{rss['worker']:<6.0f}")  # fmt: skip
    all_waits = [t["timings"]["wait"] for r in results for t in r["turns"] if t["timings"].get("wait") is not None]
    if all_waits:
        print(f"all answers: wait p50 {pct(all_waits, 50):.2f} s, p95 {pct(all_waits, 95):.2f} s "
              f"(n={len(all_waits)}); RSS is interview process + speech worker")  # fmt: skip
        whole = [t["timings"]["wait"] for r in results for t in r["turns"]
                 if t["timings"].get("wait") is not None and not ended_early(t)]
        print(f"answers heard to their end: {len(whole)} of {len(all_waits)}"
              + (f", their wait p50 {pct(whole, 50):.2f} s, p95 {pct(whole, 95):.2f} s" if whole else ""))
    for res in results:
        for t in res["turns"]:
            tm = t["timings"]
            last = ""
            if tm.get("last_chunk_start") is not None and tm.get("speech_end") is not None:
                last = (f", last piece {tm['last_chunk_s']:.1f} s of audio begun "
                        f"{tm['last_chunk_start'] - tm['speech_end']:+.2f} s after speech end")
            heard = (tm["speech_end"] - tm["speech_start"]) if tm.get("speech_start") is not None else 0.0
            print(f"  {res['length_s']:.0f}s turn {t['index']}: heard {len(t['answer'].split())} words "
                  f"({heard:.1f} of {t.get('played_s', 0):.1f} s{', ended early' if ended_early(t) else ''}), "
                  f"score {t['score']}, wait {tm.get('wait')}{last}", file=sys.stderr)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
