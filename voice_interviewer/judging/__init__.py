"""Judges: score an answer against a question's rubric.

``make_judge`` builds the judge the settings ask for. ``offline`` needs no network and
no LLM; ``llm`` uses an OpenAI-compatible endpoint and falls back to ``offline``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Settings
from ..ports import Judge
from ..schema import Question


def vector_store_path(settings: Settings) -> Path:
    """Where the bank's sentence vectors are kept between runs."""
    return settings.models_dir / "e5-vectors.npz"


def make_offline_judge(settings: Settings, background: Sequence[Question] = ()):
    from .offline import OfflineJudge  # noqa: PLC0415 - loads numpy and the embedding engine

    return OfflineJudge(background=background, vector_store=vector_store_path(settings))


def make_judge(settings: Settings, background: Sequence[Question] = ()) -> Judge:
    """The judge the settings ask for; ``background`` (the bank) lets the offline judge tell an
    answer to another question from an answer to this one."""
    scorer = settings.effective_scorer()
    offline = make_offline_judge(settings, background)
    if scorer == "offline":
        return offline
    from .llm import LLMJudge  # noqa: PLC0415 - optional path, imported on demand

    return LLMJudge.from_settings(settings, fallback=offline)
