"""Turn taking on natural-voice answers through the virtual microphone: the ``--voice natural``
part of ``turn_latency.py``.

The answers are the project's natural-voice clips (tests/data/answers: Piper ``en_US-joe-medium``
for English, Kokoro ``jf_nezumi`` for Spanish) built as one kind by ``tests/answer_sets.py``:
``fluent``, ``thinking`` (a 1.5-3 s pause inside a clause), ``sentence_pause`` (1-2 s after a
sentence), ``closer`` ("That's all." after 0.3 s) or ``resume`` (a going-on sentence after
1.2-2.5 s). One ``practice`` session asks the answers' questions in turn and each answer is played
when session.json says ``listening``. Reported for the language:

- wait p50/p95: reply_audio_start - speech_end (the listener's end of speech), and the same from
  the true end of the played speech (play start + the answer's speech end; the player's start-up
  makes it read up to ~0.1 s short);
- answers ended early: the listener's speech end is over 1 s before the true end (any kind, e.g. a
  fluent answer ended at the 0.3-0.5 s gap after a sentence);
- answers cut: the saved answer lacks most (over half) of the words said after the inserted pause,
  i.e. the answer was ended in the pause (``resume``: before the going-on sentence);
- words lost on resumption (``resume``): words of the going-on sentence found neither in that
  turn's saved answer nor in the next one's (where they land when the answer was ended early);
- live vs whole-file WER: the saved turn transcript, and a whole-file Whisper pass over the turn's
  saved WAV with the same model (one pass per WAV when the answer went on over the reaction), both
  against the reference text (pooled over the answers);
- answers that went on over the reaction: with barge-in, the answer was ended, the interviewer
  began its reaction and the candidate talked over it (the turn's ``turn-NN-more-K.wav`` parts);
  the wait is then measured from the end of the last part.

Run through turn_latency.py, e.g.
  python benchmarks/turn_latency.py --voice natural --kind thinking --split dev --language es --answers 22
"""

from __future__ import annotations

import difflib
import json
import statistics
import sys
import tempfile
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from answer_sets import KINDS, RATE, SpokenAnswer, answer_set, clips, words_of  # noqa: E402

__all__ = ["KINDS", "run"]


def found(said: list[str], heard: list[str], min_run: int = 1) -> int:
    """How many of ``said`` appear in ``heard`` in the same order, in runs of ``min_run`` or more words."""
    sm = difflib.SequenceMatcher(a=said, b=heard, autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks() if b.size >= min_run)


def going_on_lost(after: list[str], heard: list[str], next_answer: str) -> int:
    """Words of the going-on sentence neither in this turn's answer nor at the start of the next one
    (where they land when this answer was ended early), counted in runs of two or more words so that
    common words said elsewhere do not count."""
    head = words_of(next_answer)[: len(after) + 5]
    return len(after) - found(after, heard + head, min_run=2)


def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def wer(refs: list[str], hyps: list[str]) -> float | None:
    import jiwer

    pairs = [(" ".join(words_of(r)), " ".join(words_of(h)) or "-") for r, h in zip(refs, hyps)]
    return round(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]), 3) if pairs else None


