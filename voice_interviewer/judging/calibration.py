"""Calibration of the offline judge: a handful of global constants, and agreement statistics.

The constants map raw signals (embedding cosines, lexical evidence) onto 0–1 credits, combine
them, and set the caps for wrong claims, off-topic, thin answers and instructions to the grader.
They are global (not per question) and were chosen by ``benchmarks/tune_offline.py`` (a small
grid) on the development split only: Mohler assignments 1–2 and the ``dev`` rows of
``benchmarks/data/graded_v2``. The reported test figures exclude that split.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel


class Calibration(BaseModel):
    # multilingual-e5 cosines are compressed into ~0.75–0.95; map [lo, hi] onto [0, 1]
    sem_lo: float = 0.83
    sem_hi: float = 0.92
    # how a key point's credit mixes the embedding match and the lexical evidence
    kp_sem_weight: float = 0.5
    kp_lex_weight: float = 0.5
    # lexical evidence: this many evidence terms give full credit; the statement's words recalled count this much more
    lex_terms_full: float = 3.0
    recall_boost: float = 2.0
    # a strong meaning match earns a key point on its own (a paraphrase in other words): credit from it alone
    kp_sem_alone: float = 0.8
    # credit under this floor is what any answer on the topic gets (related words, a loose match): none
    credit_floor: float = 0.3
    # how the score mixes key-point coverage and whole-answer similarity to the model answer
    coverage_weight: float = 1.0
    global_weight: float = 0.0
    # verdict thresholds on a key point's credit
    covered_at: float = 0.6
    partly_at: float = 0.3
    # answers whose share of function words is below this read as keyword lists
    list_stop_ratio: float = 0.22
    # whole-answer relevance (calibrated) under which the answer counts as off-topic
    off_topic_below: float = 0.15
    # ... or when it is this much closer to another bank question's model answer than to its own's
    off_topic_margin: float = -0.02
    # an answer of 8+ words with fewer new content words than this (fillers, the question's own words) is thin
    thin_below: int = 3
    thin_cap: float = 1.0
    # caps: an off-topic answer, and one that tries to instruct the grader (after halving)
    off_topic_cap: float = 1.0
    injection_cap: float = 2.0
    # wrong claims: points off for each, and the cap with one wrong claim and with two or more
    wrong_penalty: float = 3.0
    wrong_cap_one: float = 2.0
    wrong_cap: float = 1.0

DEFAULT = Calibration()
# questions made from a free reference answer (``score --batch`` lines with a ``reference``): key
# points are the reference's clauses, with no evidence terms, restatements or red flags, so meaning and
# the recall of the reference's words carry the score; set on Mohler assignments 1-2 only
REFERENCE = DEFAULT.model_copy(update={
    "sem_lo": 0.80, "sem_hi": 0.94, "kp_sem_weight": 0.3, "kp_lex_weight": 0.7, "kp_sem_alone": 0.6,
    "credit_floor": 0.2, "coverage_weight": 1.0, "global_weight": 0.0, "recall_boost": 3.0,
})


def ramp(x: float, lo: float, hi: float) -> float:
    """0 below ``lo``, 1 above ``hi``, linear in between."""
    if hi <= lo:
        return 1.0 if x >= hi else 0.0
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


# --- agreement statistics (numpy only; used by benchmarks and tests) -----------------------


def _arr(x: Sequence[float]):
    import numpy as np  # noqa: PLC0415

    return np.asarray(x, dtype=float)


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    import numpy as np  # noqa: PLC0415

    a, b = _arr(a), _arr(b)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def ranks(x: Sequence[float]):
    """Average ranks (ties share the mean rank), as Spearman needs."""
    import numpy as np  # noqa: PLC0415

    x = _arr(x)
    order = np.argsort(x, kind="mergesort")
    r = np.empty(len(x))
    xs = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        r[order[i : j + 1]] = (i + j) / 2.0
        i = j + 1
    return r


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    return pearson(ranks(a), ranks(b))


def rmse(a: Sequence[float], b: Sequence[float]) -> float:
    import numpy as np  # noqa: PLC0415

    return float(np.sqrt(np.mean((_arr(a) - _arr(b)) ** 2)))


def linear_fit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Least-squares slope and intercept of y on x."""
    import numpy as np  # noqa: PLC0415

    x, y = _arr(x), _arr(y)
    if len(x) < 2 or x.std() == 0:
        return 0.0, float(y.mean()) if len(y) else 0.0
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def grouped_linear_map(
    x: Sequence[float], y: Sequence[float], groups: Sequence[str], lo: float = 0.0, hi: float = 5.0
):
    """Leave-one-group-out linear map of x onto y's scale, clipped to [lo, hi].

    Each group's predictions come from a fit on the other groups only.
    """
    import numpy as np  # noqa: PLC0415

    x, y, g = _arr(x), _arr(y), np.asarray(list(groups))
    out = np.empty(len(x))
    for name in np.unique(g):
        held = g == name
        slope, intercept = linear_fit(x[~held], y[~held]) if (~held).any() else linear_fit(x, y)
        out[held] = np.clip(slope * x[held] + intercept, lo, hi)
    return out
