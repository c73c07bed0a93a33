"""Bank questions chosen and ordered for a job description (and a CV), each with its reason.

Every sentence of the job description is matched against every candidate question by meaning
(multilingual-e5 vectors of the question's text, tags and rubric statements, in English and
Spanish) and by the question's rubric terms found in the sentence (weighted by how few bank
questions use them). A question's score is its best sentence; its reason quotes that sentence
and its line. Two corrections keep the order useful:

- a question close to the whole bank (a "hub": it is a bit similar to everything) has its mean
  similarity to the bank taken off, so it does not win on sentences that name nothing it asks;
- each time a sentence is the reason for a chosen question, it counts a little less for the next
  pick, so the plan covers several of the job's requirements instead of one.

With a CV, each job sentence is matched to the CV's closest sentence: the job sentences the CV
shows least (relative to the others in this job) count more, and a reason names the CV line that
clearly relates, or says the CV shows little of it (in between it says nothing of the CV). The
embedder is handed in (the CLI builds it); numpy is imported on use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .jobtext import Document, snippet
from .judging.lexical import Token, normalize, span_text, stem, tokenize
from .language import clamp_language
from .schema import PlannedQuestion, Question, QuestionPlan, SourceLine

if TYPE_CHECKING:
    import numpy as np

    from .judging.embeddings import Embedder

TERM_WEIGHT = 0.03  # a sentence naming the question's distinctive rubric terms (0..1) adds up to this
TERM_SCALE = 4.0  # idf-weighted term hits saturate: 1 - exp(-sum idf / TERM_SCALE)
REUSE_PENALTY = 0.01  # a job sentence already the reason for a chosen question counts this much less
MIN_IDF = 2.0  # terms of more bank questions than N / e**2 (e.g. "data", "model") are not named in a reason
# below this a question is only loosely related to its sentence: the picks of an NLP and a vision/MLOps
# job score 0.00 to 0.06, of a frontend job -0.01 to -0.05, of a pastry chef's -0.045 and below
WEAK_MATCH = -0.02
CV_WEIGHT = 0.01  # per standard deviation the CV shows a job sentence less than the job's others
CV_WELL = 0.86  # cosine to the closest CV sentence from which "the CV shows it" may be said
CV_WELL_Z = 0.5  # ... and only when it is this many deviations above the job's other sentences
CV_LITTLE_Z = -0.5  # at or below this the CV "shows little of it"

_WORDS = {
    "en": {"for": "chosen for", "loose": "only loosely related to", "job": "job", "line": "line", "words": "words",
           "well": 'your CV: "{cv}" (CV, line {n}): expect to go deep on it',
           "little": "your CV shows little of it"},
    "es": {"for": "elegida por", "loose": "solo de lejos relacionada con", "job": "oferta", "line": "línea", "words": "palabras",
           "well": 'tu CV: "{cv}" (CV, línea {n}): espera que profundicen',
           "little": "tu CV apenas lo muestra"},
}


def question_texts(q: Question) -> list[str]:
    """What a question is about, in both languages: its id's words, text, tags and rubric statements."""
    tags = ", ".join(t.replace("-", " ") for t in q.tags)
    topic = q.id.replace("-", " ")
    return [
        " ".join([f"{topic}:", q.text.get(lang), f"({tags})" if tags else "",
                  *(kp.statement.get(lang) for kp in q.rubric)])
        for lang in ("en", "es")
    ]


def question_terms(q: Question) -> dict[tuple[str, ...], str]:
    """The question's rubric evidence terms and tags, by their stems."""
    terms = {t for kp in q.rubric for t in kp.evidence.all()} | {t.replace("-", " ") for t in q.tags}
    out: dict[tuple[str, ...], str] = {}
    for t in sorted(terms):
        key = tuple(stem(w) for w in normalize(t).split())
        if key and key not in out:
            out[key] = t
    return out


