"""Offline rubric judge: meaning (multilingual embeddings) plus lexical evidence, no network.

For each key point the judge takes the best match between a window of the answer and the
key point's statement (in both languages, so answering a Spanish question in English
works), and the lexical evidence (the rubric's evidence terms, and the statement's content
words found in the answer, question words aside). The score mixes key-point coverage with
the whole answer's similarity to the model answer, then applies guards: keyword lists,
off-topic answers and instructions aimed at the grader score low; filler-only answers 0.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..language import clamp_language, guess_language
from ..schema import Judgement, KeyPointResult, Question, WrongClaim
from . import claims, lexical as lx, near_terms
from .calibration import DEFAULT, REFERENCE, Calibration, ramp
from .scoring import Scored, Signals, combine, lexical_credit
from .embeddings import Embedder, get_embedder
from .feedback import most_important_gap, write_feedback
from .guards import find_injections, remove_spans
from .reference import ADHOC_TAG

MIN_CONTENT_WORDS = 1  # "main" can be a full answer to a short question
WINDOW, STRIDE, MAX_WINDOWS = 20, 20, 12
HESITATION = lx.FILLER_WORDS | frozenset("like well so yeah mean know bueno pues sea este vale".split())


@dataclass
class _Pair:
    """A question's model answer in both languages; ``@`` gives the better cosine of the two."""

    en: object
    es: object

    def __matmul__(self, other):
        return max(float(self.en @ other), float(self.es @ other))


@dataclass
class Analysis:
    """An answer read for judging: its language, cleaned text and tokens, signals and wrong claims."""

    language: str
    text: str
    tokens: list[lx.Token]
    injection: bool
    signals: Signals | None = None
    wrong: list[WrongClaim] = field(default_factory=list)


