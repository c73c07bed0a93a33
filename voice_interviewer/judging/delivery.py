"""Delivery metrics: how an answer was said (pace, fillers, pauses, hedges, length).

Input is the transcript and, in voice mode, Whisper's word timestamps
(``{"word", "start", "end", "probability"}``). Whisper tends to drop fillers, so filler
counts are a lower bound (``stt.FILLER_PROMPTS`` is an initial prompt written with fillers
that nudges it to keep them).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..config import Settings
from ..language import LANGUAGES, clamp_language, fold_accents, guess_language
from ..schema import DeliveryMetrics

# a silence between words at least this long is a long pause (Settings.long_pause_s): 2.5 s
# counted 1 of 8 thinking pauses of 1.6-2.5 s
LONG_PAUSE_S: float = Settings.model_fields["long_pause_s"].default
COMFORTABLE_WPM = (130.0, 170.0)
PACE_ES = {"slow": "lento", "comfortable": "cómodo", "fast": "rápido"}

# Fillers counted anywhere. Multi-word fillers are matched before single words.
_FILLERS = {
    "en": ["you know", "i mean", "sort of", "kind of", "um", "umm", "uh", "uhh", "er", "erm", "hmm", "mm",
           "basically", "like"],
    "es": ["o sea", "es decir", "eh", "ehh", "em", "emm", "mmm", "este", "bueno", "pues", "digamos", "tipo",
           "vale", "¿no?"],
}
_HEDGES = {
    "en": ["i think", "i guess", "i suppose", "i believe", "i'm not sure", "im not sure", "not sure",
           "maybe", "probably", "perhaps", "might be", "i'd say", "more or less"],
    "es": ["creo que", "supongo", "no estoy seguro", "no estoy segura", "quizas", "quiza", "tal vez",
           "a lo mejor", "puede ser", "me parece que", "probablemente", "mas o menos"],
}
# Words after which "like"/"kind of"/"sort of"/"bueno"/"este" are ordinary words, not fillers.
_NOT_FILLER_BEFORE = {
    "like": {"i", "you", "we", "they", "would", "d", "looks", "look", "seems", "feel", "feels", "something",
             "just", "not", "dont", "didnt", "doesnt", "things", "much", "more"},
    "kind of": {"a", "this", "that", "what", "which", "some", "the", "any", "one", "same", "every"},
    "sort of": {"a", "this", "that", "what", "which", "some", "the", "any", "one", "same", "every"},
    "bueno": {"es", "muy", "mas", "lo", "tan", "un", "sea", "era", "sera", "resulta"},
    "pues": set(),
    "tipo": {"el", "un", "este", "ese", "que", "de", "mismo", "cada", "otro"},
}
_NOT_FILLER_AFTER = {"like": {"to", "this", "that", "it", "them"}}


@dataclass
class _Word:
    norm: str
    raw: str
    start: float | None = None
    end: float | None = None


def _words_from_text(text: str) -> list[_Word]:
    out = []
    for raw in re.findall(r"\S+", text):
        norm = re.sub(r"[^a-z0-9']+", "", fold_accents(raw.lower())).replace("'", "")
        if norm:
            out.append(_Word(norm, raw))
    return out


def _words_from_timestamps(words: list[dict]) -> list[_Word]:
    out = []
    for w in words:
        raw = str(w.get("word", "")).strip()
        for piece in _words_from_text(raw):
            out.append(_Word(piece.norm, piece.raw, _num(w.get("start")), _num(w.get("end"))))
    return out


def _num(v: object) -> float | None:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _is_filler(phrase: str, words: list[_Word], i: int, n: int, lang: str) -> bool:
    prev = words[i - 1].norm if i > 0 else ""
    nxt = words[i + n].norm if i + n < len(words) else ""
    if prev in _NOT_FILLER_BEFORE.get(phrase, set()) or nxt in _NOT_FILLER_AFTER.get(phrase, set()):
        return False
    raw = words[i + n - 1].raw
    if lang == "es" and phrase == "¿no?":  # only the tag question "..., ¿no?"
        return "?" in raw and (i + n == len(words) or "¿" in words[i].raw or "?" in raw)
    if lang == "es" and phrase == "este":  # "este modelo" is a demonstrative, "este..." a filler
        return bool(re.search(r"[,.…]$", raw)) or nxt in {"eh", "em", "mmm", "bueno", "pues", ""}
    return True


def _count(words: list[_Word], table: dict[str, list[str]], lang: str, filler: bool) -> Counter:
    phrases = sorted(
        ((p, re.sub(r"[^a-z0-9 ]+", "", fold_accents(p.lower())).split()) for p in table.get(lang, [])),
        key=lambda x: -len(x[1]),
    )
    counts: Counter = Counter()
    i = 0
    while i < len(words):
        for phrase, parts in phrases:
            n = len(parts)
            if [w.norm for w in words[i : i + n]] == parts and (
                not filler or _is_filler(phrase, words, i, n, lang)
            ):
                counts[phrase] += 1
                i += n
                break
        else:
            i += 1
    return counts


def _long_pauses(words: list[_Word], threshold: float) -> list[float]:
    pauses = []
    for a, b in zip(words, words[1:]):
        if a.end is not None and b.start is not None and b.start - a.end >= threshold:
            pauses.append(round(b.start - a.end, 2))
    return pauses


def _speaking_span(words: list[_Word]) -> float | None:
    starts = [w.start for w in words if w.start is not None]
    ends = [w.end for w in words if w.end is not None]
    if not starts or not ends:
        return None
    span = max(ends) - min(starts)
    return span if span > 0 else None


def _notes(m: DeliveryMetrics, lang: str, timed: bool) -> list[str]:
    es = lang == "es"
    notes = [
        "Las muletillas son un mínimo: el reconocimiento de voz omite muchas."
        if es
        else "Filler counts are a lower bound: speech recognition drops many fillers."
    ]
    wpm = m.words_per_minute
    if wpm is not None and m.words >= 20:
        lo, hi = COMFORTABLE_WPM
        if wpm > hi:
            notes.append(
                f"Ritmo rápido ({wpm:.0f} palabras/min; lo cómodo es {lo:.0f}–{hi:.0f})."
                if es
                else f"Fast pace ({wpm:.0f} wpm; comfortable is {lo:.0f}–{hi:.0f})."
            )
        elif wpm < lo:
            notes.append(
                f"Ritmo lento ({wpm:.0f} palabras/min; lo cómodo es {lo:.0f}–{hi:.0f})."
                if es
                else f"Slow pace ({wpm:.0f} wpm; comfortable is {lo:.0f}–{hi:.0f})."
            )
    if not timed:
        notes.append(
            "Sin marcas de tiempo por palabra: no se miden las pausas."
            if es
            else "No word timestamps: pauses were not measured."
        )
    return notes


def measure(
    text: str,
    language: str,
    words: list[dict] | None = None,
    duration_s: float | None = None,
    long_pause_s: float = LONG_PAUSE_S,
) -> DeliveryMetrics:
    """Metrics from the transcript and, when given, word timestamps and audio duration.

    A silence of at least ``long_pause_s`` between two words is a long pause.

    With timestamps, the speaking rate uses the span from the first word's start to the
    last word's end (leading/trailing silence excluded); otherwise ``duration_s``.
    """
    if language not in LANGUAGES:  # "auto": tell from the words
        language = guess_language(text or " ".join(str(w.get("word", "")) for w in words or []))
    lang = clamp_language(language)
    timed_words = _words_from_timestamps(words) if words else []
    timed = any(w.start is not None for w in timed_words)
    seq = timed_words if timed_words else _words_from_text(text)
    span = _speaking_span(seq) if timed else None
    minutes_base = span or (duration_s if duration_s and duration_s > 0 else None)
    fillers = _count(seq, _FILLERS, lang, filler=True)
    hedges = _count(seq, _HEDGES, lang, filler=False)
    n_words = len(seq)
    per_min = (lambda x: round(x / minutes_base * 60, 1)) if minutes_base else (lambda x: None)
    metrics = DeliveryMetrics(
        words=n_words,
        duration_s=round(duration_s, 2) if duration_s else (round(span, 2) if span else None),
        words_per_minute=per_min(n_words),
        fillers=dict(fillers.most_common()),
        fillers_per_minute=per_min(sum(fillers.values())),
        long_pauses=_long_pauses(seq, long_pause_s) if timed else [],
        hedges=dict(hedges.most_common()),
    )
    metrics.notes = _notes(metrics, lang, timed)
    return metrics


def pace(words_per_minute: float | None) -> str | None:
    """"slow", "comfortable" or "fast" against ``COMFORTABLE_WPM``; None when not measured."""
    if not words_per_minute:
        return None
    lo, hi = COMFORTABLE_WPM
    return "slow" if words_per_minute < lo else "fast" if words_per_minute > hi else "comfortable"


def spoken_summary(m: DeliveryMetrics | None, language: str) -> str:
    """A few spoken sentences on how the answer was said: pace, fillers, long pauses, hedges
    (the candidate's "how was my delivery?")."""
    es = clamp_language(language) == "es"
    if m is None or not m.words:
        return ("No oí lo bastante de tu última respuesta para medir cómo la dijiste." if es
                else "I did not hear enough of your last answer to say how you said it.")
    out: list[str] = []
    wpm, speed = m.words_per_minute, pace(m.words_per_minute)
    if wpm and speed:
        out.append(f"Hablaste a unas {wpm:.0f} palabras por minuto, un ritmo {PACE_ES[speed]}." if es
                   else f"You spoke at about {wpm:.0f} words a minute, a {speed} pace.")
    fillers = sum(m.fillers.values())
    if fillers:
        top = max(m.fillers, key=m.fillers.get)
        out.append(f"Usaste {fillers} {'muletilla' if fillers == 1 else 'muletillas'}, sobre todo “{top}”." if es
                   else f"You used {fillers} filler {'word' if fillers == 1 else 'words'}, mostly “{top}”.")
    else:
        out.append("No oí muletillas." if es else "I heard no filler words.")
    if m.long_pauses:
        n, longest = len(m.long_pauses), max(m.long_pauses)
        out.append(f"Hiciste {n} {'pausa larga' if n == 1 else 'pausas largas'}; la más larga, de {longest:.1f} segundos."
                   if es else
                   f"You made {n} long {'pause' if n == 1 else 'pauses'}; the longest was {longest:.1f} seconds.")
    hedges = sum(m.hedges.values())
    if hedges >= 2:
        out.append(f"Dudaste {hedges} veces con frases como “{max(m.hedges, key=m.hedges.get)}”: dilo con seguridad."
                   if es else
                   f"You hedged {hedges} times, with phrases like “{max(m.hedges, key=m.hedges.get)}”: say it with confidence.")
    return " ".join(out)