class JobMatcher:
    """Question vectors and term weights of one bank, ready to plan for any job."""

    def __init__(self, bank: Sequence[Question], embedder: Embedder):
        import numpy as np  # noqa: PLC0415

        self.embedder = embedder
        self.bank = list(bank)
        self.index = {q.id: i for i, q in enumerate(self.bank)}
        texts = [t for q in self.bank for t in question_texts(q)]
        vecs = embedder.encode(texts, "query", cache=True, persist=True)  # the bank's: kept on disk
        per_q = vecs.reshape(len(self.bank), 2, -1).mean(axis=1)
        self.vectors = per_q / np.maximum(np.linalg.norm(per_q, axis=1, keepdims=True), 1e-9)
        self.hub = (self.vectors @ self.vectors.T).mean(axis=1)
        self.terms = [question_terms(q) for q in self.bank]
        df: dict[tuple[str, ...], int] = {}
        for terms in self.terms:
            for key in terms:
                df[key] = df.get(key, 0) + 1
        self.idf = {key: math.log(len(self.bank) / n) for key, n in df.items()}

    def _term_scores(self, rows: list[int], doc: Document) -> tuple[np.ndarray, list[list[list[str]]]]:
        """Per (question, sentence): 0..1 from the distinctive rubric terms found, and those terms
        (in the job's own words)."""
        import numpy as np  # noqa: PLC0415

        scores = np.zeros((len(rows), len(doc.lines)), dtype=np.float32)
        found: list[list[list[str]]] = [[[] for _ in doc.lines] for _ in rows]
        longest = max((len(k) for terms in self.terms for k in terms), default=1)
        for j, line in enumerate(doc.lines):
            toks = tokenize(line.text)
            starts: dict[tuple[str, ...], int] = {}  # every run of stems in the sentence -> its first place
            for n in range(1, longest + 1):
                for i in range(len(toks) - n + 1):
                    starts.setdefault(tuple(t.stem for t in toks[i:i + n]), i)
            for r, qi in enumerate(rows):
                said: list[tuple[float, str]] = []
                for key, term in self.terms[qi].items():
                    i = starts.get(key)
                    if i is not None and _same_word(toks[i:i + len(key)], term):
                        said.append((self.idf[key], span_text(line.text, toks, i, i + len(key))))
                if said:
                    scores[r, j] = 1.0 - math.exp(-sum(w for w, _ in said) / TERM_SCALE)
                    found[r][j] = _named(said)
        return scores, found

    def plan(self, job: Document, candidates: Sequence[Question], count: int, language: str = "en",
             cv: Document | None = None) -> QuestionPlan:
        """Up to ``count`` of ``candidates`` (bank questions), best match first, each with its reason."""
        import numpy as np  # noqa: PLC0415

        lang = clamp_language(language)
        rows = [self.index[q.id] for q in candidates if q.id in self.index]
        plan = QuestionPlan(job_file=job.path, cv_file=cv.path if cv else None, notes=_notes(job, cv))
        if not rows or not job.lines:
            return plan
        job_vecs = self.embedder.encode([line.text for line in job.lines], "query")
        cosine = self.vectors[rows] @ job_vecs.T
        term_scores, found = self._term_scores(rows, job)
        match = cosine - self.hub[rows, None] + TERM_WEIGHT * term_scores  # how well a question fits a sentence
        scores = match
        # the CV is compared on the sentences some question matches best (not the benefits or the address)
        asked = sorted(set(np.argmax(scores, axis=1).tolist()))
        cv_info = _cv_coverage(job_vecs, cv, self.embedder, asked) if cv is not None else None
        if cv_info is not None:
            scores = scores + CV_WEIGHT * np.clip(-cv_info[2], -1.5, 1.5)[None, :]
        uses = np.zeros(len(job.lines), dtype=np.float32)
        left = list(range(len(rows)))
        while left and len(plan.questions) < count:
            adjusted = scores[left] - REUSE_PENALTY * uses[None, :]
            best_rows = adjusted.max(axis=1)
            pick = int(np.argmax(best_rows))
            r, j = left.pop(pick), int(np.argmax(adjusted[pick]))
            uses[j] += 1
            plan.questions.append(self._planned(rows[r], job, j, float(cosine[r, j]), found[r][j],
                                                float(match[r, j]), cv, cv_info, lang))
        if plan.questions and max(q.match for q in plan.questions) < WEAK_MATCH:
            plan.notes.append(f"{job.path}: matches the bank's questions only loosely (is it a machine-learning role?)")
        return plan

    def _planned(self, qi: int, job: Document, j: int, similarity: float, terms: list[str], match: float,
                 cv: Document | None, cv_info, lang: str) -> PlannedQuestion:
        line = job.lines[j]
        w = _WORDS[lang]
        where = f"{w['job']}, {w['line']} {line.line}"
        if terms:
            where += f"; {w['words']}: {', '.join(terms[:3])}"
        reason = f'{w["for" if match >= WEAK_MATCH else "loose"]}: "{snippet(line.text)}" ({where})'
        planned = PlannedQuestion(
            question_id=self.bank[qi].id, reason=reason, terms=terms, match=round(match, 4),
            job_line=SourceLine(source="job", line=line.line, text=line.text, similarity=round(similarity, 4)),
        )
        if cv is not None and cv_info is not None:
            cover, nearest, z = cv_info
            shows = _cv_shows(float(cover[j]), float(z[j]))
            near = cv.lines[int(nearest[j])]
            planned.cv_shows = shows
            if shows == "well":  # only a CV line that clearly relates is named
                planned.cv_line = SourceLine(source="cv", line=near.line, text=near.text,
                                             similarity=round(float(cover[j]), 4))
            if shows != "some":
                planned.reason += "; " + w[shows].format(cv=snippet(near.text, 70), n=near.line)
        return planned


