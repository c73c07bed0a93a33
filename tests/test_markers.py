"""Every test says which real part it needs: a model, the (virtual) audio devices, the speech
synthesizer, a local LLM server, a browser, real audio hardware, or none (``unit``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PARTS = ("unit", "model", "audio", "tts", "llm", "browser", "real_audio")
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.unit  # no model, device, server or browser


def test_every_test_is_marked_with_the_real_part_it_needs():
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", f"not ({' or '.join(PARTS)})", str(ROOT / "tests")],
        capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=300,
    )
    unmarked = [line for line in r.stdout.splitlines() if "::" in line]
    assert r.returncode in (0, 5), r.stdout + r.stderr  # 5: every test deselected
    assert not unmarked, "tests without a marker for the real part they need:\n" + "\n".join(unmarked)
