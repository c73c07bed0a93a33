"""A digest of every session, cached in ``<recordings>/.sessions-index.json``.

The commands that read many sessions (``sessions``, ``progress``, the review order and
``latest``) need a few numbers per session and its questions' scores, not its answers. A
``SessionDigest`` holds exactly that. The index maps each session folder to the digest of
its ``session.json`` together with the file's identity (inode, size, modification and change
times in ns): a file replaced, edited, added or removed outside the program no longer matches
and is read again, so the index only saves time, it never changes what a command shows. A
damaged session is indexed with its reason.

The file is two lines: a header (format version, size limit, sha256 of the second line) and
the entries, compact (question and key-point texts are stored once in shared tables). An
index whose header or checksum does not match is ignored and rebuilt; one that cannot be
written (a read-only folder) is simply not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .errors import SessionError
from .review.stats import SessionStats, session_stats
from .schema import Session
from .terminal import clean

INDEX_FILE = ".sessions-index.json"
INDEX_VERSION = 3  # change it whenever what a digest holds changes
MAX_TEXT = 400  # characters of a question or key point kept in a digest
_STATS = tuple(SessionStats.model_fields)
_VERDICTS = ("missing", "partly")


@dataclass(slots=True)
class SessionDigest:
    """What the many-session views read from one session."""

    id: str
    started_at: datetime
    state: str
    language: str
    mode: str
    scorer: str
    stats: SessionStats
    # main-question answers in order: (question id, category, question text, score, skipped)
    answers: list[tuple[str, str | None, str, float | None, bool]] = field(default_factory=list)
    # judged key points, first-seen order: (question id, key point id, statement, judged, missed, partly)
    key_points: list[tuple[str, str, str, int, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Entry:
    key: tuple[int, int, int, int] | None
    digest: SessionDigest | None = None
    error: str | None = None


def _short(text: str | None) -> str:
    text = clean(text or "")
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def digest_of(session: Session, sid: str) -> SessionDigest:
    answers = []
    kps: dict[tuple[str, str, str], list[int]] = {}
    for t in session.turns:
        if t.attempt > 1:  # a question tried again counts as first answered
            continue
        qid = _short(t.question_id)
        if not t.is_follow_up and (t.skipped or t.score is not None):
            answers.append((qid, None if t.category is None else _short(t.category), _short(t.question_text),
                            t.score, t.skipped))
        for k in t.key_points:
            counts = kps.setdefault((qid, _short(k.id), _short(k.statement)), [0, 0, 0])
            counts[0] += 1
            counts[1] += k.verdict == "missing"
            counts[2] += k.verdict == "partly"
    started = session.started_at
    stats = session_stats(session)
    stats.by_category = {_short(k): v for k, v in stats.by_category.items()}
    return SessionDigest(
        id=sid,
        started_at=started if started.tzinfo else started.replace(tzinfo=timezone.utc),
        state=session.state,
        language=_short(session.language),
        mode=session.mode,
        scorer=_short(session.scorer),
        stats=stats,
        answers=answers,
        key_points=[(*key, *counts) for key, counts in kps.items()],
    )


# -- the file ---------------------------------------------------------------------------
def _encode(entries: dict[str, Entry]) -> str:
    questions: dict[tuple, int] = {}
    points: dict[tuple, int] = {}
    rows = {}
    for sid, e in entries.items():
        d = e.digest
        if d is None:
            rows[sid] = [e.key, e.error]
            continue
        answers = [[questions.setdefault((q, c, t), len(questions)), s, int(sk)] for q, c, t, s, sk in d.answers]
        kps = [[points.setdefault((q, k, st), len(points)), j, m, p] for q, k, st, j, m, p in d.key_points]
        stats = d.stats.model_dump()
        rows[sid] = [e.key, None, d.started_at.isoformat(), d.state, d.language, d.mode, d.scorer,
                     [stats[f] for f in _STATS], answers, kps]
    return json.dumps({"q": list(questions), "p": list(points), "s": rows}, ensure_ascii=False,
                      separators=(",", ":"))


def _decode(payload: str) -> dict[str, Entry]:
    data = json.loads(payload)
    questions, points = data["q"], data["p"]
    out: dict[str, Entry] = {}
    for sid, row in data["s"].items():
        key = tuple(row[0]) if row[0] is not None else None
        if row[1] is not None or len(row) == 2:
            out[sid] = Entry(key, error=row[1])
            continue
        _, _, started, state, language, mode, scorer, stats, answers, kps = row
        out[sid] = Entry(key, SessionDigest(
            id=sid,
            started_at=datetime.fromisoformat(started),
            state=state, language=language, mode=mode, scorer=scorer,
            stats=SessionStats.model_construct(**dict(zip(_STATS, stats))),
            answers=[(*questions[q], s, bool(sk)) for q, s, sk in answers],
            key_points=[(*points[p], j, m, pa) for p, j, m, pa in kps],
        ))
    return out


def _header(max_bytes: int, payload: str) -> str:
    digest = hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
    return json.dumps({"version": INDEX_VERSION, "max_bytes": max_bytes, "sha256": digest})


def _read_index(path: Path, max_bytes: int) -> dict[str, Entry]:
    try:
        with open(path, encoding="utf-8", errors="surrogatepass") as fh:
            header = fh.readline().rstrip("\n")
            payload = fh.read()
        if header != _header(max_bytes, payload):
            return {}
        return _decode(payload)
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return {}


def _write_index(path: Path, entries: dict[str, Entry], max_bytes: int) -> None:
    from .store import atomic_write_text

    payload = _encode(entries)
    try:
        atomic_write_text(path, _header(max_bytes, payload) + "\n" + payload, durable=False)
    except OSError:
        pass


def _file_key(path: Path) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def load_entries(store) -> dict[str, Entry]:
    """Every session folder in ``store`` -> its digest or the reason it is damaged, by id."""
    from .store import SESSION_FILE, read_session

    root: Path = store.root
    ids = store.ids()
    if not ids:
        return {}
    index_path = root / INDEX_FILE
    cached = _read_index(index_path, store.max_bytes)
    entries: dict[str, Entry] = {}
    changed = len(cached) != len(ids)
    for sid in ids:
        path = root / sid / SESSION_FILE
        key = _file_key(path)
        old = cached.get(sid)
        if old is not None and key is not None and old.key == key:
            entries[sid] = old
            continue
        changed = True
        try:
            entries[sid] = Entry(key, digest_of(read_session(path, sid, store.max_bytes), sid))
        except SessionError as exc:
            entries[sid] = Entry(key, error=str(exc))
        if key is not None and _file_key(path) != key:  # changed while read: read it again next time
            entries[sid].key = None
    if changed:
        _write_index(index_path, _settled(entries), store.max_bytes)
    return entries


RACY_NS = 3_000_000_000  # a file changed this recently may change again within its timestamp's granularity


def _settled(entries: dict[str, Entry]) -> dict[str, Entry]:
    """The entries to keep: one whose file changed in the last few seconds is stored without its
    key (read again next time), so a same-size edit within a coarse timestamp tick is not missed."""
    recent = time.time_ns() - RACY_NS
    return {sid: e if e.key is None or max(e.key[2], e.key[3]) < recent else Entry(None, e.digest, e.error)
            for sid, e in entries.items()}