def _named(said: list[tuple[float, str]]) -> list[str]:
    """The words found worth naming in a reason, rarest first: not the ones most questions use, not
    a short common word, not a word inside one already named ("likelihood" after "maximum likelihood")."""
    named: list[str] = []
    for idf, words in sorted(said, reverse=True):
        if idf > MIN_IDF and (len(words) > 4 or not words.islower()):
            if not any(words.casefold() in n.casefold() for n in named):
                named.append(words)
    return named


def _same_word(said: list[Token], term: str) -> bool:
    """The same words, not only the same 6-letter stems ("similar" is not "similarity")."""
    return all(abs(len(t.norm) - len(w)) <= 2 for t, w in zip(said, normalize(term).split()))


def _cv_coverage(job_vecs: np.ndarray, cv: Document, embedder: Embedder, asked: list[int]):
    """Per job sentence: cosine to the CV's closest sentence, which one, and its z-score among the
    ``asked`` sentences (a cosine means little alone: e5's sit between 0.8 and 0.9)."""
    import numpy as np  # noqa: PLC0415

    cv_vecs = embedder.encode([line.text for line in cv.lines], "query")
    sims = job_vecs @ cv_vecs.T
    cover, nearest = sims.max(axis=1), sims.argmax(axis=1)
    spread = float(cover[asked].std()) if len(asked) > 1 else 0.0
    z = (cover - cover[asked].mean()) / spread if spread > 1e-6 else np.zeros_like(cover)
    return cover, nearest, z


def _cv_shows(cover: float, z: float) -> str:
    if cover >= CV_WELL and z >= CV_WELL_Z:
        return "well"
    return "little" if z <= CV_LITTLE_Z else "some"


def _notes(job: Document, cv: Document | None) -> list[str]:
    return [f"{d.path}: {n}" for d in (job, cv) if d is not None for n in d.notes]


def plan_for_job(job: Document, candidates: Sequence[Question], embedder: Embedder, count: int,
                 language: str = "en", cv: Document | None = None,
                 bank: Sequence[Question] | None = None) -> QuestionPlan:
    """The plan for one job: ``candidates`` (e.g. one category) matched against the whole ``bank``."""
    return JobMatcher(bank or candidates, embedder).plan(job, candidates, count, language, cv)
