"""Shared fixtures.

Virtual audio (``../shared/audio/virtual-mic``, see its README): ``virtual_audio`` starts a
private PulseAudio server with a virtual microphone and speaker for the test session and
exports its environment (before sounddevice scans devices); ``mic.playing(wav)`` feeds
the microphone while the code under test records, ``mic.record_speaker(s, out)`` captures
what the code played. Set ``VIRTUAL_MIC_DIR`` to keep parallel runs apart.
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

VIRTUAL_MIC = os.environ.get(
    "VIRTUAL_MIC", str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "audio" / "virtual-mic")
)

if os.environ.get("PYTEST_XDIST_WORKER"):  # one server per worker, or parallel tests hear each other
    os.environ["VIRTUAL_MIC_DIR"] = (
        os.environ.get("VIRTUAL_MIC_DIR", "/tmp/virtual-mic") + "-" + os.environ["PYTEST_XDIST_WORKER"]
    )


def _vm(*args: str) -> str:
    r = subprocess.run([VIRTUAL_MIC, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"virtual-mic {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout


@pytest.fixture(scope="session")
def virtual_audio():
    if not os.path.exists(VIRTUAL_MIC):
        pytest.skip(f"virtual-mic not found at {VIRTUAL_MIC} (set VIRTUAL_MIC)")
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
                [VIRTUAL_MIC, "play", str(wav)], stdin=subprocess.DEVNULL, capture_output=True, text=True
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
        subprocess.run([VIRTUAL_MIC, "play", str(wav)], stdin=subprocess.DEVNULL, check=True, capture_output=True)

    def record_speaker(self, seconds, out):
        """Start capturing the speaker for ``seconds``; returns the Popen (call ``.wait()``)."""
        return subprocess.Popen(
            [VIRTUAL_MIC, "record-speaker", str(seconds), str(out)], stdin=subprocess.DEVNULL
        )


@pytest.fixture
def mic(virtual_audio):
    return Mic()


# --- speech to text and listening models (loaded once per test run) ---------------------

SPEECH_DIR = pathlib.Path(os.environ.get(
    "SHARED_SPEECH", str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "speech")))
STT_DATA = pathlib.Path(__file__).resolve().parent / "data" / "stt"


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
