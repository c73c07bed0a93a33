"""From an answer's signals to its score: the pure, tunable part of the offline judge.

``Signals`` are what ``offline.OfflineJudge`` reads from an answer (per key point: the best
cosine, the evidence terms said, the statement's words recalled; the whole answer's similarity,
style and hesitation, the off-topic margin, wrong claims). ``combine`` turns them into a score
with the ``Calibration`` constants: key-point credit, coverage, then the guards (keyword lists,
off-topic, thin, instructions to the grader) and the wrong-claim caps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .calibration import Calibration, ramp

LIST_MIN_WORDS = 7  # the keyword-list guard needs enough words to judge the style
INJECTION_FACTOR = 0.5  # an answer that tries to instruct the grader keeps at most half its score
OFF_TOPIC_FACTOR = 0.3
THIN_MIN_TOKENS = 8  # a terse answer ("a stack") is not thin: a long one with nothing in it is
THIN_HESITATION = 0.2  # ... when it hesitates ("um so I mean it's like batch norm is uh")


@dataclass
class Signals:
    """Raw and calibrated signals for one answer (kept in ``Judgement.details``)."""

    weights: list[float] = field(default_factory=list)  # key point weights
    cos: list[float] = field(default_factory=list)  # per key point, best window-to-statement cosine
    term_hits: list[int] = field(default_factory=list)  # per key point, evidence terms said (not negated)
    has_terms: list[bool] = field(default_factory=list)  # per key point, whether it lists evidence terms
    recall: list[float] = field(default_factory=list)  # per key point, share of its statement's words said
    best_window: list[int] = field(default_factory=list)
    global_cos: float = 0.0  # whole answer to the model answer
    stop_ratio: float = 0.0
    n_content: int = 0  # content words in the answer
    n_new_content: int = 0  # distinct content stems that are not the question's own words
    n_tokens: int = 0
    hesitation: float = 0.0  # share of the words that are fillers and discourse markers
    margin: float | None = None  # cosine to its own model answer minus the best other question's (background)
    contradicted: list[bool] = field(default_factory=list)  # per key point: a wrong claim says its opposite
    n_wrong: int = 0  # wrong claims found in the answer


@dataclass
class Scored:
    score: float
    coverage: float
    sem: list[float]  # calibrated per key point
    credit: list[float]
    global_sim: float
    relevance: float
    flags: list[str]


def combine(sig: Signals, c: Calibration, injection: bool = False) -> Scored:
    """The score from raw signals and the calibration constants (pure, so it can be tuned)."""
    sem = [ramp(x, c.sem_lo, c.sem_hi) for x in sig.cos]
    lex = lexical_credit(sig, c)
    credit = [min(1.0, max(c.kp_sem_weight * s + c.kp_lex_weight * le, c.kp_sem_alone * s))
              for s, le in zip(sem, lex)]
    credit = [ramp(cr, c.credit_floor, 1.0) for cr in credit]  # related talk is not the point said
    contradicted = sig.contradicted or [False] * len(credit)
    credit = [0.0 if bad else cr for cr, bad in zip(credit, contradicted)]
    total_w = sum(sig.weights) or 1.0
    coverage = sum(w * cr for w, cr in zip(sig.weights, credit)) / total_w
    global_sim = ramp(sig.global_cos, c.sem_lo, c.sem_hi)
    relevance = max([global_sim, *sem])
    raw = c.coverage_weight * coverage + c.global_weight * global_sim
    flags: list[str] = ["injection"] if injection else []
    factor = 1.0
    if sig.stop_ratio < c.list_stop_ratio and sig.n_content >= LIST_MIN_WORDS:
        flags.append("list")
        factor *= 0.15 + 0.85 * ramp(sig.stop_ratio, 0.1, c.list_stop_ratio) ** 2
    if relevance < c.off_topic_below or (sig.margin is not None and sig.margin < c.off_topic_margin):
        flags.append("off_topic")
        factor *= OFF_TOPIC_FACTOR
    if sig.n_new_content < c.thin_below and sig.n_tokens >= THIN_MIN_TOKENS and sig.hesitation >= THIN_HESITATION:
        flags.append("thin")  # talk around the question's own words, hesitations, nothing said
    if injection:
        factor *= INJECTION_FACTOR
    score = max(0.0, min(10.0, 10.0 * raw * factor))
    if "off_topic" in flags:
        score = min(score, c.off_topic_cap)
    if "thin" in flags:
        score = min(score, c.thin_cap)
    if injection:
        score = min(score, c.injection_cap)
    if sig.n_wrong:
        flags.append("wrong_claim")
        # a mock interviewer that calls a wrong answer right does harm: one wrong claim keeps the
        # answer low whatever else it says, two keep it near zero
        cap = c.wrong_cap_one if sig.n_wrong == 1 else c.wrong_cap
        score = min(max(0.0, score - c.wrong_penalty * sig.n_wrong), cap)
    score = round(score, 2)
    return Scored(score, coverage, sem, credit, global_sim, relevance, flags)


def lexical_credit(sig: Signals, c: Calibration) -> list[float]:
    """Per key point: its evidence terms said (``lex_terms_full`` of them are plenty), or its
    statement's own content words recalled."""
    return [max(min(1.0, hits / c.lex_terms_full) if has else 0.0, min(1.0, recall * c.recall_boost))
            for hits, has, recall in zip(sig.term_hits, sig.has_terms, sig.recall)]
