"""Spoken turn-taking cues at the end of what was said so far (en and es).

A closer ("that's it", "that's all", "eso es todo", "ya está") said last ends the answer at
once; a request for time ("let me think", "give me a second", "déjame pensar", "un momento")
said last makes the listener wait through the pause that follows (``Settings.think_s``).

Both count only at the END of the text and at the start of a clause: after punctuation, at the
start of the answer, after a connector ("so", "and", "bueno"...), or written with a capital
(Whisper sometimes leaves out the full stop: "… la penalización Eso es todo."). "That's all there is to
bias" and "el modelo ya está entrenado" are answers, not closers, and neither is "el modelo ya
está." (no clause starts at "ya"). A request for time may be followed by a few words of its own
("let me think about that for a second", "déjame pensarlo un momento, por favor").
"""

from __future__ import annotations

import re
from typing import Literal

from ..language import fold_accents

Cue = Literal["close", "think"]

# phrases as folded, lower-case words (accents removed, "’" -> "'")
CLOSERS: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "that's it", "that is it", "that's all", "that is all", "that's all i have", "that is all i have",
    "that's all i've got", "that's my answer", "i'm done", "i am done", "i'm finished",
    "eso es todo", "esto es todo", "ya esta", "eso seria todo", "es todo", "he terminado", "nada mas",
    "ya he terminado", "esa es mi respuesta",
))
THINKING: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in (
    "let me think", "let me see", "give me a second", "give me a sec", "give me a moment",
    "give me a minute", "one moment", "one second", "just a second", "just a moment", "hold on",
    "dejame pensar", "dejame pensarlo", "deja que lo piense", "dejame ver", "un momento",
    "un segundo", "dame un segundo", "dame un momento", "dame un minuto",
))
# words a request for time may trail ("let me think about that for a second, please")
THINK_TAIL = set("""about it that this for a one second sec moment minute please um uh hmm
    lo eso un momento segundo minuto por favor eh mmm""".split())
MAX_THINK_TAIL = 5
# words after which a clause may start without punctuation
CONNECTORS = set("""so and ok okay well yeah um uh hmm then anyway basically i think
    y bueno pues vale entonces eh mmm o sea asi que""".split())
# words said after a closer that do not take it back ("that's it, thanks")
POLITE_TAIL = set("thanks thank you gracias".split())

_TOKEN = re.compile(r"[A-Za-z0-9']+|[.,!?;:…¿¡-]")
BOUNDARY = set(".,!?;:…¿¡-")


def _tokens(text: str) -> list[str]:
    """Lower-case words and punctuation; a word written with a capital keeps it (a clause start)."""
    found = _TOKEN.findall(fold_accents(text).replace("’", "'"))
    return [t if t[:1].isupper() and t.lower() not in ("i", "i'm") else t.lower() for t in found]


def _starts_clause(tokens: list[str], i: int) -> bool:
    """Whether a phrase starting at token ``i`` starts a clause."""
    if tokens[i][:1].isupper():
        return True
    j = i - 1
    while j >= 0 and tokens[j].lower() in CONNECTORS:
        j -= 1
    return j < 0 or tokens[j] in BOUNDARY or j < i - 1


def _ends_with(tokens: list[str], phrases, tail: set[str], max_tail: int) -> bool:
    words = [(i, t) for i, t in enumerate(tokens) if t not in BOUNDARY]
    for phrase in phrases:
        n = len(phrase)
        for extra in range(0, max_tail + 1):
            if n + extra > len(words):
                break
            trailing = [t.lower() for _, t in words[len(words) - extra:]] if extra else []
            if any(t not in tail for t in trailing):
                break
            at = len(words) - extra - n
            if tuple(t.lower() for _, t in words[at:at + n]) == phrase and _starts_clause(tokens, words[at][0]):
                return True
    return False


def spoken_cue(text: str) -> Cue | None:
    """"close" when the text ends with a closer, "think" when it ends with a request for time,
    else None."""
    tokens = _tokens(text)
    if not tokens:
        return None
    if _ends_with(tokens, CLOSERS, POLITE_TAIL, 2):
        return "close"
    if _ends_with(tokens, THINKING, THINK_TAIL, MAX_THINK_TAIL):
        return "think"
    return None
