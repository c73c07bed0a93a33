"""Errors the CLI turns into one clear line on stderr and a non-zero exit."""

from __future__ import annotations

MAX_ERROR_CHARS = 400  # an error line longer than this is cut (a huge id or value is not echoed)


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (+{len(text) - limit} chars)"


class InterviewerError(Exception):
    """Base class: the message is shown to the user as is, without a traceback."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def line(self) -> str:
        msg = clip(str(self))
        return f"{msg} ({clip(self.hint)})" if self.hint else msg


class ConfigError(InterviewerError):
    pass


class BankError(InterviewerError):
    pass


class SessionError(InterviewerError):
    pass


class InputFileError(InterviewerError):
    """A job description or CV that cannot be used."""


class DeviceError(InterviewerError):
    def __init__(self, message: str, hint: str | None = "use --text to type your answers instead"):
        super().__init__(message, hint)


class ModelError(InterviewerError):
    pass


class AudioError(InterviewerError):
    pass


class TranscriptionError(InterviewerError):
    pass


class JudgeError(InterviewerError):
    """A judge could not produce a valid judgement; ``retryable`` says whether to try again."""

    def __init__(self, message: str, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable
