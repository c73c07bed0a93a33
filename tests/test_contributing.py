"""CONTRIBUTING.md maps every module of the package."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.unit  # no model, device, server or browser


def test_every_module_is_in_the_architecture_map():
    tracked = subprocess.run(["git", "ls-files", "voice_interviewer"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    modules = [Path(p) for p in tracked if p.endswith(".py") and not p.endswith(("__init__.py", "__main__.py"))]
    assert len(modules) > 40
    text = (ROOT / "CONTRIBUTING.md").read_text()
    missing = [str(m) for m in modules if f"`{m.name}`" not in text and f"{m.parent.name}/{m.name}`" not in text]
    assert not missing, f"modules missing from CONTRIBUTING.md's architecture map: {missing}"
