"""Shared fixtures, and the rule that no test is skipped.

Virtual audio (``tests/audio/virtual-audio``, the project's own harness): ``virtual_audio``
starts a private PulseAudio server with a virtual microphone and speaker for the test session
and exports its environment (before sounddevice scans devices); ``mic.playing(wav)`` feeds
the microphone while the code under test records, ``mic.record_speaker(s, out)`` captures
what the code played, ``mic.echo()`` loops the speaker into the microphone. Set
``VIRTUAL_MIC_DIR`` to keep parallel runs apart.

A skipped test fails (with the reason it gave), unless it is marked ``real_audio``: a missing
fixture, device, package or model is a broken setup, not a pass.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shlex
import signal
import subprocess
import sys
import threading
import time

import pytest

# A suite started in the background (``nohup make test &``) inherits an ignored SIGINT, and so
# would every program it starts: the Ctrl-C tests could never interrupt them. A handled signal
# is reset to its default in a child, so the children start able to take Ctrl-C.
signal.signal(signal.SIGINT, signal.default_int_handler)

VIRTUAL_AUDIO = str(pathlib.Path(__file__).resolve().parent / "audio" / "virtual-audio")
ALLOWED_SKIP = "real_audio"  # the only marker under which a test may be skipped (README, Tests)

if os.environ.get("PYTEST_XDIST_WORKER"):  # one server per worker, or parallel tests hear each other
    os.environ["VIRTUAL_MIC_DIR"] = (
        os.environ.get("VIRTUAL_MIC_DIR", f"/tmp/virtual-audio-{os.getuid()}") + "-" + os.environ["PYTEST_XDIST_WORKER"]
    )


def _skip_reason(longrepr) -> str:
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.skipped and not hasattr(report, "wasxfail") and item.get_closest_marker(ALLOWED_SKIP) is None:
        report.outcome = "failed"
        report.longrepr = f"skipped, and only '{ALLOWED_SKIP}' tests may be: {_skip_reason(report.longrepr)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    report = (yield).get_result()
    if report.skipped:  # a whole module skipped at import (pytest.importorskip, a module-level skip)
        report.outcome = "failed"
        report.longrepr = f"{collector.nodeid} skipped at collection: {_skip_reason(report.longrepr)}"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    """No test reads the developer's config file or ``VOICE_INTERVIEWER_*``/``OPENAI_*`` variables,
    or writes sessions or logs outside its own folders (programs it starts inherit the same).
    The prepared model cache (``XDG_CACHE_HOME``, ``VOICE_INTERVIEWER_MODELS_DIR``) is kept."""
    for key in list(os.environ):
        if key.startswith(("VOICE_INTERVIEWER_", "OPENAI_")) and key != "VOICE_INTERVIEWER_MODELS_DIR":
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state-home")))
    monkeypatch.setenv("VOICE_INTERVIEWER_RECORDINGS_DIR", str(tmp_path_factory.mktemp("recordings")))


def _vm(*args: str) -> str:
    r = subprocess.run([VIRTUAL_AUDIO, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"virtual-audio {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


@pytest.fixture(scope="session")
def virtual_audio():
    _vm("start")
    env = {}
    for line in _vm("env").splitlines():
        key, value = shlex.split(line)[1].split("=", 1)
        env[key] = value
    os.environ.update(env)
    sd = sys.modules.get("sounddevice")
    if sd is not None:  # imported before the server was up: re-scan devices
        sd._terminate()
        sd._initialize()
    yield env
    _vm("stop")


class Mic:
    @contextlib.contextmanager
    def playing(self, wav, delay: float = 0.5):
        """Play ``wav`` into the microphone from a thread, ``delay`` s after entering."""
        errors: list[str] = []

        def run():
            time.sleep(delay)
            r = subprocess.run(
                [VIRTUAL_AUDIO, "play", str(wav)], stdin=subprocess.DEVNULL, capture_output=True, text=True
            )
            if r.returncode:
                errors.append(r.stderr)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        try:
            yield
        finally:
            t.join(timeout=300)
        assert not errors, errors

    def play(self, wav) -> None:
        """Play ``wav`` into the microphone now; returns when it has been played."""
        _vm("play", str(wav))

    def play_speaker(self, wav) -> None:
        """Play ``wav`` to the speaker, as the program would; returns when it has been played."""
        _vm("play-speaker", str(wav))

    def record_speaker(self, seconds, out):
        """Start capturing the speaker for ``seconds``; returns the Popen (call ``.wait()``)."""
        return subprocess.Popen(
            [VIRTUAL_AUDIO, "record-speaker", str(seconds), str(out)], stdin=subprocess.DEVNULL
        )

    @contextlib.contextmanager
    def echo(self):
        """Inside the block the speaker is looped into the microphone: the program hears itself."""
        _vm("echo", "on")
        try:
            yield
        finally:
            _vm("echo", "off")


@pytest.fixture
def mic(virtual_audio):
    return Mic()


# --- speech to text and listening models (loaded once per test run) ---------------------


@pytest.fixture(scope="session")
def whisper_transcriber():
    """Whisper base (multilingual), int8, 1 thread (the default), from the prepared model cache."""
    from voice_interviewer.hearing.whisper import WhisperTranscriber

    return WhisperTranscriber("base", threads=1, progress=False)


@pytest.fixture(scope="session")
def listening_models():
    """(silero VAD, Smart Turn v3) from the prepared model cache."""
    from voice_interviewer.hearing.endpoint import load_endpointer_models

    return load_endpointer_models(progress=False)


@pytest.fixture(scope="session")
def local_llm_server(tmp_path_factory):
    """SmolLM2-135M (from the prepared model cache) behind a llama.cpp server on 127.0.0.1."""
    from voice_interviewer.config import Settings
    from voice_interviewer.judging.llm_server import LocalLLMServer, resolve_gguf

    gguf = resolve_gguf("smollm2-135m", Settings().models_dir, progress=False)
    log = tmp_path_factory.mktemp("llm") / "server.log"
    with LocalLLMServer(gguf, n_ctx=4096, log_path=log) as server:
        yield server


@pytest.fixture(scope="session")
def offline_judge():
    """The offline judge with the real multilingual-e5 embedding model, loaded once."""
    from voice_interviewer.judging.offline import OfflineJudge

    judge = OfflineJudge()
    judge.embedder  # load now, not inside the first test
    return judge


@pytest.fixture
def make_listener(mic, whisper_transcriber, listening_models):
    """A microphone Listener with the real models and the given settings, without the live view."""
    from voice_interviewer.config import Settings
    from voice_interviewer.hearing.listener import Listener

    vad, turn = listening_models

    def make(**settings):
        return Listener(Settings(**settings), transcriber=whisper_transcriber, vad=vad,
                        turn_model=turn, live=False)

    return make