class OfflineJudge:
    name = "offline"

    def __init__(self, embedder: Embedder | None = None, calibration: Calibration = DEFAULT,
                 background: Sequence[Question] = (), vector_store: Path | None = None,
                 reference_calibration: Calibration = REFERENCE):
        self._embedder = embedder
        self._store = vector_store  # where the background's vectors are kept between runs
        self.cal = calibration
        # a question made from a reference answer (no evidence terms, restatements or red flags)
        self.ref_cal = reference_calibration
        # other questions (the bank): an answer closer to one of their model answers than to its own
        # question's is off-topic, however much of the field's vocabulary it uses
        self.background = list(background)
        self._background_vecs = None
        self._background_lock = threading.Lock()
        self._background_started = False

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self._store)
        return self._embedder

    # -- public -------------------------------------------------------------------------

    def judge(self, question: Question, answer: str, language: str) -> Judgement:
        t0 = time.perf_counter()
        a = self.analyse(question, answer, language)
        lang, clean, tokens, sig = a.language, a.text, a.tokens, a.signals
        if sig is None:
            return self._empty(question, lang, ["injection"] if a.injection else [], t0)
        wrong = a.wrong
        cal = self.calibration_for(question)
        sc = combine(sig, cal, injection=a.injection)
        flags = sc.flags
        results = self._results(question, clean, tokens, lang, sig, sc, cal)
        gap = most_important_gap(results)
        follow = self._follow_up(question, results, lang)
        return Judgement(
            score=sc.score,
            key_points=results,
            feedback=write_feedback(results, lang, flags, wrong=wrong),
            confidence=self._confidence(sig, sc, sig.n_content, cal),
            scorer=self.name,
            notes=[f"flag:{f}" for f in flags],
            follow_up=follow[0],
            follow_up_key_point=follow[1] or (gap.id if gap else None),
            wrong_claims=wrong,
            details={
                "language": lang,
                "coverage": round(sc.coverage, 3),
                "similarity": round(sc.global_sim, 3),
                "relevance": round(sc.relevance, 3),
                "function_word_ratio": round(sig.stop_ratio, 3),
                "flags": flags,
                "model": getattr(self.embedder, "name", "embedder"),
                "ms": round((time.perf_counter() - t0) * 1000, 1),
            },
        )

    # -- signals ------------------------------------------------------------------------

    def analyse(self, question: Question, answer: str, language: str) -> Analysis:
        """Everything the score is computed from (``signals`` is None for an empty answer)."""
        lang = guess_language(answer, default=clamp_language(language))
        injections = find_injections(answer)
        clean = remove_spans(answer, injections)
        tokens = lx.tokenize(clean)
        a = Analysis(lang, clean, tokens, bool(injections))
        if len({t.stem for t in tokens if t.content and t.norm not in HESITATION}) < MIN_CONTENT_WORDS:
            return a  # nothing but fillers and discourse markers ("um you know")
        a.signals = self.signals(question, clean, tokens)
        a.wrong = claims.wrong_claims(clean, tokens, question, lang)
        bad_kps = {w.key_point for w in a.wrong}
        a.signals.contradicted = [kp.id in bad_kps for kp in question.rubric]
        a.signals.n_wrong = len(a.wrong)
        return a

    def signals(self, question: Question, text: str, tokens: list[lx.Token]) -> Signals:
        """Raw signals: best cosine per key point, lexical evidence, whole-answer cosine."""
        pieces = _pieces(text, tokens)
        vecs = self.embedder.encode(pieces, "query", cache=True)  # windows seen by prefetch are free
        whole = vecs.mean(axis=0)
        whole = whole / max(float((whole @ whole) ** 0.5), 1e-9)
        ref_vecs = self.embedder.encode(_references(question), "query", cache=True, persist=True)
        owners = _statement_owners(question)
        kp_vecs, model_vecs = ref_vecs[: len(owners)], ref_vecs[len(owners) :]
        sims = vecs @ kp_vecs.T  # (windows, statements): each key point's statement and restatements
        per_kp = np.stack([sims[:, owners == k].max(axis=1) for k in range(len(question.rubric))], axis=1)
        best = per_kp.argmax(axis=0)
        q_stems = frozenset(lx.content_stems(question.text.en) + lx.content_stems(question.text.es))
        answer_stems = {t.stem for t in tokens if t.content}
        return Signals(
            margin=self._margin(question, whole, float((whole @ model_vecs.T).max())),
            weights=[kp.weight for kp in question.rubric],
            cos=[float(per_kp[b, k]) for k, b in enumerate(best)],
            term_hits=[_term_hits(kp, tokens) for kp in question.rubric],
            has_terms=[bool(kp.evidence.all()) for kp in question.rubric],
            recall=[_recall(kp, answer_stems, q_stems) for kp in question.rubric],
            best_window=[int(b) for b in best],
            global_cos=float((whole @ model_vecs.T).max()),
            stop_ratio=lx.stopword_ratio(tokens),
            n_content=sum(1 for t in tokens if t.content),
            n_new_content=len(answer_stems - q_stems),
            n_tokens=len(tokens),
            hesitation=sum(t.norm in HESITATION for t in tokens) / max(1, len(tokens)),
        )

    def _margin(self, question: Question, whole, own: float) -> float | None:
        """How much closer the answer is to its own model answer than to any other question's.

        Only for a question of the background's own bank: a question from elsewhere (a reference
        answer on another subject) has no neighbours there to be confused with.
        """
        if not any(q.id == question.id for q in self.background):
            return None
        others = [(q.id, v) for q, v in zip(self.background, self._background()) if q.id != question.id]
        if not others:  # a bank of one question: nothing to be confused with
            return None
        return own - max(float(v @ whole) for _, v in others)

    def _background(self):
        """The background's model-answer vectors (computed once, then read from the vector store)."""
        with self._background_lock:
            if self._background_vecs is None:
                texts = [q.model_answer.get(lang) for lang in ("en", "es") for q in self.background]
                vecs = self.embedder.encode(texts, "query", cache=True, persist=True) if texts else []
                n = len(self.background)
                # both languages of each: the better cosine of the two is taken per answer
                self._background_vecs = [_Pair(vecs[i], vecs[n + i]) for i in range(n)] if n else []
            return self._background_vecs

    def _start_background(self) -> None:
        """Prepare the background on a worker thread (the first run embeds it: seconds, not in the wait)."""
        if self.background and self._background_vecs is None and not self._background_started:
            self._background_started = True
            threading.Thread(target=self._background, name="judge-background", daemon=True).start()

    def prefetch(self, question: Question, partial_answer: str) -> int:
        """Embed the finished windows of an answer still being spoken; returns how many.

        Called while the candidate talks, it leaves only the last window or two to embed
        when the answer ends, so the judgement is ready sooner.
        """
        text = remove_spans(partial_answer, find_injections(partial_answer))
        tokens = lx.tokenize(text)
        done = [(a, b) for a, b in _windows(len(tokens) + STRIDE) if b <= len(tokens) - 1 and b - a >= WINDOW]
        pieces = [lx.span_text(text, tokens, a, b) for a, b in done]
        self._start_background()
        self.embedder.encode(_references(question), "query", cache=True, persist=True)
        if pieces:
            self.embedder.encode(pieces, "query", cache=True)
        return len(pieces)

    def coverage(self, question: Question, partial_answer: str, language: str) -> float:
        """The weighted share of the rubric the answer so far covers (0-1, as in ``combine``), read
        by the end-of-answer decision at pauses; ~20 ms, the windows prefetch embedded are free."""
        a = self.analyse(question, partial_answer, language)
        if a.signals is None:
            return 0.0
        return combine(a.signals, self.calibration_for(question), injection=a.injection).coverage

    def warm(self, items: list[tuple[Question, str]]) -> None:
        """Embed the windows of many answers (and their questions' references) in one batched call."""
        texts: list[str] = []
        refs: list[str] = []
        for question, answer in items:
            clean = remove_spans(answer, find_injections(answer))
            texts += _pieces(clean, lx.tokenize(clean))
            refs += _references(question)
        self.embedder.encode(list(dict.fromkeys(refs)), "query", cache=True, persist=True)  # the bank's: kept
        if texts:
            self.embedder.encode(list(dict.fromkeys(texts)), "query", cache=True)

    # -- results ------------------------------------------------------------------------

    def calibration_for(self, question: Question) -> Calibration:
        return self.ref_cal if ADHOC_TAG in question.tags else self.cal

    def _results(
        self, question: Question, text: str, tokens: list[lx.Token], lang: str, sig: Signals, sc: Scored,
        c: Calibration,
    ) -> list[KeyPointResult]:
        spans = _windows(len(tokens))
        damp = 0.25 if ("list" in sc.flags or "off_topic" in sc.flags) else 1.0
        out = []
        for k, kp in enumerate(question.rubric):
            credit = sc.credit[k] * damp
            verdict = "covered" if credit >= c.covered_at else "partly" if credit >= c.partly_at else "missing"
            evidence = None
            if verdict != "missing":
                hits = lx.find_terms(tokens, kp.evidence.all())
                if hits:
                    a, b = max(0, hits[0].start - 4), min(len(tokens), hits[0].end + 4)
                else:
                    a, b = spans[sig.best_window[k]]
                evidence = lx.span_text(text, tokens, a, b) or None
            out.append(
                KeyPointResult(
                    id=kp.id,
                    statement=kp.statement.get(lang),
                    weight=kp.weight,
                    verdict=verdict,
                    evidence=evidence,
                    similarity=round(sig.cos[k], 3),
                )
            )
        return out

    def _confidence(self, sig: Signals, sc: Scored, n_content: int, cal: Calibration) -> float:
        """Higher when meaning and wording agree and the answer is long enough to judge."""
        sem = sum(sc.sem) / len(sc.sem) if sc.sem else 0.0
        lex_credit = lexical_credit(sig, cal)
        lex = sum(lex_credit) / len(lex_credit) if lex_credit else 0.0
        agreement = 1.0 - min(1.0, abs(sem - lex))
        length = ramp(n_content, 3, 25)
        conf = 0.35 + 0.35 * agreement + 0.25 * length
        if sc.flags:
            conf = max(conf, 0.7)  # flagged answers are clear cases
        return round(min(0.95, conf), 2)

    def _follow_up(self, question: Question, results: list[KeyPointResult], lang: str):
        order = [r for v in ("missing", "partly") for r in sorted(
            (r for r in results if r.verdict == v), key=lambda r: -r.weight)]
        for r in order:
            for f in question.follow_ups:
                if f.key_point == r.id:
                    return f.text.get(lang), f.key_point
        return None, None

    def _empty(self, question: Question, lang: str, flags: list[str], t0: float) -> Judgement:
        results = [
            KeyPointResult(id=kp.id, statement=kp.statement.get(lang), weight=kp.weight, verdict="missing")
            for kp in question.rubric
        ]
        follow = self._follow_up(question, results, lang)
        gap = most_important_gap(results)
        return Judgement(
            score=0.0,
            key_points=results,
            feedback=write_feedback(results, lang, flags, empty=True),
            confidence=0.95,
            scorer=self.name,
            notes=["flag:empty", *(f"flag:{f}" for f in flags)],
            follow_up=follow[0],
            follow_up_key_point=follow[1] or (gap.id if gap else None),
            details={"language": lang, "flags": ["empty", *flags],
                     "ms": round((time.perf_counter() - t0) * 1000, 1)},
        )


