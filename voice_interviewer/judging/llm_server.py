"""A local OpenAI-compatible llama.cpp server (xllamacpp) in a child process.

The server runs in its own process so a stuck generation can never block the interview:
``stop()`` terminates the child, waits with a timeout, then kills it (a child that is
generating does not stop at once). It listens on 127.0.0.1 only, on a free port, and is
ready when ``/health`` answers 200 (it answers 503 while the model loads).

Threads: llama.cpp splits every matrix product across its threads and waits for all of
them, so one thread starved by another process stalls the whole step. ``choose_threads``
therefore never asks for more threads than there are cores minus the current load, and
the child sets ``poll=0`` so idle threads sleep instead of spinning against other work.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ModelError

if TYPE_CHECKING:
    from ..config import Settings

# Runs in the child: load the model, serve until SIGTERM, then free it.
_CHILD = r"""
import os, signal, sys, threading
import xllamacpp as xlc
model, port, threads, n_ctx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
parent = os.getppid()
p = xlc.CommonParams()
p.model.path = model
p.port = port
p.hostnames = ["127.0.0.1"]
p.n_ctx = n_ctx
p.n_parallel = 1
p.cpuparams.n_threads = threads
p.cpuparams_batch.n_threads = threads
p.cpuparams.poll = 0
p.cpuparams_batch.poll = 0
p.verbosity = 0
p.model_alias = "local"
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
signal.signal(signal.SIGINT, lambda *a: stop.set())
def orphaned():  # the parent died without stopping us (SIGKILL, SIGTERM without cleanup)
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()
threading.Thread(target=orphaned, daemon=True).start()
srv = xlc.Server(p)
print("ready", flush=True)
stop.wait()
del srv
"""


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def choose_threads(limit: int | None = None, *, cores: int | None = None, load: float | None = None) -> int:
    """Threads for llama.cpp: at most ``limit``, never more than the cores the load leaves idle."""
    cores = cores if cores is not None else usable_cores()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = 0.0
    idle = max(1, int(cores - load + 0.5))
    cap = cores if not limit or limit <= 0 else min(limit, cores)
    return max(1, min(cap, idle))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback URL
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


class LocalLLMServer:
    """Start/stop a llama.cpp server for one GGUF file; usable as a context manager."""

    def __init__(
        self,
        model_path: Path,
        *,
        port: int | None = None,
        threads: int | None = None,
        n_ctx: int = 4096,
        startup_timeout: float = 300.0,
        log_path: Path | None = None,
    ):
        self.model_path = Path(model_path)
        self.port = port or 0
        self.threads = threads if threads and threads > 0 else choose_threads()
        self.n_ctx = n_ctx
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.startup_s: float | None = None

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as ``base_url``."""
        return f"{self.address}/v1"

    def start(self) -> str:
        if self.proc is not None:
            return self.base_url
        if not self.model_path.is_file():
            raise ModelError(f"{self.model_path}: GGUF model file not found")
        if not self.port:
            self.port = free_port()
        elif _health(self.address + "/health", timeout=0.5) is not None:
            raise ModelError(f"port {self.port} on 127.0.0.1 is already in use")
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        cmd = [sys.executable, "-c", _CHILD, str(self.model_path), str(self.port), str(self.threads), str(self.n_ctx)]
        t0 = time.monotonic()
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - fixed interpreter and code
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - t0
        return self.base_url

    def _wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.1
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                where = f"; see {self.log_path}" if self.log_path else ""
                raise ModelError(f"local LLM server exited with code {rc} while loading {self.model_path.name}{where}")
            if _health(self.address + "/health") == 200:
                return
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
        raise ModelError(
            f"local LLM server not ready after {self.startup_timeout:.0f} s",
            hint="the CPU may be busy; try again or use --scorer offline",
        )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate, wait up to ``timeout`` seconds, then kill. Returns the exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                return proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait(timeout=10)
        return proc.returncode

    def __enter__(self) -> LocalLLMServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def resolve_gguf(name_or_path: str, models_dir: Path, *, progress: bool = True) -> Path:
    """A GGUF file: an existing path, or a known recipe prepared (and verified) by the model manager."""
    from ..weights import ModelFiles, get_recipe

    path = Path(name_or_path).expanduser()
    if path.suffix.lower() == ".gguf" or path.is_file():
        if not path.is_file():
            raise ModelError(f"{path}: GGUF model file not found")
        return path
    recipe = get_recipe(name_or_path)
    if recipe.kind != "gguf":
        raise ModelError(f"model {name_or_path!r} is not a GGUF chat model")
    return ModelFiles(models_dir).path(name_or_path, progress=progress)


@contextmanager
def local_server_for(settings: Settings, console=None, *, progress: bool = True) -> Iterator[Settings]:
    """Run a local server for ``settings.llm_model`` and yield settings that point at it.

    The server is stopped when the block ends, however it ends (Ctrl-C included).
    """
    gguf = resolve_gguf(settings.llm_model, settings.models_dir, progress=progress)
    server = LocalLLMServer(gguf, threads=choose_threads(settings.llm_threads))
    if console is not None:
        console.print(f"[dim]Starting the local LLM ({gguf.name}, {server.threads} thread(s))…[/]")
    server.start()
    if console is not None:
        console.print(f"[dim]Local LLM ready at {server.base_url} in {server.startup_s:.1f} s[/]")
    try:
        yield settings.model_copy(update={"openai_base_url": server.base_url, "local_llm": False, "model": "local"})
    finally:
        server.stop()
