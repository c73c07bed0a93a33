"""Judges: score an answer against a question's rubric.

``make_judge`` builds the judge the settings ask for. ``offline`` needs no network and
no LLM; ``llm`` uses an OpenAI-compatible endpoint and falls back to ``offline``.
"""

from __future__ import annotations

from ..config import Settings
from ..ports import Judge


def make_judge(settings: Settings) -> Judge:
    scorer = settings.effective_scorer()
    from .offline import OfflineJudge

    offline = OfflineJudge()
    if scorer == "offline":
        return offline
    from .llm import LLMJudge  # noqa: PLC0415 - optional path, imported on demand

    return LLMJudge.from_settings(settings, fallback=offline)
