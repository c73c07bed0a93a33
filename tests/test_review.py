"""Review logic (stats, highlighting, charts, export, progress, spaced repetition, replay
steering) and the review commands' listing and error paths, driven as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import time
import sys
from datetime import datetime, timedelta, timezone

import pytest

from review_fixture import build_session
from voice_interviewer.bank import QuestionBank
from voice_interviewer.errors import AudioError, DeviceError, SessionError
from voice_interviewer.schema import KeyPointResult, Session, Turn
from voice_interviewer.review import charts, export, highlight, progress, schedule, stats
from voice_interviewer.review.replay import Replayer
from voice_interviewer.store import SessionStore

import review_fixture
from fakes import FakeReplayPlayer, ScriptedKeys

pytestmark = pytest.mark.unit  # no model, device, server or browser

UTC = timezone.utc


def vi(*args, input="", timeout=120):
    env = {k: v for k, v in os.environ.items() if k != "VOICE_INTERVIEWER_RECORDINGS_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "voice_interviewer", *args],
        input=input, capture_output=True, text=True, env=env, timeout=timeout,
    )


def one_line_error(r) -> str:
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A recordings dir with an English and a Spanish session (real espeak-ng audio)."""
    root = tmp_path_factory.mktemp("rec")
    return root, build_session(root, "en"), build_session(root, "es")


def scored_session(sid: str, started: datetime, scores: dict[str, float | None]) -> Session:
    turns = [
        Turn(index=i, question_id=q, category="fundamentals", question_text=q, score=s, skipped=s is None,
             answer="" if s is None else "an answer")
        for i, (q, s) in enumerate(scores.items(), 1)
    ]
    return Session(id=sid, started_at=started, state="completed", turns=turns)


# -- statistics, highlighting, charts ---------------------------------------------------------

def test_percentile_and_session_stats(recorded):
    assert stats.percentile([], 50) is None
    assert stats.percentile([3.0], 95) == 3.0
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == pytest.approx(9.55)
    _, en, _ = recorded
    st = stats.session_stats(en)
    assert (st.turns, st.answered, st.skipped, st.follow_ups, st.questions) == (3, 2, 1, 1, 2)
    assert st.mean_score == pytest.approx((7.5 + 10) / 2, abs=0.01)
    assert st.by_category == {"fundamentals": pytest.approx(8.75, abs=0.01)}
    assert st.wait_p50 == pytest.approx(1.05, abs=0.01) and st.wait_p95 > st.wait_p50
    assert st.fillers == 1 and st.long_pauses == 1 and st.duration_s == 200


def test_highlight_maps_folded_evidence_back_to_the_spoken_words():
    results = [
        KeyPointResult(id="a", statement="Regularización <L2>", verdict="covered", evidence="regularizacion l2, dropout, dropout"),
        KeyPointResult(id="b", statement="b", verdict="partly", evidence="early stopping"),
        KeyPointResult(id="c", statement="c", verdict="missing", evidence="uso"),
    ]
    html = str(highlight.highlight("Uso la Regularización L2 y <dropout>, también early-stopping. Eh", results, ["eh"]))
    assert '<mark class="kp-covered" title="Regularización &lt;L2&gt;">Regularización L2</mark>' in html
    assert "&lt;<mark class=\"kp-covered\"" in html and "dropout</mark>&gt;" in html  # user text escaped
    assert '<mark class="kp-partly" title="b">early-stopping</mark>' in html
    assert "Uso la" in html and "<mark class=\"kp-missing\"" not in html  # missing points are not marked
    assert html.endswith('<mark class="kp-filler" title="filler">Eh</mark>')
    # word boundaries: "drop" must not match inside "dropout"
    only = highlight.find_spans("dropout", [KeyPointResult(id="x", statement="x", verdict="covered", evidence="drop")])
    assert only == []
    assert highlight.evidence_display("a, b, b") == "a, b"


