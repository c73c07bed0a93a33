"""Property-based fuzzing: random bytes, JSON and unicode in session files, bank files, batch
input and answers never end in a traceback; the commands answer with data or one line."""

from __future__ import annotations

import io
import json
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from voice_interviewer.cli import _run
from voice_interviewer.errors import BankError, SessionError
from voice_interviewer.store import SessionStore

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SID = "20240102-100000"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)
# everything text can hold, control characters and escape sequences included
nasty_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    ["\x1b[2J", "\x1b]8;;http://x\x07l\x1b]8;;\x07", "\u202e", "\x00", "[bold]markup[/]", "\ud800".encode(
        "utf-8", "surrogatepass").decode("utf-8", "replace"), "x" * 5000]
)
session_like = st.fixed_dictionaries(
    {"id": st.just(SID)},
    optional={
        "started_at": st.sampled_from(["2024-01-02T10:00:00Z", "2024-01-02T10:00:00", "0001-01-01T00:00:00+05:00",
                                       "9999-12-31T23:59:59-05:00", "nonsense"]),
        "state": st.sampled_from(["completed", "interrupted", "in_progress", "bogus"]),
        "language": nasty_text,
        "scorer": nasty_text,
        "turns": st.lists(st.fixed_dictionaries(
            {"index": st.integers(-3, 10**12), "question_id": nasty_text, "question_text": nasty_text},
            optional={"answer": nasty_text, "score": st.floats(-1e9, 1e9) | st.none(), "skipped": st.booleans(),
                      "category": nasty_text | st.none(), "feedback": nasty_text, "is_follow_up": st.booleans(),
                      "key_points": st.lists(st.fixed_dictionaries(
                          {"id": nasty_text, "statement": nasty_text,
                           "verdict": st.sampled_from(["covered", "partly", "missing"])}), max_size=3)}),
            max_size=4),
        "summary": st.fixed_dictionaries({}, optional={"mean_score": st.floats(-50, 50),
                                                      "by_category": st.dictionaries(nasty_text, st.floats(-9, 99))}),
    },
)


@pytest.fixture(autouse=True)
def small_bank(monkeypatch):
    from pathlib import Path

    bank = Path(__file__).parent / "data" / "mini-bank.yaml"
    monkeypatch.setenv("VOICE_INTERVIEWER_BANKS", json.dumps([str(bank)]))


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = _run(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "error: unexpected" not in err, err
    return code, out, err


def write_session(root, data: bytes) -> None:
    folder = root / SID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "session.json").write_bytes(data)


def check_many_session_commands(tmp_path, capsys, valid: bool | None) -> None:
    root = str(tmp_path / "rec")
    code, out, _ = run_cli(capsys, "sessions", "--json", "--recordings-dir", root)
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 1 and (rows[0]["state"] == "damaged") != bool(valid) if valid is not None else True
    for args in (["sessions"], ["progress"], ["progress", "--json"]):
        code, out, _ = run_cli(capsys, *args, "--recordings-dir", root)
        assert code == 0 and "\x1b" not in out
    damaged = rows[0]["state"] == "damaged"
    for args in (["export", SID, "--format", "md"], ["export", SID, "--format", "json"],
                 ["replay", SID, "--no-audio"], ["export", "latest"]):
        code, out, err = run_cli(capsys, *args, "--recordings-dir", root)
        if damaged:
            assert code == 2 and len(err.strip().splitlines()) == 1, err
        else:
            assert code == 0, err
            if args[-1] != "json":
                assert "\x1b" not in out and "\x07" not in out


@pytest.mark.unit
@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_as_a_session_file(tmp_path_factory, capsys, data):
    tmp_path = tmp_path_factory.mktemp("s")
    write_session(tmp_path / "rec", data)
    check_many_session_commands(tmp_path, capsys, None)


@pytest.mark.unit
@FUZZ
@given(value=json_values)
def test_random_json_as_a_session_file(tmp_path_factory, capsys, value):
    tmp_path = tmp_path_factory.mktemp("s")
    write_session(tmp_path / "rec", json.dumps(value).encode())
    check_many_session_commands(tmp_path, capsys, None)


