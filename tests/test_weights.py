"""Model manager: join packaged parts, verify sha256, cache the verification."""

from __future__ import annotations

import hashlib
import os
import sys

import pytest

from voice_interviewer import weights as modelfiles
from voice_interviewer.errors import ModelError
from voice_interviewer.weights import ModelFiles, PackagedFile, Recipe, join_and_verify

OWN_RECIPES = ["whisper-base", "whisper-tiny.en", "silero-vad", "smart-turn-v3.2"]


def _fake_packages(root, blobs: dict[str, bytes]):
    """Installable-looking packages ``fakemodel_<i>`` each holding ``data/<name>``."""
    for i, (name, data) in enumerate(blobs.items()):
        pkg = root / f"fakemodel_{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise ImportError('model packages must not be imported')\n")
        (pkg / "data" / name).write_bytes(data)


@pytest.fixture
def fake_recipe(tmp_path, monkeypatch):
    part1, part2, extra = os.urandom(300_000), os.urandom(123_457), b'{"fake": true}'
    _fake_packages(tmp_path / "site", {"model.bin.part1": part1, "model.bin.part2": part2})
    (tmp_path / "site" / "fakemodel_1" / "data" / "config.json").write_bytes(extra)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    joined = part1 + part2
    recipe = Recipe(
        name="fake-model", kind="ctranslate2",
        packages=["fakemodel-0==1.0", "fakemodel-1==1.0"],
        parts=[PackagedFile(package="fakemodel_0", path="data/model.bin.part1"),
               PackagedFile(package="fakemodel_1", path="data/model.bin.part2")],
        extras=[PackagedFile(package="fakemodel_1", path="data/config.json",
                             sha256=hashlib.sha256(extra).hexdigest())],
        target="fake/model.bin", size=len(joined), sha256=hashlib.sha256(joined).hexdigest(),
        licence="test", entry="dir",
    )
    monkeypatch.setitem(modelfiles.RECIPES, recipe.name, recipe)
    return recipe, joined


@pytest.mark.unit
def test_prepare_joins_parts_in_order_and_verifies(fake_recipe, tmp_path):
    recipe, joined = fake_recipe
    files = ModelFiles(tmp_path / "cache")
    assert not files.is_prepared(recipe)
    path = files.prepare("fake-model", progress=False)
    assert path == tmp_path / "cache" / "fake"
    assert (path / "model.bin").read_bytes() == joined
    assert (path / "config.json").read_bytes() == b'{"fake": true}'
    assert files.status("fake-model").prepared
    assert "fakemodel_0" not in sys.modules  # located without importing the package


@pytest.mark.unit
def test_verification_is_cached_until_a_file_changes(fake_recipe, tmp_path, monkeypatch):
    recipe, _ = fake_recipe
    files = ModelFiles(tmp_path / "cache")
    files.prepare("fake-model", progress=False)

    def no_join(*a, **k):
        raise AssertionError("verified files must not be joined/hashed again")

    real_join = modelfiles.join_and_verify
    monkeypatch.setattr(modelfiles, "join_and_verify", no_join)
    assert files.path("fake-model", progress=False) == tmp_path / "cache" / "fake"
    model_bin = tmp_path / "cache" / "fake" / "model.bin"
    with open(model_bin, "r+b") as fh:  # same size, different bytes, new mtime
        fh.write(b"X")
    os.utime(model_bin, ns=(1, 1))
    assert not files.is_prepared(recipe)
    monkeypatch.setattr(modelfiles, "join_and_verify", real_join)
    files.prepare("fake-model", progress=False)
    assert files.is_prepared(recipe)


@pytest.mark.unit
def test_checksum_failure_raises_and_leaves_nothing(fake_recipe, tmp_path, monkeypatch):
    recipe, _ = fake_recipe
    bad = recipe.model_copy(update={"sha256": "0" * 64})
    monkeypatch.setitem(modelfiles.RECIPES, recipe.name, bad)
    files = ModelFiles(tmp_path / "cache")
    with pytest.raises(ModelError, match="checksum failed for fake-model"):
        files.prepare("fake-model", progress=False)
    assert not (tmp_path / "cache" / "fake" / "model.bin").exists()
    assert not (tmp_path / "cache" / "fake" / "model.bin.partial").exists()
    assert not files.status("fake-model").prepared


@pytest.mark.unit
def test_missing_package_names_it_and_how_to_install(fake_recipe, tmp_path, monkeypatch):
    recipe, _ = fake_recipe
    gone = recipe.model_copy(update={
        "parts": [*recipe.parts, PackagedFile(package="fakemodel_absent", path="data/x")]})
    monkeypatch.setitem(modelfiles.RECIPES, recipe.name, gone)
    with pytest.raises(ModelError) as err:
        ModelFiles(tmp_path / "cache").prepare("fake-model", progress=False)
    line = err.value.line()
    assert "fakemodel-absent" in line and "make models" in line and "voice-interviewer[models]" in line
    assert ModelFiles(tmp_path).status("fake-model").missing_packages == ["fakemodel-absent"]


@pytest.mark.unit
def test_join_and_verify_size_mismatch(tmp_path):
    a = tmp_path / "a"
    a.write_bytes(b"abc")
    with pytest.raises(ModelError, match="got 3 bytes"):
        join_and_verify([a], tmp_path / "out", size=4, sha256=hashlib.sha256(b"abc").hexdigest())
    out = join_and_verify([a, a], tmp_path / "out", size=6,
                          sha256=hashlib.sha256(b"abcabc").hexdigest())
    assert out.read_bytes() == b"abcabc"


@pytest.mark.unit
def test_unknown_model_lists_known_ones():
    with pytest.raises(ModelError, match="whisper-base"):
        modelfiles.get_recipe("nope")


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("name", OWN_RECIPES)
def test_real_recipe_joins_to_the_published_checksum(name, tmp_path):
    files = ModelFiles(tmp_path)
    path = files.prepare(name, progress=False)
    recipe = modelfiles.get_recipe(name)
    target = files.target(recipe)
    assert target.stat().st_size == recipe.size
    assert modelfiles.sha256_file(target) == recipe.sha256
    assert files.status(name).prepared and path.exists()