def test_charts_are_inline_svg_without_namespaces_and_escape_labels():
    svg = str(charts.bar_chart([charts.Bar("<q>", 7.5, href="#turn-1"), charts.Bar("2", None)], "T", ymax=10))
    assert svg.startswith("<svg") and "xmlns" not in svg and "http" not in svg
    assert svg.count('<rect class="bar') == 1 and "&lt;q&gt;" in svg and 'href="#turn-1"' in svg
    line = str(charts.line_chart({"a": [1, None, 3], "b": [2, 2, 2]}, ["x", "y", "z"], "L"))
    assert line.count("<polyline") == 2 and line.count("<circle") == 5  # series a joins over its gap
    assert charts._nice_max([7.2], 1) == 10 and charts._nice_max([173], 1) == 200


# -- export -------------------------------------------------------------------------------------

def test_export_markdown_and_json(recorded):
    _, en, es = recorded
    md = export.to_markdown(en)
    assert md.startswith(f"# Interview report: {en.id}")
    assert "## Turn 2 (Follow-up): 10.0/10" in md and "## Turn 3: Skipped" in md
    assert "✘ More data or augmentation" in md and "“regularization like dropout”" in md
    assert "Informe de la entrevista" in export.to_markdown(es) and "Saltada" in export.to_markdown(es)
    data = json.loads(export.to_json(en))
    assert data["stats"]["skipped"] == 1
    assert Session.model_validate(data).turns[0].score == en.turns[0].score


def test_markdown_export_neutralises_user_markup():
    s = scored_session("x", datetime(2026, 1, 1, tzinfo=UTC), {"q": 5.0})
    s.turns[0].answer = "# not a heading\n<script>alert(1)</script> *bold*"
    md = export.to_markdown(s)
    assert "> \\# not a heading \\<script\\>alert(1)\\</script\\> \\*bold\\*" in md


# -- spaced repetition --------------------------------------------------------------------------

def test_weak_first_orders_by_spaced_repetition(tmp_path):
    bank = QuestionBank(review_fixture.QUESTIONS + [
        q.model_copy(update={"id": qid}) for q, qid in
        ((review_fixture.QUESTIONS[1], "never-asked"), (review_fixture.QUESTIONS[1], "mastered"),
         (review_fixture.QUESTIONS[1], "middling"))
    ])
    store = SessionStore(tmp_path)
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    store.create(scored_session("s1", now - timedelta(days=10),
                                {"overfitting": 9.0, "mastered": 8.0, "middling": 6.0, "precision-recall": 8.0}))
    store.create(scored_session("s2", now - timedelta(days=2),
                                {"overfitting": 3.0, "mastered": 9.0, "precision-recall": None}))
    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "session.json").write_text("{")
    items = {i.question_id: i for i in schedule.review_items(store, bank, now)}
    assert items["overfitting"].box == 0 and items["precision-recall"].box == 0  # weak, skipped
    assert items["middling"].box == 1 and items["mastered"].box == 2
    order = schedule.weak_first(store, bank, 5, now)
    # due and weak first (skip = 0 before 3.0), then middling (due after 1 day), then unseen,
    # and the mastered one (due in 3 days from s2: 1 day left) last
    assert order == ["precision-recall", "overfitting", "middling", "never-asked", "mastered"]
    assert schedule.weak_first(store, bank, 2, now) == order[:2]
    # a week later the mastered question is due too, after the weak ones
    later = schedule.weak_first(store, bank, 5, now + timedelta(days=7))
    assert later.index("mastered") < later.index("never-asked")
    assert schedule.weak_first(store, bank, 5, now, category="practical") == ["precision-recall", "middling", "never-asked", "mastered"]
    assert schedule.weak_first(SessionStore(tmp_path / "empty"), bank, 2, now) == ["overfitting", "precision-recall"]


# -- progress -----------------------------------------------------------------------------------

