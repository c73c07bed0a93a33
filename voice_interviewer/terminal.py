"""Text from sessions made safe to show: no escape sequences or control characters.

An answer, a question from a bank file or an LLM's feedback could hold ``ESC [ 2 J``, an
OSC 8 link, a bell or a bidirectional override. ``clean`` removes whole escape sequences,
then every other C0/C1 control character (keeping newlines and tabs when asked), the
Unicode bidi controls and lone surrogates (which cannot be encoded to UTF-8 at all).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

# CSI (ESC [ or 0x9b ... final byte), OSC/DCS/SOS/PM/APC strings (... BEL or ST), two-byte ESC sequences
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROLS_NO_NL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean(text: str, keep_newlines: bool = False) -> str:
    """``text`` without escape sequences and control characters (a newline becomes a space
    unless ``keep_newlines``)."""
    if not _UNSAFE.search(text):
        return text
    text = _ESCAPES.sub("", text)
    if keep_newlines:
        return _CONTROLS.sub("", text.replace("\r\n", "\n"))
    return _CONTROLS_NO_NL.sub("", text.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


def _clean_value(value):
    if isinstance(value, str):
        return clean(value, keep_newlines=True)
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    if isinstance(value, dict):
        return {_clean_value(k): _clean_value(v) for k, v in value.items()}
    return value


def clean_model(model: BaseModel):
    """A copy of ``model`` (e.g. a Session) with every string cleaned, newlines kept."""
    return type(model).model_validate(_clean_value(model.model_dump()))
