import json
import os

import pytest

from voice_interviewer.errors import SessionError
from voice_interviewer.schema import Session, Turn
from voice_interviewer.store import SessionStore, atomic_write_text, validate_id

pytestmark = pytest.mark.unit  # no model, device, server or browser


def make_session(store, sid=None, **kw):
    s = Session(id=sid or store.new_id(), **kw)
    store.create(s)
    return s


def test_create_save_load_roundtrip(tmp_path):
    store = SessionStore(tmp_path / "rec")
    s = make_session(store, language="es")
    s.turns.append(Turn(index=1, question_id="bias-variance", question_text="q", answer="a", score=7.5))
    store.save(s)
    loaded = store.load(s.id)
    assert loaded.turns[0].score == 7.5
    assert loaded.language == "es"
    raw = json.loads((store.session_dir(s.id) / "session.json").read_text())
    assert raw["schema_version"] == 1 and raw["status"]["state"] == "starting"


def test_new_ids_do_not_collide(tmp_path):
    store = SessionStore(tmp_path)
    a = make_session(store)
    b = make_session(store)
    assert a.id != b.id


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", ".hidden", "", "x" * 200, "a\\b"])
def test_path_like_ids_are_refused(tmp_path, bad):
    with pytest.raises(SessionError):
        validate_id(bad)
    with pytest.raises(SessionError):
        SessionStore(tmp_path).load(bad)


def test_unknown_session(tmp_path):
    with pytest.raises(SessionError, match="unknown session"):
        SessionStore(tmp_path).load("20200101-000000")


def test_latest(tmp_path):
    store = SessionStore(tmp_path)
    make_session(store, sid="20240101-000000")
    b = make_session(store, sid="20240102-000000")
    assert store.load("latest").id == b.id


def test_crash_during_rewrite_keeps_previous_complete_file(tmp_path, monkeypatch):
    """A crash between writing the temp file and the rename leaves the old session readable."""
    store = SessionStore(tmp_path)
    s = make_session(store)
    s.turns.append(Turn(index=1, question_id="q1", question_text="first", score=5))
    store.save(s)

    def crash(src, dst):
        raise KeyboardInterrupt  # killed mid-save

    monkeypatch.setattr(os, "replace", crash)
    s.turns.append(Turn(index=2, question_id="q2", question_text="second", score=6))
    with pytest.raises(KeyboardInterrupt):
        store.save(s)
    monkeypatch.undo()
    loaded = store.load(s.id)
    assert [t.index for t in loaded.turns] == [1]
    leftovers = [p.name for p in store.session_dir(s.id).iterdir() if p.name != "session.json"]
    assert leftovers == []


def test_atomic_write_replaces_whole_file(tmp_path):
    p = tmp_path / "f.json"
    atomic_write_text(p, "x" * 10000)
    atomic_write_text(p, "short")
    assert p.read_text() == "short"


def test_damaged_sessions_are_listed_not_fatal(tmp_path):
    store = SessionStore(tmp_path)
    good = make_session(store)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "session.json").write_text("{not json")
    (tmp_path / "empty").mkdir()
    infos = {i.id: i for i in store.list()}
    assert infos[good.id].session is not None
    assert infos["broken"].session is None and "not valid JSON" in infos["broken"].error
    assert infos["empty"].session is None
    with pytest.raises(SessionError, match="damaged: not valid JSON"):
        store.load("broken")


def test_unwritable_recordings_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SessionError, match="not writable"):
        SessionStore(blocker / "rec").ensure_writable()