def test_progress_trends_and_weakest(tmp_path):
    store = SessionStore(tmp_path)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    build_session(tmp_path, "en", "a", t0, scores_only=True)
    store.create(scored_session("b", t0 + timedelta(days=1), {"precision-recall": 2.0}))
    (tmp_path / "half").mkdir()  # a folder whose session.json was never written
    prog = progress.build_progress(store)
    assert [p.id for p in prog.sessions] == ["a", "b"] and prog.damaged == ["half"]
    assert prog.questions[0].question_id == "precision-recall" and prog.questions[0].scores == [0.0, 2.0]
    assert prog.key_points[0].key_point == "more-data" and prog.key_points[0].missed == 1
    series = progress.trend_series(prog)["scores"]
    assert series["fundamentals"] == [pytest.approx(8.75, abs=0.01), 2.0]
    html = progress.render_progress(prog)
    assert html.count('<svg class="chart"') == 3 and "http://" not in html and "https://" not in html
    assert prog.review_next == []  # no bank given
    rows = progress.build_progress(store, QuestionBank(review_fixture.QUESTIONS)).review_next
    # precision-recall: skipped, then 2.0 -> box 0, due now; overfitting: 7.5 a while ago -> box 1, 1 day
    assert [(r.question_id, r.box, r.due) for r in rows] == [("precision-recall", 0, "now"), ("overfitting", 1, "now")]


# -- replay steering (logic, with a fake player and scripted keys) ------------------------------

def replayer(session, root, keys, player):
    from rich.console import Console

    return Replayer(session, root / session.id, Console(file=open(os.devnull, "w")), lambda t: t.answer,
                    player_factory=lambda: player, keys=keys)


def test_replay_walks_and_steers(recorded):
    root, en, _ = recorded
    player = FakeReplayPlayer()
    played = replayer(en, root, ScriptedKeys([], ["n", "n"]), player).run()
    assert played == ["turn-01-question.wav", "turn-01.wav", "turn-02-question.wav", "turn-02.wav",
                      "turn-03-question.wav"]  # turn 3 was skipped: no answer audio
    # during turn 1's question: skip it ("s"); after turn 1: repeat ("r"); then back from turn 2 ("b"); then quit
    player = FakeReplayPlayer()
    keys = ScriptedKeys(["s"], ["r", "n", "b", "q"])
    played = replayer(en, root, keys, player).run()
    assert played == ["turn-01-question.wav", "turn-01.wav",  # question skipped, answer played
                      "turn-01-question.wav", "turn-01.wav",  # repeated
                      "turn-02-question.wav", "turn-02.wav",  # next
                      "turn-01-question.wav", "turn-01.wav"]  # back, then quit
    assert player.stopped == 1
    assert replayer(en, root, ScriptedKeys([], []), FakeReplayPlayer()).run(only_turn=2) == [
        "turn-02-question.wav", "turn-02.wav"]
    with pytest.raises(SessionError, match="has no turn 7"):
        replayer(en, root, ScriptedKeys([], []), FakeReplayPlayer()).run(only_turn=7)


def test_missing_portaudio_is_a_device_error(monkeypatch):
    from voice_interviewer.review.clips import SoundDeviceReplayPlayer

    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(DeviceError, match="cannot play audio"):
        SoundDeviceReplayPlayer()


def test_audio_paths_stay_inside_the_session(tmp_path):
    from voice_interviewer.review.clips import audio_path, read_audio

    (tmp_path / "s").mkdir()
    assert audio_path(tmp_path / "s", "turn-01.wav") is None  # not recorded: no player, no error
    with pytest.raises(AudioError, match="outside the session folder"):
        audio_path(tmp_path / "s", "../../etc/passwd")
    bad = tmp_path / "s" / "turn-01.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(AudioError, match="turn-01.wav: cannot read audio"):
        read_audio(bad)


# -- the commands, as a user runs them ----------------------------------------------------------

@pytest.fixture
def messy(tmp_path):
    """Two good sessions, a half-written one (no session.json), a corrupt one, and an unfinished one."""
    root = tmp_path / "rec"
    good = build_session(root, "en", scores_only=True)
    other = build_session(root, "es", scores_only=True)
    (root / "20261126-000000").mkdir()
    (root / "20261127-000000").mkdir()
    (root / "20261127-000000" / "session.json").write_text('{"id": "20261127-000000", "turns": [')
    unfinished = scored_session("20261128-000000", datetime(2026, 11, 28, tzinfo=UTC), {"q": 4.0})
    unfinished.state, unfinished.finished_at = "in_progress", None
    SessionStore(root).create(unfinished)
    return root, good, other


