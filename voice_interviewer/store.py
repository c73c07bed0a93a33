"""Session store: one folder per session, ``session.json`` rewritten atomically.

``recordings/<session-id>/session.json`` plus the session's audio files. Every write goes
to a temporary file in the same folder, is fsync'ed, then renamed over the old file, so a
crash at any moment leaves either the previous or the new complete session on disk.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from .config import MAX_SESSION_MB
from .errors import SessionError, clip
from .schema import Session

SESSION_FILE = "session.json"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def validate_id(session_id: str) -> str:
    """Refuse anything that is not a plain folder name (no paths, no '..')."""
    if not _ID_RE.match(session_id or "") or ".." in session_id:
        raise SessionError(f"invalid session id '{session_id}': use a plain name like 20261125-185012")
    return session_id


def remove_stale_temp_files(folder: Path, name: str, older_than_s: float = 0.0) -> int:
    """Delete ``.<name>.*.tmp`` files a killed writer left behind (one process writes a session)."""
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if entry.name.startswith(f".{name}.") and entry.name.endswith(".tmp"):
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime >= older_than_s:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                pass
    return removed


def atomic_write_text(path: Path, text: str, durable: bool = True) -> None:
    """Write ``text`` to a temp file in ``path``'s folder and rename it over ``path``; first
    removes temp files an earlier killed write left."""
    remove_stale_temp_files(path.parent, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if not durable:
        return
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return f"not valid JSON ({first['msg'].removeprefix('Invalid JSON: ')})"
    where = ".".join(str(p) for p in first["loc"])
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"does not match the session format: {where + ': ' if where else ''}{first['msg']}{more}"


def _clamped(value: float | None, hi: float = 10.0) -> float | None:
    if value is None or value != value:  # NaN
        return None
    return min(max(value, 0.0), hi)


def _utc(value: datetime, name: str) -> datetime:
    try:
        value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except OverflowError:
        value = datetime.min
    if not 1970 <= value.year <= 9000:
        raise ValueError(f"{name} is out of range ({value.year})")
    return value


def clamp_scores(session: Session) -> Session:
    """Scores outside 0..10 (and confidences outside 0..1) in a file are pulled into range;
    a time without a zone is read as UTC (so sessions always compare)."""
    session.started_at = _utc(session.started_at, "started_at")
    if session.finished_at is not None:
        session.finished_at = _utc(session.finished_at, "finished_at")
    for t in session.turns:
        t.score = _clamped(t.score)
        t.offline_score = _clamped(t.offline_score)
        t.confidence = _clamped(t.confidence, 1.0)
    if session.summary is not None:
        session.summary.mean_score = _clamped(session.summary.mean_score)
        session.summary.by_category = {
            k: v for k, v in ((k, _clamped(v)) for k, v in session.summary.by_category.items()) if v is not None
        }
    return session


def read_session(path: Path, sid: str, max_bytes: int) -> Session:
    """One session file, checked for size, bytes, JSON and format; SessionError says what is wrong."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise SessionError(
                    f"session '{sid}' is damaged: {SESSION_FILE} is too large ({size / 2**20:.1f} MB; "
                    f"limit {max_bytes / 2**20:g} MB, setting max_session_mb)"
                )
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise SessionError(f"session '{sid}' is damaged: it has no {SESSION_FILE}") from None
    except IsADirectoryError:
        raise SessionError(f"session '{sid}' is damaged: {SESSION_FILE} is not a file") from None
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise SessionError(f"session '{sid}' is damaged: {SESSION_FILE} is too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SessionError(
            f"session '{sid}' is damaged: {SESSION_FILE} is not UTF-8 text "
            f"(byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        session = Session.model_validate_json(text)
    except ValidationError as exc:
        raise SessionError(f"session '{sid}' is damaged: {clip(_reason(exc), 240)}") from None
    except (ValueError, RecursionError) as exc:
        raise SessionError(f"session '{sid}' is damaged: {clip(str(exc), 240)}") from None
    try:
        return clamp_scores(session)
    except ValueError as exc:
        raise SessionError(f"session '{sid}' is damaged: {exc}") from None


@dataclass
class SessionInfo:
    id: str
    path: Path
    session: Session | None
    error: str | None = None


class SessionStore:
    def __init__(self, root: Path, max_mb: float = MAX_SESSION_MB):
        self.root = Path(root)
        self.max_bytes = int(max_mb * 1024 * 1024)

    # -- paths and ids -------------------------------------------------------------
    def session_dir(self, session_id: str) -> Path:
        return self.root / validate_id(session_id)

    def new_id(self, now: datetime | None = None) -> str:
        base = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        candidate, n = base, 1
        while (self.root / candidate).exists():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def ensure_writable(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe", delete=True)
            probe.close()
        except OSError as exc:
            raise SessionError(
                f"recordings dir {self.root} is not writable: {exc.strerror or exc}",
            ) from None

    # -- writing -------------------------------------------------------------------
    def create(self, session: Session) -> Path:
        self.ensure_writable()
        folder = self.session_dir(session.id)
        try:
            folder.mkdir(parents=False, exist_ok=False)
        except FileExistsError:
            raise SessionError(f"session '{session.id}' already exists in {self.root}") from None
        except OSError as exc:
            raise SessionError(f"cannot create {folder}: {exc.strerror or exc}") from None
        try:
            self.save(session)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # no empty folder after a failed start
            raise
        return folder

    def save(self, session: Session) -> None:
        folder = self.session_dir(session.id)
        try:
            atomic_write_text(folder / SESSION_FILE, session.model_dump_json(indent=2))
        except OSError as exc:
            raise SessionError(f"cannot save session {session.id}: {exc.strerror or exc}") from None

    def delete(self, session_id: str) -> None:
        folder = self.session_dir(self.resolve(session_id))
        shutil.rmtree(folder)

    # -- reading -------------------------------------------------------------------
    def ids(self) -> list[str]:
        try:
            if not self.root.is_dir():
                return []
            with os.scandir(self.root) as entries:
                return sorted(
                    e.name for e in entries if _ID_RE.match(e.name) and ".." not in e.name and e.is_dir()
                )
        except OSError as exc:
            raise SessionError(f"cannot read recordings dir {self.root}: {exc.strerror or exc}") from None

    def resolve(self, session_id: str) -> str:
        if session_id == "latest":
            readable = [e.digest for e in self.digests().values() if e.digest is not None]
            if not readable:
                raise SessionError(f"no readable sessions in {self.root}")
            return max(readable, key=lambda d: (d.started_at, d.id)).id
        folder = self.session_dir(session_id)
        if not folder.is_dir():
            raise SessionError(f"unknown session '{session_id}' in {self.root} (see: voice-interviewer sessions)")
        return session_id

    def load(self, session_id: str) -> Session:
        sid = self.resolve(session_id)
        return read_session(self.session_dir(sid) / SESSION_FILE, sid, self.max_bytes)

    def digests(self):
        """Each session folder's digest or the reason it is damaged, by id (see session_index)."""
        from .session_index import load_entries

        return load_entries(self)

    def list(self) -> list[SessionInfo]:
        infos: list[SessionInfo] = []
        for sid in self.ids():
            try:
                infos.append(SessionInfo(sid, self.root / sid, self.load(sid)))
            except SessionError as exc:
                infos.append(SessionInfo(sid, self.root / sid, None, str(exc)))
        return infos
