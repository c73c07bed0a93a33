"""Learning from an answer: the model answer with the points missed first, and what changed
between two attempts at the same question (score, key points gained and lost, a word diff)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from pydantic import BaseModel, Field

from .language import clamp_language, fold_accents
from .schema import KeyPointResult, ModelSentence, Question, Turn

MODEL_ANSWER_WORDS = 90  # a spoken model answer stops after the sentence that passes this many words
# said after the last reaction, before listening once more for /answer or /retry
END_MOMENT = {
    "en": "That was the last question. Want my answer to it, or another try?",
    "es": "Esa fue la última pregunta. ¿Quieres mi respuesta, o intentarlo otra vez?",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _fold(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", fold_accents(text.lower()))) + " "


def model_sentences(question: Question, language: str) -> list[ModelSentence]:
    """The model answer split in sentences, each with the key points whose evidence terms it says."""
    lang = clamp_language(language)
    text = question.model_answer.get(lang)
    out: list[ModelSentence] = []
    for sentence in (s.strip() for s in _SENTENCE.split(text.strip())):
        if not sentence:
            continue
        folded = _fold(sentence)
        ids = [
            kp.id
            for kp in question.rubric
            if any(_fold(term).strip() and _fold(term) in folded for term in getattr(kp.evidence, lang))
        ]
        out.append(ModelSentence(text=sentence, key_points=ids))
    return out


def not_covered(key_points: list[KeyPointResult]) -> list[KeyPointResult]:
    """Key points not (fully) covered, the heaviest first."""
    return sorted((k for k in key_points if k.verdict != "covered"), key=lambda k: -k.weight)


def model_answer_text(sentences: list[ModelSentence], key_points: list[KeyPointResult], language: str) -> str:
    """A concise model answer to say: the sentences that state the missed points first (a missed
    point no sentence states is said as its rubric statement), then the rest, up to ~90 words."""
    es = clamp_language(language) == "es"
    missed = not_covered(key_points)
    first: list[str] = []
    used: set[int] = set()
    for kp in missed:
        hits = [i for i, s in enumerate(sentences) if kp.id in s.key_points]
        if not hits:
            first.append(kp.statement.rstrip(".") + ".")
        for i in hits[:1]:
            if i not in used:
                used.add(i)
                first.append(sentences[i].text)
    rest = [s.text for i, s in enumerate(sentences) if i not in used]
    said: list[str] = []
    for sentence in [*first, *rest]:
        said.append(sentence)
        if sum(len(s.split()) for s in said) >= MODEL_ANSWER_WORDS:
            break
    lead = "Así lo respondería:" if es else "Here is how I would answer it:"
    return f"{lead} {' '.join(said)}"


class RetryChange(BaseModel):
    """Attempt ``new`` against the attempt before it."""

    before: int  # index of the previous attempt
    score_delta: float | None = None
    gained: list[str] = Field(default_factory=list)  # statements of key points covered now, not before
    lost: list[str] = Field(default_factory=list)  # covered before, not now
    still_missing: list[str] = Field(default_factory=list)


def retry_change(before: Turn, after: Turn) -> RetryChange:
    was = set(before.covered)
    now = set(after.covered)
    delta = None
    if before.score is not None and after.score is not None:
        delta = round(after.score - before.score, 2)
    statements = {k.id: k.statement for k in [*before.key_points, *after.key_points]}
    return RetryChange(
        before=before.index,
        score_delta=delta,
        gained=[statements[i] for i in after.covered if i not in was],
        lost=[statements[i] for i in before.covered if i not in now],
        still_missing=[k.statement for k in not_covered(after.key_points)],
    )


def _num(x: float, es: bool) -> str:
    s = f"{x:+.1f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") if es else s


def _lower_first(s: str) -> str:
    s = s.strip().rstrip(".")
    return s[:1].lower() + s[1:]


def retry_reaction(change: RetryChange, score: float | None, language: str) -> str:
    """'+2.5 (7 out of 10): you now covered X; you dropped Y; still missing Z.'"""
    es = clamp_language(language) == "es"
    parts: list[str] = []
    if change.gained:
        parts.append(("ahora cubriste " if es else "you now covered ") + _and(change.gained, es))
    if change.lost:
        parts.append(("esta vez no dijiste " if es else "this time you left out ") + _and(change.lost, es))
    if change.still_missing:
        parts.append(("todavía falta " if es else "still missing ") + _lower_first(change.still_missing[0]))
    elif not change.lost:
        parts.append("cubriste todos los puntos clave" if es else "you covered every key point")
    if not change.gained and not change.lost:
        parts.insert(0, "los mismos puntos que antes" if es else "the same points as before")
    head = _num(change.score_delta or 0.0, es)
    if score is not None:
        total = f"{score:.1f}".rstrip("0").rstrip(".")
        head += f" ({total.replace('.', ',')} de 10)" if es else f" ({total} out of 10)"
    return f"{head}: {'; '.join(parts)}."


def _and(items: list[str], es: bool) -> str:
    items = [_lower_first(i) for i in items]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + (" y " if es else " and ") + items[-1]


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The second transcript against the first, word by word: ("same"|"added"|"removed", words)."""
    a, b = before.split(), after.split()
    key = lambda ws: [re.sub(r"\W+", "", fold_accents(w.lower())) for w in ws]  # noqa: E731
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, key(a), key(b), autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(b[j1:j2])))
            continue
        if i2 > i1:
            out.append(("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("added", " ".join(b[j1:j2])))
    return out


def previous_attempt(turns: list[Turn], turn: Turn) -> Turn | None:
    if turn.retry_of is None:
        return None
    return next((t for t in turns if t.index == turn.retry_of), None)


def marked_model_answer(turn: Turn) -> list[tuple[str, list[str]]]:
    """The turn's model answer, each sentence with the statements of the key points it states
    that the answer did not cover (empty: nothing missed there); then each missed point that no
    sentence states, as its rubric statement."""
    missed = {k.id: k.statement for k in not_covered(turn.key_points)}
    out = [(s.text, [missed[i] for i in s.key_points if i in missed]) for s in turn.model_answer]
    stated = {i for s in turn.model_answer for i in s.key_points}
    if turn.model_answer:  # a missed point no sentence states: its rubric statement, at the end
        out += [(text.rstrip(".") + ".", [text]) for i, text in missed.items() if i not in stated]
    return out