def turn_rows(answers: list[SpokenAnswer], session: dict, session_dir: Path, stt_model: str) -> list[dict]:
    """One row per answer: timings, what was heard, and the whole-file transcript of its WAV."""
    from voice_interviewer.hearing.whisper import WhisperTranscriber

    whisper = WhisperTranscriber(stt_model, threads=2, progress=False)
    turns = {t["index"]: t for t in session["turns"]}
    rows = []
    for i, a in enumerate(answers, 1):
        t = turns.get(i)
        if t is None:
            continue
        tm, played = t["timings"], session["played_at"].get(i)
        heard = words_of(t.get("live_answer") or t["answer"])
        after = a.words_after_pause()
        # live: what was heard while the candidate spoke; saved: the text judged and kept (the
        # second hearing of the whole recording, when it read the answer otherwise)
        row = {"id": a.id, "text": a.text, "live": t.get("live_answer") or t["answer"], "saved": t["answer"],
               "wait": tm.get("wait"), "timings": tm,
               "pauses": [p.model_dump() for p in a.pauses], "speech_end_true": a.speech_end,
               "after_pause_found": f"{found(after, heard)}/{len(after)}"}  # fmt: skip
        if played is not None and tm.get("reply_audio_start") is not None:
            row["wait_true_end"] = round(tm["reply_audio_start"] - (played + a.speech_end), 3)
        if played is not None and tm.get("speech_end") is not None:
            row["heard_end_minus_true_end"] = round(tm["speech_end"] - (played + a.speech_end), 3)
        row["cut"] = bool(a.pauses) and found(after, heard) * 2 < len(after)
        row["ended_at"] = ended_at(row, a)
        if a.kind == "resume":
            row["going_on_lost"] = going_on_lost(after, heard, turns.get(i + 1, {}).get("answer", ""))
            row["going_on_words"] = len(after)
        went_on = sorted(session_dir.glob(f"turn-{i:02d}-more-*.wav"))  # parts said over the reaction
        row["went_on"] = len(went_on)
        if t.get("audio_file"):  # one pass per WAV: the answer, then each part said over the reaction
            row["whole_file"] = " ".join(whisper.transcribe(f, a.language).text
                                         for f in [session_dir / t["audio_file"], *went_on])
        rows.append(row)
    return rows


PARTS = [("endpointing", "speech_end", "endpoint"), ("transcription", "endpoint", "transcript_ready"),
         ("judging", "transcript_ready", "judged"), ("speaking", "judged", "reply_audio_start")]  # fmt: skip


def ended_at(row: dict, a: SpokenAnswer) -> str | None:
    """Where an answer ended early (the listener's end over 1 s before the true end): ``pause`` (within
    0.6 s of the last inserted pause's start), ``before`` it, ``after`` it, or ``sentence`` when no
    pause was inserted; None when it was heard to its end."""
    early = row.get("heard_end_minus_true_end")
    if early is None or early >= -1.0:
        return None
    if not a.pauses:
        return "sentence"
    end, start = a.speech_end + early, a.pauses[-1].start
    return "pause" if abs(end - start) < 0.6 else "before" if end < start else "after"


def summary(rows: list[dict], answers: list[SpokenAnswer]) -> dict:
    def p50_95(key: str) -> list[float | None]:
        vals = [r[key] for r in rows if r.get(key) is not None]
        return [round(pct(vals, 50), 2), round(pct(vals, 95), 2)] if vals else [None, None]

    for r in rows:
        tm = r["timings"]
        for name, a, b in PARTS:
            if tm.get(a) is not None and tm.get(b) is not None:
                r[name] = round(tm[b] - tm[a], 3)

    scored = [r for r in rows if "whole_file" in r]
    out = {"answers": len(answers), "turns": len(rows), "wait": p50_95("wait"),
           "wait_true_end": p50_95("wait_true_end"), **{name: p50_95(name) for name, _, _ in PARTS}, "heard_end_minus_true_end": p50_95("heard_end_minus_true_end"),
           "cut": sum(r["cut"] for r in rows) if any(a.pauses for a in answers) else None,
           "ended_early": sum(r["ended_at"] is not None for r in rows),
           "ended_at": {w: sum(r["ended_at"] == w for r in rows) for w in ("before", "pause", "after", "sentence")},
           "wer_live": wer([r["text"] for r in scored], [r["live"] for r in scored]),
           "wer_saved": wer([r["text"] for r in scored], [r["saved"] for r in scored]),
           "wer_whole_file": wer([r["text"] for r in scored], [r["whole_file"] for r in scored])}  # fmt: skip
    whole = [r for r in scored if r["ended_at"] is None]  # heard to the end: recognition alone
    out["heard_to_end"] = len(whole)
    out["wer_live_heard_to_end"] = wer([r["text"] for r in whole], [r["live"] for r in whole])
    out["wer_whole_file_heard_to_end"] = wer([r["text"] for r in whole], [r["whole_file"] for r in whole])
    out["went_on"] = sum(r.get("went_on", 0) > 0 for r in rows)
    if answers and answers[0].kind == "resume":
        out["going_on_lost"] = [sum(r["going_on_lost"] for r in rows), sum(r["going_on_words"] for r in rows)]
    return out


