"""Where the built-in question bank and prompt templates are.

An installed package carries them inside itself (``voice_interviewer/data/questions`` and
``voice_interviewer/data/prompts``, mapped from the project's ``questions/`` and ``prompts/`` by
``pyproject.toml``) and they are found through ``importlib.resources``; a checkout (and an
editable install of it) reads the project's folders directly.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

CHECKOUT = Path(__file__).resolve().parent.parent


def data_dir(name: Literal["questions", "prompts"]) -> Path:
    """The folder of built-in ``questions`` or ``prompts``."""
    packaged = resources.files(__package__) / "data" / name
    if packaged.is_dir():
        return Path(str(packaged))  # installed from a wheel: a real folder in site-packages
    return CHECKOUT / name