def test_sessions_lists_damaged_and_unfinished(messy):
    root, good, other = messy
    r = vi("sessions", "--json", "--recordings-dir", str(root))
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows[good.id]["questions"] == 2 and rows[good.id]["mean_score"] == pytest.approx(8.75, abs=0.01)
    assert rows[good.id]["duration_s"] == 200 and rows[other.id]["language"] == "es"
    assert rows["20261126-000000"]["state"] == "damaged" and "no session.json" in rows["20261126-000000"]["error"]
    assert rows["20261127-000000"]["state"] == "damaged" and "not valid JSON" in rows["20261127-000000"]["error"]
    assert rows["20261128-000000"]["state"] == "in_progress"
    r = vi("sessions", "--recordings-dir", str(root))
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert good.id in r.stdout and "unfinished" in r.stdout
    notes = [line for line in r.stdout.splitlines() if line.startswith("damaged ")]
    assert len(notes) == 2 and "20261126-000000" in notes[0] and "20261127-000000" in notes[1]


COMMANDS = [
    ["export", "{sid}", "--format", "md"],
    ["export", "{sid}", "--format", "json"],
    ["report", "{sid}", "-o", "{tmp}/r.html"],
    ["replay", "{sid}", "--no-audio"],
    ["delete", "{sid}", "--yes"],
]
BAD_IDS = [
    ("20991231-000000", "unknown session"),
    ("../20261125-100000", "invalid session id"),
    ("/etc", "invalid session id"),
    ("20261127-000000", "not valid JSON"),
    ("20261126-000000", "no session.json"),
]


@pytest.mark.parametrize("command, sid, expected", [
    (c, sid, e) for c in COMMANDS for sid, e in BAD_IDS
    # a damaged session can be deleted: that is how it is cleaned up (tested below)
    if not (c[0] == "delete" and e in ("not valid JSON", "no session.json"))
])
def test_bad_ids_are_one_clear_line(messy, tmp_path, command, sid, expected):
    root, good, other = messy
    args = [a.format(sid=sid, tmp=tmp_path) for a in command]
    assert expected in one_line_error(vi(*args, "--recordings-dir", str(root)))
    assert SessionStore(root).load(good.id).turns == good.turns  # others unharmed
    assert SessionStore(root).load(other.id).id == other.id


def test_export_to_file_and_stdout(messy, tmp_path):
    root, good, _ = messy
    r = vi("export", good.id, "--format", "json", "--recordings-dir", str(root))
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == good.id
    out = tmp_path / "s.md"
    r = vi("export", "latest", "-f", "md", "-o", str(out), "--recordings-dir", str(root))
    assert r.returncode == 0 and r.stdout == ""
    assert out.read_text().startswith("# Interview report: 20261128-000000")  # the most recent one
    assert "unknown export format 'pdf'" in one_line_error(vi("export", good.id, "-f", "pdf", "--recordings-dir", str(root)))


def test_delete_asks_and_keeps_others(messy):
    root, good, other = messy
    line = one_line_error(vi("delete", good.id, "--recordings-dir", str(root), input="y\n"))
    assert "without confirmation" in line and (root / good.id).is_dir()  # stdin is not a terminal
    r = vi("delete", good.id, "--yes", "--recordings-dir", str(root))
    assert r.returncode == 0, r.stderr
    assert not (root / good.id).exists() and SessionStore(root).load(other.id).id == other.id
    r = vi("delete", "20261126-000000", "--yes", "--recordings-dir", str(root))  # a damaged one
    assert r.returncode == 0 and not (root / "20261126-000000").exists()
    assert "unknown session" in one_line_error(vi("delete", good.id, "--yes", "--recordings-dir", str(root)))