def run(args, env: dict, run_session) -> None:
    """Play ``args.answers`` answers of ``args.kind`` from ``args.split`` in one session and report."""
    answers = answer_set(args.language, args.kind, args.split, limit=args.answers)
    if not answers:
        sys.exit(f"no {args.language} answers in split {args.split}")
    if args.answers and len(answers) < args.answers:
        print(f"only {len(answers)} {args.language} answers in split {args.split} "
              f"(of {len(clips(args.language))})", file=sys.stderr)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="vi-natural-") as tmp:
        work = Path(tmp)
        wavs = []
        for i, a in enumerate(answers, 1):
            wavs.append(work / f"answer-{i}.wav")
            sf.write(str(wavs[-1]), a.audio, RATE, subtype="PCM_16")
        print(f"{len(answers)} {args.language} {args.kind} answers ({args.split}): running one session …",
              file=sys.stderr, flush=True)  # fmt: skip
        res = run_session([a.question_id for a in answers], wavs, args.language, args.stt_model, work, env)
        if res is None:
            sys.exit("the session failed")
        rows = turn_rows(answers, res, res["session_dir"], args.stt_model)
    s = summary(rows, answers)
    print(f"\nNatural voice, {args.language}, kind {args.kind}, split {args.split}, STT {args.stt_model}: "
          f"{s['turns']} turns of {s['answers']} answers")  # fmt: skip
    print(f"  wait p50/p95 {s['wait'][0]} / {s['wait'][1]} s (from the listener's speech end); "
          f"from the true end {s['wait_true_end'][0]} / {s['wait_true_end'][1]} s")  # fmt: skip
    print("  parts of the wait, p50/p95: " + ", ".join(f"{n} {s[n][0]} / {s[n][1]} s" for n, _, _ in PARTS))
    print(f"  listener's speech end minus the true end: p50 {s['heard_end_minus_true_end'][0]} s, "
          f"p95 {s['heard_end_minus_true_end'][1]} s")  # fmt: skip
    where = ", ".join(f"{w} {n}" for w, n in s["ended_at"].items() if n)
    print(f"  ended early (the listener's speech end over 1 s before the true end): {s['ended_early']} of "
          f"{s['turns']}" + (f" ({where}; before/after: at a sentence gap before/after the inserted pause)" if where else ""))
    if s["cut"] is not None:
        print(f"  answers cut (ended in the inserted pause): {s['cut']} of {s['turns']}")
    print(f"  answers that went on over the reaction (barge-in): {s['went_on']} of {s['turns']}")
    if "going_on_lost" in s:
        print(f"  words lost on resumption: {s['going_on_lost'][0]} of {s['going_on_lost'][1]}")
    print(f"  WER live {s['wer_live']}, saved (judged) {s['wer_saved']}, whole file {s['wer_whole_file']}; on the {s['heard_to_end']} answers heard "
          f"to their end: live {s['wer_live_heard_to_end']}, whole file {s['wer_whole_file_heard_to_end']}")
    for r in rows:
        print(f"  {r['id']}: wait {r['wait']}, true-end wait {r.get('wait_true_end')}, cut {r['cut']}, "
              f"after pause {r['after_pause_found']}" + (f", going-on lost {r['going_on_lost']}"
              if "going_on_lost" in r else ""), file=sys.stderr)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"summary": s, "rows": rows}, indent=1, ensure_ascii=False))
