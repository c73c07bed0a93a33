"""Damaged files, typos and hostile input: one clear line, never a traceback, nothing lost."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice_interviewer.errors import SessionError
from voice_interviewer.schema import KeyPointResult, Session, Turn
from voice_interviewer.session_index import INDEX_FILE
from voice_interviewer.store import SessionStore

DATA = Path(__file__).parent / "data"
BANK = DATA / "mini-bank.yaml"


def vi(*args, input=None, env=None, timeout=120):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("VOICE_INTERVIEWER_RECORDINGS_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "voice_interviewer", *args],
        input=input, capture_output=True, env=full_env, timeout=timeout,
    )


def one_line(r) -> str:
    err = r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def good_session(store: SessionStore, sid: str, score: float = 6.0, started: str = "2024-01-02T10:00:00Z") -> Session:
    s = Session.model_validate({"id": sid, "started_at": started, "state": "completed"})
    s.turns.append(Turn(index=1, question_id="bias-variance", category="fundamentals", question_text="Explain it",
                        answer="an answer", score=score,
                        key_points=[KeyPointResult(id="kp", statement="A point", verdict="missing")]))
    store.create(s)
    return s


def write_raw(root: Path, sid: str, data: bytes) -> None:
    (root / sid).mkdir(parents=True, exist_ok=True)
    (root / sid / "session.json").write_bytes(data)


@pytest.fixture
def damaged(tmp_path):
    """Two good sessions and one of each kind of damage."""
    root = tmp_path / "rec"
    store = SessionStore(root)
    good_session(store, "20240102-100000", 6.0)
    good_session(store, "20240103-100000", 8.0, "2024-01-03T10:00:00Z")
    write_raw(root, "20240104-000001", b'{"id": "20240104-000001", "language": "\xff\xfe"}')
    write_raw(root, "20240104-000002", b'{"id": "20240104-000002", "turns": 5}')
    write_raw(root, "20240104-000003", b'{"id": ')
    write_raw(root, "20240104-000004", b"\x00" * 4096)
    return root


REASONS = {
    "20240104-000001": "not UTF-8 text (byte 0xff at offset 39)",
    "20240104-000002": "does not match the session format: turns",
    "20240104-000003": "not valid JSON",
    "20240104-000004": "not valid JSON",
}


@pytest.mark.unit
def test_damaged_sessions_are_listed_with_their_reason(damaged):
    r = vi("sessions", "--json", "--recordings-dir", str(damaged))
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows["20240103-100000"]["mean_score"] == 8.0
    for sid, reason in REASONS.items():
        assert rows[sid]["state"] == "damaged" and reason in rows[sid]["error"], rows[sid]
    r = vi("sessions", "--recordings-dir", str(damaged))
    assert r.returncode == 0 and b"Traceback" not in r.stderr
    out = r.stdout.decode()
    assert sum(line.startswith("damaged ") for line in out.splitlines()) == 4 and "not UTF-8" in out


@pytest.mark.unit
def test_many_session_commands_skip_damaged_ones(damaged, tmp_path):
    r = vi("progress", "--json", "--recordings-dir", str(damaged))
    assert r.returncode == 0, r.stderr
    prog = json.loads(r.stdout)
    assert [p["id"] for p in prog["sessions"]] == ["20240102-100000", "20240103-100000"]
    assert sorted(prog["damaged"]) == sorted(REASONS)
    assert "skipped 4 damaged" in r.stderr.decode()
    r = vi("report", "latest", "-o", str(tmp_path / "r.html"), "--recordings-dir", str(damaged))
    assert r.returncode == 0, r.stderr
    assert "20240103-100000" in (tmp_path / "r.html").read_text()
    r = vi("export", "latest", "--format", "json", "--recordings-dir", str(damaged))
    assert json.loads(r.stdout)["id"] == "20240103-100000"


@pytest.mark.parametrize("sid", sorted(REASONS))
@pytest.mark.unit
def test_one_damaged_session_is_one_line(damaged, sid):
    for args in (["export", sid], ["replay", sid, "--no-audio"], ["report", sid, "-o", os.devnull]):
        r = vi(*args, "--recordings-dir", str(damaged))
        line = one_line(r)
        assert r.returncode == 2 and REASONS[sid] in line and sid in line, line


@pytest.mark.unit
def test_session_file_size_limit(tmp_path):
    store = SessionStore(tmp_path)
    good_session(store, "20240102-100000")
    r = vi("sessions", "--json", "--recordings-dir", str(tmp_path), env={"VOICE_INTERVIEWER_MAX_SESSION_MB": "0.001"})
    row = json.loads(r.stdout)[0]
    assert row["state"] == "damaged" and "too large" in row["error"] and "max_session_mb" in row["error"]
    with pytest.raises(SessionError, match="too large"):
        SessionStore(tmp_path, max_mb=0.0001).load("20240102-100000")
    assert SessionStore(tmp_path).load("20240102-100000").id == "20240102-100000"


@pytest.mark.parametrize("args, expected", [
    (["sessions", "--bogus"], "No such option: --bogus"),
    (["replay"], "Missing argument"),
    (["no-such-command"], "No such command"),
    (["practice", "--text", "--count", "abc"], "Invalid value for '--count'"),
    (["progress", "--limit", "0"], "Invalid value for '--limit'"),
    (["score", "--bogus"], "No such option"),
])
@pytest.mark.unit
def test_usage_errors_are_one_line_with_a_hint(args, expected):
    r = vi(*args, input=b"")
    line = one_line(r)
    assert r.returncode == 2 and expected in line and "--help'" in line, line


@pytest.mark.unit
def test_unexpected_exception_is_one_line_and_a_log(tmp_path, monkeypatch, capsys):
    from voice_interviewer.cli import main

    def boom(self):
        raise RuntimeError("simulated bug")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(SessionStore, "digests", boom)
    with pytest.raises(SystemExit) as exc:
        main(["sessions", "--recordings-dir", str(tmp_path)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "RuntimeError: simulated bug" in err
    logs = list((tmp_path / "state" / "voice-interviewer" / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    assert "Traceback" in logs[0].read_text() and "simulated bug" in logs[0].read_text()


@pytest.mark.unit
def test_long_error_values_are_cut():
    r = vi("replay", "x" * 100_000)
    line = one_line(r)
    assert len(line) < 700 and "chars)" in line


# -- the session index ------------------------------------------------------------------
@pytest.fixture
def settled(monkeypatch):
    """Files count as settled at once (by default one changed in the last 3 s is read again)."""
    import voice_interviewer.session_index as index

    monkeypatch.setattr(index, "RACY_NS", 0)


@pytest.mark.unit
def test_a_file_changed_just_now_is_read_again(tmp_path):
    from voice_interviewer.session_index import _read_index

    store = SessionStore(tmp_path)
    good_session(store, "20240102-100000", 6.0)
    store.digests()
    cached = _read_index(tmp_path / INDEX_FILE, store.max_bytes)
    assert cached["20240102-100000"].key is None and cached["20240102-100000"].digest.stats.mean_score == 6.0


@pytest.mark.unit
def test_index_follows_changes_made_outside_the_program(tmp_path, settled):
    store = SessionStore(tmp_path)
    good_session(store, "20240102-100000", 6.0)
    good_session(store, "20240103-100000", 8.0, "2024-01-03T10:00:00Z")
    assert store.digests()["20240102-100000"].digest.stats.mean_score == 6.0
    assert (tmp_path / INDEX_FILE).is_file()
    path = tmp_path / "20240102-100000" / "session.json"
    # an edit in place, same size: 6.0 -> 7.0
    text = path.read_text()
    path.write_text(text.replace('"score": 6.0', '"score": 7.0'))
    assert store.digests()["20240102-100000"].digest.stats.mean_score == 7.0
    # damaged, then removed, then a new one
    path.write_bytes(b"\xff")
    assert "not UTF-8" in store.digests()["20240102-100000"].error
    import shutil

    shutil.rmtree(tmp_path / "20240102-100000")
    assert list(store.digests()) == ["20240103-100000"]
    good_session(store, "20240104-100000", 2.0, "2024-01-04T10:00:00Z")
    assert store.resolve("latest") == "20240104-100000"
    assert store.digests()["20240104-100000"].digest.answers[0][3] == 2.0


@pytest.mark.parametrize("garbage", [b"", b"\xff\xfe", b"{}\n{}", b'{"version": 2}\n[1,2]', b"x" * 10000])
@pytest.mark.unit
def test_a_damaged_index_is_rebuilt(tmp_path, garbage, settled):
    store = SessionStore(tmp_path)
    good_session(store, "20240102-100000", 6.0)
    store.digests()
    (tmp_path / INDEX_FILE).write_bytes(garbage)
    assert store.digests()["20240102-100000"].digest.stats.mean_score == 6.0


@pytest.mark.unit
def test_a_tampered_index_is_not_trusted(tmp_path, settled):
    from voice_interviewer.session_index import _read_index

    store = SessionStore(tmp_path)
    good_session(store, "20240102-100000", 6.0)
    store.digests()
    index = tmp_path / INDEX_FILE
    assert _read_index(index, store.max_bytes)["20240102-100000"].key is not None  # it would be trusted
    index.write_text(index.read_text().replace("6.0", "9.0"))
    assert store.digests()["20240102-100000"].digest.stats.mean_score == 6.0


@pytest.mark.unit
def test_read_only_folder_works_without_an_index(tmp_path):
    store = SessionStore(tmp_path)
    good_session(store, "20240102-100000", 6.0)
    os.chmod(tmp_path, 0o555)
    try:
        assert store.digests()["20240102-100000"].digest.stats.mean_score == 6.0
    finally:
        os.chmod(tmp_path, 0o755)


# -- what is stored --------------------------------------------------------------------
@pytest.mark.unit
def test_scores_outside_the_range_are_clamped_on_read(tmp_path):
    raw = {"id": "20240102-100000", "turns": [
        {"index": 1, "question_id": "q", "question_text": "Q", "score": 15, "confidence": 3},
        {"index": 2, "question_id": "q", "question_text": "Q", "score": -4, "offline_score": 11},
    ], "summary": {"mean_score": 55, "by_category": {"x": -1}}}
    write_raw(tmp_path, "20240102-100000", json.dumps(raw).encode())
    s = SessionStore(tmp_path).load("20240102-100000")
    assert [t.score for t in s.turns] == [10.0, 0.0] and s.turns[0].confidence == 1.0
    assert s.turns[1].offline_score == 10.0 and s.summary.mean_score == 10.0 and s.summary.by_category == {"x": 0.0}
    r = vi("sessions", "--json", "--recordings-dir", str(tmp_path))
    assert json.loads(r.stdout)[0]["mean_score"] == 5.0


@pytest.mark.unit
def test_stale_temp_files_are_removed_on_the_next_save(tmp_path):
    store = SessionStore(tmp_path)
    s = good_session(store, "20240102-100000")
    folder = tmp_path / s.id
    stale = folder / ".session.json.abc123.tmp"
    stale.write_text("half a session")
    other = folder / "notes.tmp"
    other.write_text("not ours")
    store.save(s)
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["notes.tmp", "session.json"]


@pytest.mark.unit
def test_a_failed_start_leaves_no_empty_folder(tmp_path, monkeypatch):
    import voice_interviewer.store as store_mod

    def disk_full(path, text, durable=True):
        raise OSError(errno.ENOSPC, "No space left on device")

    store = SessionStore(tmp_path)
    store.ensure_writable()
    monkeypatch.setattr(store_mod, "atomic_write_text", disk_full)
    with pytest.raises(SessionError, match="No space left"):
        store.create(Session(id="20240102-100000"))
    assert not (tmp_path / "20240102-100000").exists()


@pytest.mark.unit
def test_credentials_in_the_base_url_are_not_saved(tmp_path):
    from voice_interviewer.config import Settings, redact_url

    settings = Settings(openai_base_url="http://user:sk-secret@llm.local:8080/v1")
    assert settings.public_dict()["openai_base_url"] == "http://***@llm.local:8080/v1"
    assert redact_url("https://a:b@c@host/x?u=v@w") == "https://***@host/x?u=v@w"
    assert redact_url("http://host/v1") == "http://host/v1"
    store = SessionStore(tmp_path)
    s = Session(id="20240102-100000", settings=settings.public_dict())
    store.create(s)
    assert "sk-secret" not in (tmp_path / s.id / "session.json").read_text()


# -- signals -----------------------------------------------------------------------------
def _start_practice(rec: Path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("VOICE_INTERVIEWER_RECORDINGS_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice_interviewer", "practice", "--text", "--bank", str(BANK), "-n", "3",
         "--followups", "0", "--seed", "1", "--recordings-dir", str(rec)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    proc.seen = b""
    return proc


def _wait_for_prompts(proc, count: int, timeout: float = 60.0) -> None:
    """Until the interview has shown ``count`` answer prompts in all."""
    import time

    deadline = time.monotonic() + timeout
    os.set_blocking(proc.stdout.fileno(), False)
    while proc.seen.count(b"Your answer") < count:
        assert time.monotonic() < deadline, proc.seen
        chunk = proc.stdout.read()
        if chunk:
            proc.seen += chunk
        time.sleep(0.05)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.model
def test_a_signal_ends_the_session_as_interrupted_keeping_answers(tmp_path, sig):
    import signal

    proc = _start_practice(tmp_path)
    _wait_for_prompts(proc, 1)
    proc.stdin.write(b"Overfitting is when the model memorises noise; use validation and regularization\n\n")
    proc.stdin.flush()
    _wait_for_prompts(proc, 2)
    proc.send_signal(getattr(signal, sig))
    proc.wait(60)
    err = proc.stderr.read().decode()
    assert "Traceback" not in err
    assert proc.returncode in (130, 128 + getattr(signal, sig)), err
    s = SessionStore(tmp_path).load("latest")
    assert s.state == "interrupted" and len(s.turns) == 1 and "memorises noise" in s.turns[0].answer
    assert s.turns[0].score is not None and s.finished_at is not None


# (before ~0.05 s the interpreter itself is still starting: no code of ours runs yet)
@pytest.mark.parametrize("delay", [0.1, 0.15, 0.25, 0.4, 0.8])
@pytest.mark.unit
def test_ctrl_c_at_start_up_is_not_a_traceback(tmp_path, delay):
    import signal
    import time

    proc = _start_practice(tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    for s in SessionStore(tmp_path).digests().values():  # a session already started is closed
        assert s.digest is not None and s.digest.state == "interrupted"


# -- score --batch input and output -------------------------------------------------------
def _batch_lines() -> bytes:
    ref = {"question": "What is overfitting?", "reference": "Overfitting is memorising noise in the training data."}
    lines = []
    for i in range(40):  # more than one chunk of the scorer
        if i % 7 == 3:
            lines.append(b'{"id": "bad-%d", "answer": "\xff\xfe caf\xe9"}' % i)
        elif i % 11 == 5:
            lines.append(b"{not json")
        else:
            lines.append(json.dumps({"id": i, **ref, "answer": "memorising noise \\ud800 in training data"}).encode())
    lines.insert(10, b"")
    return b"\n".join(lines) + b"\n"


@pytest.mark.model
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_batch_reports_undecodable_lines_and_goes_on(tmp_path, source):
    data = _batch_lines()
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    env = {"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}  # output must not depend on the locale
    if source == "file":
        r = vi("score", "--batch", str(path), env=env)
    else:
        r = vi("score", "--batch", "-", input=data, env=env)
    assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr
    rows = [json.loads(line) for line in r.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 40
    numbered = [n for n, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    for n, row, line in zip(numbered, rows, [x for x in data.split(b"\n") if x.strip()]):
        if b"\xff" in line:
            at = line.index(b"\xff")
            assert row == {"id": f"line-{n}", "error": f"line {n}: not UTF-8 text (byte 0xff at offset {at})"}
        elif line == b"{not json":
            assert row["id"] == f"line-{n}" and "invalid JSON" in row["error"]
        else:
            assert row["id"] == json.loads(line)["id"] and 0 <= row["score"] <= 10


@pytest.mark.model
def test_batch_line_too_long_is_one_error_row(tmp_path):
    from voice_interviewer.cli.score import MAX_LINE_BYTES

    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": 1, "answer": "' + b"a" * (MAX_LINE_BYTES + 10) + b'"}\n{not json\n')
    r = vi("score", "--batch", str(path))
    rows = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert rows[0] == {"id": "line-1", "error": "line 1: longer than 1024 kB"}
    assert rows[1]["id"] == "line-2" and "invalid JSON" in rows[1]["error"]


# -- answer length -----------------------------------------------------------------------
@pytest.mark.unit
def test_a_long_answer_is_judged_on_its_first_words():
    from voice_interviewer.limits import first_words, limit_words
    from voice_interviewer.schema import Judgement

    class Recorder:
        name = "rec"

        def __init__(self):
            self.seen = []

        def judge(self, question, answer, language):
            self.seen.append(answer)
            return Judgement(score=5)

    inner = Recorder()
    judge = limit_words(inner, 10)
    short = judge.judge(None, "one two three", "en")
    assert inner.seen[-1] == "one two three" and short.notes == []
    long = judge.judge(None, " ".join(f"w{i}" for i in range(50)), "en")
    assert inner.seen[-1] == " ".join(f"w{i}" for i in range(10))
    assert long.notes == ["judged on the first 10 of 50 words (setting max_answer_words)"]
    huge = judge.judge(None, "word " * 1_000_000, "en")
    assert "more than 200 words" in huge.notes[0] and judge.name == "rec"
    assert not hasattr(judge, "prefetch")  # offers only what the judge offers
    assert first_words("a  b\nc d", 3) == ("a  b\nc", 4)


@pytest.mark.model
def test_a_100_kb_typed_answer_does_not_stall_the_interview(tmp_path):
    import time

    answer = " ".join(["overfitting means the model memorises noise in its training data"] * 1500)
    t0 = time.monotonic()
    r = vi("practice", "--text", "--bank", str(BANK), "-q", "overfitting", "--followups", "0",
           "--recordings-dir", str(tmp_path), input=(answer + "\n\n").encode(), timeout=120)
    assert r.returncode == 0, r.stderr
    s = SessionStore(tmp_path).load("latest")
    assert s.turns[0].answer == answer  # kept whole, judged on its first words
    assert any("judged on the first 600 of" in n for n in s.turns[0].scorer_notes)
    assert s.turns[0].timings.judged - s.turns[0].timings.endpoint < 10
    assert time.monotonic() - t0 < 60


# -- escape sequences ----------------------------------------------------------------------
HOSTILE = "ok \x1b[2J\x1b]8;;http://evil\x07link\x1b]8;;\x07 \x9b31m\x07\x08\u202ebidi\r\nnext"


@pytest.mark.unit
def test_escape_sequences_from_an_answer_never_reach_the_terminal(tmp_path):
    store = SessionStore(tmp_path)
    s = Session(id="20240102-100000", state="completed", language="en\x1b[31m")
    s.turns.append(Turn(index=1, question_id="q\x1b[1m", question_text=f"Q {HOSTILE}", answer=HOSTILE,
                        score=5, feedback=HOSTILE,
                        key_points=[KeyPointResult(id="kp", statement=HOSTILE, verdict="missing")]))
    store.create(s)
    outputs = [
        vi("replay", s.id, "--no-audio", "--recordings-dir", str(tmp_path)),
        vi("sessions", "--recordings-dir", str(tmp_path)),
        vi("progress", "--recordings-dir", str(tmp_path)),
        vi("export", s.id, "--format", "md", "--recordings-dir", str(tmp_path)),
    ]
    for r in outputs:
        assert r.returncode == 0, r.stderr
        for bad in (b"\x1b", b"\x07", b"\x08", b"\xc2\x9b", "\u202e".encode()):
            assert bad not in r.stdout and bad not in r.stderr, (r.args, bad)
    assert b"bidi" in outputs[0].stdout and b"link" in outputs[3].stdout
    r = vi("export", s.id, "--format", "json", "--recordings-dir", str(tmp_path))
    assert json.loads(r.stdout)["turns"][0]["answer"] == HOSTILE  # the data itself is kept as it was


@pytest.mark.unit
def test_clean_removes_whole_sequences():
    from voice_interviewer.terminal import clean

    assert clean("a\x1b[31mred\x1b[0m b") == "ared b"
    assert clean("x\x1b]0;title\x07y") == "xy"
    assert clean("x\x1b]8;;http://e\x1b\\y") == "xy"
    assert clean("line1\nline2\ttab") == "line1 line2 tab"
    assert clean("line1\nline2", keep_newlines=True) == "line1\nline2"
    assert clean("lone \ud800 surrogate") == "lone  surrogate"
    assert clean("plain café ñ 日本") == "plain café ñ 日本"


# -- question banks ------------------------------------------------------------------------
@pytest.mark.unit
def test_bank_file_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(BANK.read_bytes() + b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    args = ("practice", "--text", "--bank", str(big), "--recordings-dir", str(tmp_path / "r"))
    r = vi(*args, input=b"", env={"VOICE_INTERVIEWER_MAX_BANK_MB": "1"})
    line = one_line(r)
    assert "larger than 1 MB" in line and "max_bank_mb" in line and not (tmp_path / "r").exists()
    r = vi(*args, "-n", "1", input=b"", env={"VOICE_INTERVIEWER_MAX_BANK_MB": "3"})
    assert r.returncode == 0, r.stderr


@pytest.mark.unit
def test_a_huge_value_in_a_bank_is_not_echoed(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("questions:\n  - id: " + "X" * 2_000_000 + "\n    category: coding\n")
    r = vi("practice", "--text", "--bank", str(bad), "--recordings-dir", str(tmp_path / "r"), input=b"")
    line = one_line(r)
    assert len(line) < 700 and str(bad) in line
    r = vi("bank", "validate", str(bad))
    assert r.returncode != 0 and len(r.stderr) < 700 and str(bad).encode() in r.stderr


@pytest.mark.unit
def test_an_unreadable_recordings_dir_is_one_line(tmp_path, monkeypatch):
    import voice_interviewer.store as store_mod

    store = SessionStore(tmp_path)
    good_session(store, "20240102-100000")

    def refuse(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(store_mod.os, "scandir", refuse)
    with pytest.raises(SessionError, match="cannot read recordings dir .*Permission denied"):
        store.digests()


@pytest.mark.unit
# -- scale -------------------------------------------------------------------------------
def test_progress_page_draws_many_sessions_as_group_means():
    from datetime import datetime, timedelta, timezone

    from voice_interviewer.review.progress import MAX_CHART_POINTS, Progress, SessionPoint, _bucketed, render_progress

    labels, series = _bucketed(list("abcdefg"), {"scores": {"all": [1, 2, 3, None, 5, None, None]}}, 3)
    assert labels == ["c", "f", "g"] and series == {"scores": {"all": [2.0, 5.0, None]}}
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    prog = Progress(sessions=[SessionPoint(id=f"s{i}", started_at=start + timedelta(hours=i), language="en",
                                           mean_score=i % 10, by_category={"coding": 5.0})
                              for i in range(5000)])
    html = render_progress(prog)
    assert html.count("<circle") <= 3 * 2 * MAX_CHART_POINTS and len(html) < 400_000


@pytest.mark.unit
def test_a_ctrl_c_python_could_not_raise_is_raised_again_not_printed():
    import time
    from types import SimpleNamespace

    from voice_interviewer.cli import _unraisable

    with pytest.raises(KeyboardInterrupt):
        _unraisable(SimpleNamespace(exc_value=KeyboardInterrupt()))
        for _ in range(200):
            time.sleep(0.005)
