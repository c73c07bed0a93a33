"""Session store: one folder per session, ``session.json`` rewritten atomically.

``recordings/<session-id>/session.json`` plus the session's audio files. Every write goes
to a temporary file in the same folder, is fsync'ed, then renamed over the old file, so a
crash at any moment leaves either the previous or the new complete session on disk.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from .errors import SessionError
from .schema import Session

SESSION_FILE = "session.json"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def validate_id(session_id: str) -> str:
    """Refuse anything that is not a plain folder name (no paths, no '..')."""
    if not _ID_RE.match(session_id or "") or ".." in session_id:
        raise SessionError(f"invalid session id '{session_id}': use a plain name like 20261125-185012")
    return session_id


def atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


@dataclass
class SessionInfo:
    id: str
    path: Path
    session: Session | None
    error: str | None = None


class SessionStore:
    def __init__(self, root: Path):
        self.root = Path(root)

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
        self.save(session)
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
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and _ID_RE.match(p.name) and ".." not in p.name
        )

    def resolve(self, session_id: str) -> str:
        if session_id == "latest":
            infos = [i for i in self.list() if i.session is not None]
            if not infos:
                raise SessionError(f"no sessions in {self.root}")
            return max(infos, key=lambda i: i.session.started_at).id
        folder = self.session_dir(session_id)
        if not folder.is_dir():
            raise SessionError(f"unknown session '{session_id}' in {self.root} (see: voice-interviewer sessions)")
        return session_id

    def load(self, session_id: str) -> Session:
        sid = self.resolve(session_id)
        path = self.session_dir(sid) / SESSION_FILE
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SessionError(f"session '{sid}' has no {SESSION_FILE} (damaged session)") from None
        except OSError as exc:
            raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            return Session.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            where = f"{where}: " if where else ""
            raise SessionError(f"session '{sid}' is corrupt: {where}{first['msg']}") from None
        except json.JSONDecodeError as exc:  # pragma: no cover - pydantic wraps this
            raise SessionError(f"session '{sid}' is corrupt: {exc}") from None

    def list(self) -> list[SessionInfo]:
        infos: list[SessionInfo] = []
        for sid in self.ids():
            try:
                infos.append(SessionInfo(sid, self.root / sid, self.load(sid)))
            except SessionError as exc:
                infos.append(SessionInfo(sid, self.root / sid, None, str(exc)))
        return infos