def _references(question: Question) -> list[str]:
    """The texts an answer is compared with: each key point's statement (en, es) and plain-word
    restatements, then the model answers."""
    statements = [s for kp in question.rubric for s in (kp.statement.en, kp.statement.es, *kp.restatements.all())]
    return statements + [question.model_answer.en, question.model_answer.es]


def _statement_owners(question: Question):
    """For each statement ``_references`` lists, the index of its key point."""
    return np.array([k for k, kp in enumerate(question.rubric) for _ in range(2 + len(kp.restatements.all()))])


def _pieces(text: str, tokens: list[lx.Token]) -> list[str]:
    return [lx.span_text(text, tokens, a, b) for a, b in _windows(len(tokens))]


def _windows(n_tokens: int) -> list[tuple[int, int]]:
    size, stride = WINDOW, STRIDE
    while n_tokens > size and (n_tokens - size) / stride + 1 > MAX_WINDOWS:
        size, stride = size + 4, stride + 4
    return lx.windows(n_tokens, size, stride)


def _term_hits(kp, tokens: list[lx.Token]) -> int:
    """Evidence terms said, each once, not under a negation ("it does not reduce variance")."""
    norms = [t.norm for t in tokens]
    hits = near_terms.find_terms(tokens, kp.evidence.all())  # a term misheard slightly still counts
    return sum(1 for hit in hits if not claims.negated_at(norms, hit.start))


def _recall(kp, answer_stems: set[str], q_stems: frozenset[str]) -> float:
    recall = 0.0
    for statement in (kp.statement.en, kp.statement.es):
        stems = lx.content_stems(statement, exclude=q_stems) or lx.content_stems(statement)
        if stems:
            recall = max(recall, sum(s in answer_stems for s in stems) / len(stems))
    return recall
