"""Command-line interface: ``voice-interviewer`` (also ``python -m voice_interviewer``).

``main`` is the one place a run ends: a known error is one line on stderr (exit 2), a usage
mistake is one line with a hint (exit 2), Ctrl-C/SIGTERM/SIGHUP exit 130/143/129, and any
other exception is one line naming a log file that holds the traceback. The command modules
are imported inside ``main`` so a Ctrl-C during start-up is handled like any other.
"""

from __future__ import annotations

import signal
import sys


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (the session ends as interrupted)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


def _unraisable(args) -> None:
    """A Ctrl-C that lands where Python cannot raise it (inside a C callback during start-up) is
    raised again in the main thread, not printed as an ignored traceback."""
    if isinstance(args.exc_value, KeyboardInterrupt):
        import _thread

        _thread.interrupt_main(getattr(args.exc_value, "signum", signal.SIGINT))
        return
    sys.__unraisablehook__(args)


def install_signal_handlers() -> None:
    sys.unraisablehook = _unraisable
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _raise_terminated)


def _stderr_line(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _interrupted(exc: BaseException) -> int:
    if isinstance(exc, Terminated):
        _stderr_line(f"terminated ({signal.Signals(exc.signum).name})")
        return 128 + exc.signum
    _stderr_line("interrupted")
    return 130


def _crash_log(exc: BaseException) -> str:
    """Write the traceback to a log file in the user's state dir; returns where (or why not)."""
    import os
    import traceback
    from datetime import datetime

    from ..config import user_state_dir

    folder = user_state_dir() / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"argv: {sys.argv!r}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return str(path)
    except OSError as err:
        return f"(no log written: {err.strerror or err})"


def _usage_line(exc) -> str:
    from ..errors import clip

    ctx = getattr(exc, "ctx", None)
    hint = ""
    if ctx is not None:
        hint = f" (try '{ctx.command_path} --help')"
    return f"error: {clip(exc.format_message())}{hint}"


def main(argv: list[str] | None = None) -> None:
    install_signal_handlers()
    try:
        sys.exit(_run(argv))
    except KeyboardInterrupt as exc:  # a second signal while handling the first
        sys.exit(_interrupted(exc))


def _run(argv: list[str] | None) -> int:
    try:
        from typer._click import exceptions as click_exc
        from typer.exceptions import Abort, TyperException

        from ..errors import InterviewerError
        from .app import app, err_console

        # command modules register themselves on ``app``
        from . import practice as _practice  # noqa: F401
        from . import bank as _bank  # noqa: F401
        from . import sessions as _sessions  # noqa: F401
        from . import score as _score  # noqa: F401
        from . import review as _review  # noqa: F401
        from . import llm as _llm  # noqa: F401
        from . import voices as _voice  # noqa: F401
        from . import devices as _audio, weights as _models  # noqa: F401
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except Exception as exc:  # noqa: BLE001 - a broken installation: one line and a log
        _stderr_line(f"error: cannot start: {type(exc).__name__}: {exc} (details: {_crash_log(exc)})")
        return 1

    try:
        rv = app(args=argv, prog_name="voice-interviewer", standalone_mode=False)
    except InterviewerError as exc:
        from rich.text import Text

        err_console.print(Text.assemble(("error: ", "red"), exc.line()), soft_wrap=True)
        return exc.exit_code
    except Abort:
        _stderr_line("aborted")
        return 130
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except click_exc.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already shown
            return 2
        _stderr_line(_usage_line(exc))
        return 2
    except click_exc.ClickException as exc:
        from ..errors import clip

        _stderr_line(f"error: {clip(exc.format_message())}")
        return exc.exit_code
    except TyperException as exc:
        _stderr_line(f"error: {exc}")
        return getattr(exc, "exit_code", 1) or 1
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except MemoryError as exc:
        _stderr_line(f"error: out of memory ({_crash_log(exc)})")
        return 1
    except Exception as exc:  # noqa: BLE001 - the last guard: one line and a log for a bug report
        from ..errors import clip

        where = _crash_log(exc)
        _stderr_line(f"error: unexpected {type(exc).__name__}: {clip(str(exc), 200)} (details: {where})")
        return 1
    return rv if isinstance(rv, int) else 0


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's flush is silent."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
