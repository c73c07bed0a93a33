"""Command-line interface: ``voice-interviewer`` (also ``python -m voice_interviewer``)."""

from __future__ import annotations

import sys

import click
from rich.text import Text

from ..errors import InterviewerError
from .app import app, err_console

# command modules register themselves on ``app``
from . import practice as _practice  # noqa: E402,F401
from . import bank as _bank  # noqa: E402,F401
from . import sessions as _sessions  # noqa: E402,F401
from . import score as _score  # noqa: E402,F401
from . import review as _review  # noqa: E402,F401
from . import llm as _llm  # noqa: E402,F401
from . import voices as _voice  # noqa: E402,F401
from . import devices as _audio, weights as _models  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    try:
        rv = app(args=argv, prog_name="voice-interviewer", standalone_mode=False)
    except InterviewerError as exc:
        err_console.print(Text.assemble(("error: ", "red"), exc.line()), soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