@pytest.mark.unit
@FUZZ
@given(value=session_like)
def test_session_shaped_json_with_random_unicode(tmp_path_factory, capsys, value):
    tmp_path = tmp_path_factory.mktemp("s")
    write_session(tmp_path / "rec", json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    check_many_session_commands(tmp_path, capsys, None)
    store = SessionStore(tmp_path / "rec")
    try:
        s = store.load(SID)
    except SessionError:
        return
    assert all(t.score is None or 0 <= t.score <= 10 for t in s.turns)


@pytest.mark.unit
@FUZZ
@given(data=st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode())
       | st.text(alphabet=st.characters(codec="utf-8"), max_size=200).map(lambda t: ("questions:\n  - " + t).encode()))
def test_random_bank_files(tmp_path_factory, capsys, data):
    from voice_interviewer.bank import QuestionBank

    tmp_path = tmp_path_factory.mktemp("b")
    path = tmp_path / "bank.yaml"
    path.write_bytes(data)
    try:
        QuestionBank.load([path])
    except BankError as exc:
        assert len(exc.line()) < 700
    code, _, err = run_cli(capsys, "bank", "validate", str(path))
    assert code in (0, 1, 2)


class EchoJudge:
    name = "echo"

    def judge(self, question, answer, language):
        from voice_interviewer.schema import Judgement

        return Judgement(score=min(10, len(answer) % 11), feedback=answer[:20])


@pytest.mark.unit
@FUZZ
@given(lines=st.lists(st.binary(max_size=60) | json_values.map(lambda v: json.dumps(v).encode())
                      | st.fixed_dictionaries({"id": st.integers() | st.text(max_size=5),
                                               "reference": nasty_text, "answer": nasty_text})
                      .map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")),
                      max_size=40))
def test_random_batch_input(lines, capsysbinary):
    from voice_interviewer.cli.app import write_stdout
    from voice_interviewer.cli.score import _scored

    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    rows = list(_scored(io.BytesIO(data), EchoJudge(), None, "auto"))
    assert len(rows) == sum(1 for line in data.split(b"\n") if line.strip())
    for row in rows:
        assert "id" in row and ("error" in row or "score" in row)
        write_stdout(json.dumps(row, ensure_ascii=False) + "\n")
    out = capsysbinary.readouterr().out
    written = out.decode("utf-8").split("\n")[:-1]  # (not splitlines: U+0085 and U+2028 are inside strings)
    assert [json.loads(x) for x in written] == rows


@pytest.mark.model
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
       | st.text(alphabet=string.printable + "\x1b\x00ñé日", min_size=1, max_size=3000))
def test_random_answers_in_an_interview(tmp_path_factory, answer):
    from voice_interviewer.bank import QuestionBank
    from voice_interviewer.interview import Interview
    from voice_interviewer.judging.offline import OfflineJudge
    from voice_interviewer.limits import limit_words
    from voice_interviewer.schema import Session
    from voice_interviewer.textio import TypedAnswers
    from fakes import FakeSpeaker
    from rich.console import Console

    tmp_path = tmp_path_factory.mktemp("i")
    store = SessionStore(tmp_path)
    session = Session(id=SID, language="auto")
    store.create(session)
    text = " ".join(answer.replace("\r", " ").splitlines())
    text = text if text.strip() else "x"  # a blank line is no answer: the typed prompt waits for one
    answers = TypedAnswers(Console(file=io.StringIO()), stream=io.StringIO(text + "\n\n"))
    bank = QuestionBank.load(None)
    Interview(session, bank.select(ids=["bias-variance"]), FakeSpeaker(), answers,
              limit_words(_judge(OfflineJudge), 200), store, followups=0).run()
    saved = store.load(SID)
    assert saved.state == "completed" and 0 <= saved.turns[0].score <= 10


_JUDGES: dict = {}


def _judge(cls):
    if cls not in _JUDGES:
        _JUDGES[cls] = cls()
    return _JUDGES[cls]
