"""Prompt templates (``prompts/<name>.<language>.j2``) rendered with jinja2.

Templates are plain text, not HTML, so autoescaping is off; ``StrictUndefined`` turns a
missing variable into an error instead of silently empty text. The folder is the setting
``prompts_dir`` (``VOICE_INTERVIEWER_PROMPTS_DIR``) when set, else the built-in templates (see
``datafiles``).
The candidate's answer goes into templates only through :func:`fence_answer`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .datafiles import data_dir
from .errors import ConfigError
from .language import clamp_language

FENCE = "candidate_answer"
_FENCE_TAG = re.compile(r"</?\s*candidate_answer\s*>", re.IGNORECASE)


def prompts_dir(own: Path | None = None) -> Path:
    """``own`` (the user's templates) when given, else the built-in ones."""
    return Path(own) if own else data_dir("prompts")


@lru_cache(maxsize=4)
def _environment(root: str):
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        autoescape=False,  # noqa: S701 - prompts are plain text, never HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=False,
    )


def fence_answer(answer: str, limit: int = 6000) -> str:
    """The answer as data: fence tags inside it removed, length bounded."""
    text = _FENCE_TAG.sub(" ", answer).strip()
    return text if len(text) <= limit else text[:limit] + " …"


def render(name: str, language: str, *, root: Path | None = None, **context: object) -> str:
    """Render ``<name>.<language>.j2`` from ``root`` (default: the built-in templates; English
    when the language has no template)."""
    import jinja2

    lang = clamp_language(language)
    folder = prompts_dir(root)
    env = _environment(str(folder))
    try:
        template = env.get_template(f"{name}.{lang}.j2")
    except jinja2.TemplateNotFound:
        raise ConfigError(f"prompt template {name}.{lang}.j2 not found in {folder}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename}:{exc.lineno}: prompt template error: {exc.message}") from None
    try:
        return template.render(fence=FENCE, **context).strip() + "\n"
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"prompt template {name}.{lang}.j2: {exc.message}") from None
