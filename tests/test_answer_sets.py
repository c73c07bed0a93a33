"""The natural-voice answer clips (tests/data/answers) and the answer kinds built from them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from answer_sets import DATA, KINDS, RATE, answer_set, build, clip_audio, clips, manifest, words_of

from voice_interviewer.bank import QuestionBank

ROOT = Path(__file__).resolve().parent.parent


def silences(audio: np.ndarray, floor_db: float = -45.0) -> list[tuple[float, float]]:
    """(start, seconds) of the quiet stretches between the first and the last sound (10 ms frames
    more than ``floor_db`` below the loudest one)."""
    n = RATE // 100
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    db = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)
    quiet = np.concatenate([[0], (db < db.max() + floor_db).astype(int), [0]])
    edges = np.flatnonzero(np.diff(quiet))
    return [(a / 100, (b - a) / 100) for a, b in zip(edges[::2], edges[1::2]) if a > 0 and b < len(frames)]


@pytest.mark.unit
def test_the_manifest_matches_the_stored_files():
    rows = manifest()
    stored = {str(p.relative_to(DATA)) for p in DATA.glob("*/*.ogg")}
    assert stored == {r.file for r in rows}
    assert len({r.id for r in rows}) == len(rows)
    for r in rows:
        info = sf.info(str(DATA / r.file))
        assert (info.samplerate, info.channels, info.format, info.subtype) == (RATE, 1, "OGG", "OPUS"), r.id
        assert info.frames / RATE == pytest.approx(r.duration, abs=0.01), r.id
        ends = [b.at for b in r.sentence_ends]
        assert len(ends) == len(re.findall(r"[.!?](?:\s|$)", r.text)), r.id
        assert ends == sorted(ends) and 0 < ends[-1] <= r.duration, r.id
        assert r.sentence_ends[-1].words_before == len(r.text.split()), r.id
        assert all(0 < g.at < r.duration and 0 < g.words_before < len(r.text.split()) for g in r.word_gaps), r.id
    total = sum(p.stat().st_size for p in (ROOT / "tests" / "data").rglob("*") if p.is_file())
    assert total <= 30 * 2**20


@pytest.mark.unit
def test_the_answers_cover_the_bank_in_both_languages_with_fixed_splits():
    bank = QuestionBank.load(None)
    for language in ("en", "es"):
        answers = clips(language)
        assert len(answers) >= 40
        assert {c.question_id for c in answers} <= set(bank.questions)
        assert len({bank.questions[c.question_id].category for c in answers}) == 5
        assert all(40 <= len(c.text.split()) <= 70 and 2 <= len(c.sentence_ends) <= 4 for c in answers)
        assert 20 <= len(clips(language, split="dev")) <= 0.5 * len(answers)
        for role in ("closer", "going_on"):
            assert {c.split for c in clips(language, role)} == {"dev", "test"}
    split = {}
    for c in clips():
        assert split.setdefault(c.question_id, c.split) == c.split, f"{c.question_id} is in both splits"


@pytest.mark.unit
def test_stored_answers_are_fluent_with_no_silence_over_0_6_s():
    for clip in manifest():
        longest = max((s for _, s in silences(clip_audio(clip))), default=0.0)
        assert longest <= 0.6, f"{clip.id}: {longest:.2f} s of silence inside"


@pytest.mark.unit
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_inserts_what_it_says(kind):
    answers = answer_set("en", kind, "dev", limit=4) + answer_set("es", kind, "test", limit=4)
    assert len(answers) == 8
    for a in answers:
        fluent = clip_audio(next(c for c in manifest() if c.id == a.clip_id))
        assert a.audio.dtype == np.float32 and a.id == f"{a.clip_id}:{kind}"
        assert a.speech_end <= a.duration
        marked = np.concatenate([a.audio, np.zeros(RATE // 5, np.float32), np.full(RATE // 10, 0.5, np.float32)])
        last_sound = silences(marked)[-1][0]  # (a voice's last 0.1-0.2 s fade under the floor)
        assert a.speech_end - 0.25 < last_sound <= a.speech_end + 0.05, "speech_end is the end of the last sound"
        if kind == "fluent":
            assert not a.pauses and np.array_equal(a.audio, fluent) and a.words_after_pause()
            continue
        (pause,) = a.pauses
        start = int(round(pause.start * RATE))
        assert not a.audio[start: start + int(pause.seconds * RATE)].any(), "the pause is silence"
        assert np.array_equal(a.audio[:start], fluent[:start])
        hole = [s for at, s in silences(a.audio) if abs(at - pause.start) < 0.3]
        assert hole and max(hole) >= pause.seconds - 0.02  # 10 ms frames
        lo, hi = {"thinking": (1.5, 3.0), "sentence_pause": (1.0, 2.0), "closer": (0.3, 0.3), "resume": (1.2, 2.5)}[kind]
        assert lo <= pause.seconds <= hi
        before = a.text.split()[: pause.words_before]
        if kind == "thinking":
            d = len(fluent) / RATE
            assert d / 3 <= pause.start <= 2 * d / 3
            assert not re.search(r"[.,;:!?]$", before[-1]), "inside a clause"
            assert len(a.audio) == len(fluent) + int(round(pause.seconds * RATE))
        if kind == "sentence_pause":
            assert before[-1].endswith((".", "?", "!")) and len(a.words_after_pause()) > 3
        if kind in ("closer", "resume"):
            role = "closer" if kind == "closer" else "going_on"
            extra = [c for c in clips(a.language, role, a.split) if a.text.endswith(" " + c.text)]
            assert len(extra) == 1 and np.array_equal(a.audio[-len(clip_audio(extra[0])):], clip_audio(extra[0]))
            assert " ".join(a.text.split()[pause.words_before:]) == extra[0].text
    if kind not in ("fluent", "closer"):  # the lengths are drawn per answer
        assert len({a.pauses[0].seconds for a in answers}) > 1


@pytest.mark.unit
def test_kinds_are_the_same_every_time_and_bad_kinds_are_refused():
    clip = clips("es", split="dev")[0]
    a, b = build(clip, "thinking"), build(clip, "thinking")
    assert a.pauses == b.pauses and np.array_equal(a.audio, b.audio)
    with pytest.raises(ValueError, match="unknown answer kind"):
        build(clip, "mumbling")
    with pytest.raises(ValueError, match="not an answer"):
        build(clips("es", "closer")[0], "fluent")


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "es"])
def test_whisper_hears_the_language_and_the_words_of_the_clips(language, whisper_transcriber):
    for clip in clips(language)[::12] + clips(language, "going_on")[:1]:
        heard, p = whisper_transcriber.detect_language(clip_audio(clip))
        assert heard == language and p > 0.8, f"{clip.id}: {heard} p={p:.2f}"
    for clip in clips(language, "closer"):  # two to four words: too short to tell the language by
        said = words_of(clip.text)
        heard = words_of(whisper_transcriber.transcribe(clip_audio(clip), language).text)
        assert len(set(said) & set(heard)) * 2 >= len(said), f"{clip.id}: {heard}"