def test_progress_command(messy, tmp_path):
    root, good, _ = messy
    page = tmp_path / "out" / "progress.html"
    r = vi("progress", "--html", str(page), "--recordings-dir", str(root))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""  # the page, not the tables as well
    assert "damaged" in r.stderr and "Traceback" not in r.stderr
    r = vi("progress", "--recordings-dir", str(root))
    assert "precision-recall" in r.stdout and "Score trend per category" in r.stdout or "Evolución" in r.stdout
    assert page.read_text().count('<svg class="chart"') == 3
    r = vi("progress", "--json", "--recordings-dir", str(root))
    assert len(json.loads(r.stdout)["sessions"]) == 3
    r = vi("progress", "--recordings-dir", str(tmp_path / "nothing"))
    assert r.returncode == 0 and "No readable sessions" in r.stderr
    assert "is a directory" in one_line_error(vi("progress", "--html", str(tmp_path), "--recordings-dir", str(root)))


def test_corrupt_wav_is_one_clear_line(tmp_path):
    root = tmp_path / "rec"
    s = build_session(root, "en")
    (root / s.id / "turn-02.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    for args in (["report", s.id, "-o", str(tmp_path / "r.html")], ["report", s.id, "--link-audio"],
                 ["replay", s.id]):
        line = one_line_error(vi(*args, "--recordings-dir", str(root)))
        assert "turn-02.wav: cannot read audio" in line
    assert not (tmp_path / "r.html").exists()
    r = vi("replay", s.id, "--no-audio", "--recordings-dir", str(root))  # transcripts still readable
    assert r.returncode == 0 and "overfitting" in r.stdout


class Terminal:
    """The CLI run on a pseudo-terminal, as a person at a keyboard would run it."""

    def __init__(self, *args: str):
        import pty

        env = {k: v for k, v in os.environ.items() if k != "VOICE_INTERVIEWER_RECORDINGS_DIR"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the command, with the pty as its terminal
            os.execvpe(sys.executable, [sys.executable, "-m", "voice_interviewer", *args], env | {"COLUMNS": "100"})
        self.out = b""

    def read_until(self, marker: bytes, times: int = 1, timeout: float = 60) -> None:
        import select as sel

        deadline = time.monotonic() + timeout
        while self.out.count(marker) < times:
            assert time.monotonic() < deadline, self.out.decode(errors="replace")[-2000:]
            if sel.select([self.fd], [], [], 0.2)[0]:
                self.out += os.read(self.fd, 4096)

    def send(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait(self) -> int:
        import select as sel

        _, status = os.waitpid(self.pid, 0)
        try:
            while sel.select([self.fd], [], [], 0.2)[0]:
                self.out += os.read(self.fd, 4096)
        except OSError:  # the child side is closed
            pass
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def test_replay_keys_on_a_terminal(recorded):
    """On a terminal single keys steer: r repeats turn 1, n goes on, q quits."""
    root, en, _ = recorded
    term = Terminal("replay", en.id, "--no-audio", "--recordings-dir", str(root))
    term.read_until(b"Score 7.5/10")  # turn 1 shown, waiting for a key
    term.send(b"r")
    term.read_until(b"Score 7.5/10", times=2)  # turn 1 again
    term.send(b"n")
    term.read_until(b"Score 10.0/10")  # turn 2
    term.send(b"q")
    assert term.wait() == 0, term.out.decode(errors="replace")
    assert b"Traceback" not in term.out and b"Turn 3" not in term.out
    assert term.out.count(b"Turn 1 (1/3)") == 2  # repeated once


def test_delete_asks_on_a_terminal(tmp_path):
    root = tmp_path / "rec"
    s = build_session(root, "en", scores_only=True)
    term = Terminal("delete", "latest", "--recordings-dir", str(root))
    term.read_until(b"?")
    term.send(b"n\n")
    assert term.wait() == 1 and (root / s.id).is_dir()
    assert f"Delete session {s.id}".encode() in term.out
    term = Terminal("delete", s.id, "--recordings-dir", str(root))
    term.read_until(b"?")
    term.send(b"y\n")
    assert term.wait() == 0 and not (root / s.id).exists()
