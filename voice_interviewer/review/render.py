"""The jinja2 environment shared by the HTML pages (autoescaped, templates in the package)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from .i18n import strings, ui_language
from .stats import fmt_duration, fmt_score, fmt_seconds


def _no_urls(value: Any) -> Any:
    """Every printed value is escaped and '://' is written as '&#58;//': a transcript that
    mentions a web address shows it, but the file never contains a fetchable URL."""
    if value is None:
        return ""
    html = value if isinstance(value, Markup) else escape(value)
    return Markup(str(html).replace("://", "&#58;//"))


@lru_cache(maxsize=1)
def environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("voice_interviewer.review", "templates"),
        autoescape=True,
        finalize=_no_urls,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(fmt_score=fmt_score, fmt_seconds=fmt_seconds, fmt_duration=fmt_duration)
    return env


def render(template: str, language: str | None, **context: Any) -> str:
    lang = ui_language(language)
    html = environment().get_template(template).render(
        lang=lang,
        t=strings(lang),
        generated_at=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        **context,
    )
    return html


def grade(score: float | None) -> str:
    if score is None:
        return ""
    return "good" if score >= 7 else "mid" if score >= 4 else "bad"
