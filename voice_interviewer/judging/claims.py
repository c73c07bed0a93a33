"""Wrong claims in an answer: the rubric's red flags, and key points stated as their negation.

A red flag (``schema.RedFlag``) carries cues: ordered groups of alternatives, such as
``[bagging, sequential | one after another]``. A cue fires when its groups occur in order, each
within ``CUE_GAP`` words of the previous one, with no negation between them or just before the
first, and no rival subject between the first and the last ("boosting, unlike bagging, trains
sequentially" names boosting after bagging, so it is not said of bagging), nor a rival phrase that
the cue's last words begin ("ties count as one half": the rival "one half"). Words are compared
by their stems (``lexical.stem``), so inflections and en/es cognates match.

A key point whose evidence is found only under a negation ("regularization does not add a
penalty") is said the other way round: it is a wrong claim too, named with the key point.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..schema import KeyPoint, Question, RedFlag, WrongClaim
from . import lexical as lx

CUE_GAP = 10  # words allowed between two groups of a cue
NEGATION_BEFORE = 4  # words before a cue's first group (or an evidence term) that a negation may stand in
NEGATIONS = frozenset(
    """not no non never without cannot neither nor nothing none isn aren wasn weren doesn don didn won
    wouldn shouldn couldn t nunca ni sin jamas tampoco nada ningun ninguna ninguno""".split()
)
# a contrast between two parts of a cue sets them against each other ("high bias underfits but high
# variance overfits"): the cue does not span it
CONTRASTS = frozenset("but however whereas while although unlike pero mientras aunque sino contrario".split())
# words that start a new clause: a negation before one of them is not about what follows
CLAUSE_STARTS = frozenset("and but so because it which while whereas y pero sino porque mientras".split())
# a claim named as a mistake is a warning, not the claim: "a common mistake is to shuffle the time
# series", "shuffling a time series is a mistake"; looked for in the same clause, just before the cue
# or just after it
WARNING_BEFORE = (
    "mistake | myth | misconception | pitfall | people think | people believe | some people | beware | careful | "
    "bad idea | wrong to | tempting | instead of | rather than | avoid | "
    "error comun | un error | es un error | mito | trampa | cuidado | la gente cree | mucha gente | en vez de | "
    "en lugar de | mala idea | tentador | evitar | evita"
)
WARNING_AFTER = (
    "is a mistake | is wrong | would be wrong | is dangerous | bad idea | is a bug | "
    "es un error | esta mal | es peligroso | mala idea"
)
WARNING_GAP = 8
NEGATED_TERMS_FOR_CLAIM = 2  # distinct evidence terms said only under a negation before it counts as a wrong claim


@dataclass(frozen=True)
class Found:
    """Where a wrong claim was found: the flag (or key point) and the token span that says it."""

    claim: WrongClaim
    start: int
    end: int


def _stems(phrase: str) -> tuple[str, ...]:
    return tuple(lx.stem(w) for w in lx.normalize(phrase).split() if w)


@lru_cache(maxsize=4096)
def _group(group: str) -> tuple[tuple[str, ...], ...]:
    """A group's alternatives as stem sequences (longest first, so phrases win over words)."""
    alts = {_stems(a) for a in group.split("|")}
    return tuple(sorted((a for a in alts if a), key=len, reverse=True))


def _occurrences(stems: list[str], group: tuple[tuple[str, ...], ...], lo: int, hi: int) -> list[tuple[int, int]]:
    """(start, end) of every alternative of ``group`` starting in [lo, hi)."""
    out = []
    for i in range(max(0, lo), min(hi, len(stems))):
        for alt in group:
            if tuple(stems[i : i + len(alt)]) == alt:
                out.append((i, i + len(alt)))
                break
    return out


def _negated(norms: list[str], lo: int, hi: int) -> bool:
    return any(w in NEGATIONS for w in norms[max(0, lo) : hi])


def negated_at(norms: list[str], start: int) -> bool:
    """Whether a negation stands in the few words before ``start``, in the same clause."""
    for k in range(start - 1, max(-1, start - 1 - NEGATION_BEFORE), -1):
        if norms[k] in NEGATIONS:
            return True
        if norms[k] in CLAUSE_STARTS:
            return False
    return False


def _overrun(stems: list[str], rivals: tuple[tuple[str, ...], ...], start: int, end: int) -> bool:
    """A rival phrase that begins inside the cue's words and runs on past them: "ties count as one
    half" begins the rival "one half", so it is not "count as one"."""
    return any(s < end < e for s, e in _occurrences(stems, rivals, start, end))


def _between(stems: list[str], rivals: tuple[tuple[str, ...], ...], lo: int, hi: int) -> bool:
    return bool(rivals) and bool(_occurrences(stems, rivals, lo, hi))


def sentence_breaks(text: str, tokens: list[lx.Token]) -> frozenset[int]:
    """Indices of the tokens that start a new sentence (a cue never spans two)."""
    return frozenset(i for i in range(1, len(tokens))
                     if any(c in text[tokens[i - 1].end : tokens[i].start] for c in ".;?!"))


def match_cue(tokens: list[lx.Token], cue: list[str], rivals: list[str] = (),
              breaks: frozenset[int] = frozenset()) -> tuple[int, int] | None:
    """The token span of the first place ``cue`` fires in ``tokens``, or None."""
    stems = [t.stem for t in tokens]
    norms = [t.norm for t in tokens]
    groups = [_group(g) for g in cue]
    if not groups or not all(groups):
        return None
    first_alts = set(groups[0])
    rival_alts = tuple(r for r in _group("|".join(rivals)) if r not in first_alts) if rivals else ()
    for start, end in _occurrences(stems, groups[0], 0, len(stems)):
        if negated_at(norms, start):
            continue
        span = _follow(stems, norms, groups[1:], rival_alts, breaks, end)
        if span is None or _overrun(stems, rival_alts, start, span):
            continue
        if not _warned(stems, norms, breaks, start, span):
            return start, span
    return None


def _warned(stems: list[str], norms: list[str], breaks: frozenset[int], start: int, end: int) -> bool:
    """Whether the words around a cue name it as a mistake (same clause, a few words away)."""
    lo = start
    while lo > max(0, start - WARNING_GAP) and lo not in breaks and norms[lo - 1] not in CLAUSE_STARTS:
        lo -= 1
    hi = end
    while hi < min(len(stems), end + WARNING_GAP) and hi not in breaks:
        hi += 1
    return bool(_occurrences(stems, _group(WARNING_BEFORE), lo, start)
                or _occurrences(stems, _group(WARNING_AFTER), end, hi))


def _follow(stems, norms, groups, rivals, breaks: frozenset[int], end: int) -> int | None:
    """End of the rest of a cue after a group ending at ``end`` (nearest occurrences), or None."""
    if not groups:
        return end
    for s, e in _occurrences(stems, groups[0], end, end + CUE_GAP + 1):
        if (_negated(norms, end, s) or _between(stems, rivals, end, s) or any(end <= b <= s for b in breaks)
                or any(w in CONTRASTS for w in norms[end:s])):
            continue
        rest = _follow(stems, norms, groups[1:], rivals, breaks, e)
        if rest is not None:
            return rest
    return None


def red_flags_in(tokens: list[lx.Token], question: Question, language: str,
                 breaks: frozenset[int] = frozenset()) -> list[Found]:
    """The red flags whose cues fire in the answer (cues of both languages: answers mix them)."""
    found = []
    for flag in question.red_flags:
        for cue in flag.cues.all():
            span = match_cue(tokens, cue, flag.rivals, breaks)
            if span:
                found.append(Found(_claim(flag, language), *span))
                break
    return found


def _claim(flag: RedFlag, language: str, said: str | None = None) -> WrongClaim:
    return WrongClaim(id=flag.id, key_point=flag.key_point, claim=flag.claim.get(language),
                      correction=flag.correction.get(language), said=said, source="rubric")


def negated_key_points(tokens: list[lx.Token], question: Question, language: str) -> list[Found]:
    """Key points whose evidence is said, but only under negations (of two terms or more)."""
    norms = [t.norm for t in tokens]
    found = []
    for kp in question.rubric:
        if any(w in NEGATIONS for text in (kp.statement.en, kp.statement.es) for w in lx.normalize(text).split()):
            continue  # the point itself is said with a negation ("a constructor cannot return a value")
        hits = _evidence_hits(tokens, kp)
        negated = [h for h in hits if negated_at(norms, h[0])]
        if len(negated) >= NEGATED_TERMS_FOR_CLAIM and len(negated) == len(hits):
            s, e = negated[0]
            found.append(Found(WrongClaim(
                id=f"not-{kp.id}", key_point=kp.id, claim=kp.statement.get(language),
                correction=kp.statement.get(language), source="negation"), s, e))
    return found


def _evidence_hits(tokens: list[lx.Token], kp: KeyPoint) -> list[tuple[int, int]]:
    stems = [t.stem for t in tokens]
    hits = []
    for term in kp.evidence.all():
        alt = _stems(term)
        if len(alt) < 2 and len(alt[0] if alt else "") < 4:
            continue  # too short to read a negation from
        hits += _occurrences(stems, (alt,), 0, len(stems))
    # overlapping terms ("variance", "high variance") count once
    out: list[tuple[int, int]] = []
    for h in sorted(set(hits)):
        if not out or h[0] >= out[-1][1]:
            out.append(h)
    return out


ROLE_GAP = 6  # words between a subject and what is said of it


def _roles(question: Question) -> tuple[dict[int, frozenset[str]], dict[int, tuple[tuple[str, ...], ...]]]:
    """Subjects and predicates of the question's single-subject key points.

    A subject is a word of the question that opens a key point's statement ("Bagging trains…",
    "Recall is…"); a key point's predicates are its evidence terms that name no subject and no
    word of the question, and belong to no other key point.
    """
    q_stems = frozenset(lx.content_stems(question.text.en) + lx.content_stems(question.text.es))
    subjects: dict[int, frozenset[str]] = {}
    for k, kp in enumerate(question.rubric):
        firsts = {s for text in (kp.statement.en, kp.statement.es) for s in lx.content_stems(text)[:1]}
        if firsts & q_stems:
            subjects[k] = frozenset(firsts & q_stems)
    if len(set(subjects.values())) < 2:
        return {}, {}
    owner: dict[tuple[str, ...], set[int]] = {}
    for k in subjects:
        for term in question.rubric[k].evidence.all():
            stems = _stems(term)
            if stems and not set(stems) & q_stems and max(map(len, stems)) >= 4:
                owner.setdefault(stems, set()).add(k)
    predicates = {k: tuple(s for s, ks in owner.items() if ks == {k}) for k in subjects}
    return subjects, predicates


def swapped_roles(text: str, tokens: list[lx.Token], question: Question, language: str) -> list[Found]:
    """Key points whose predicates the answer says of another subject more often than of their own
    ("high variance means underfitting", "boosting trains them in parallel")."""
    subjects, predicates = _roles(question)
    if not subjects:
        return []
    stems = [t.stem for t in tokens]
    norms = [t.norm for t in tokens]
    every_subject = {s for ss in subjects.values() for s in ss}
    found = []
    for k, own in subjects.items():
        support, swaps = 0, []
        for s, e in _occurrences(stems, predicates[k], 0, len(stems)):
            if negated_at(norms, s):
                continue
            subject = _nearest_subject(text, tokens, stems, s, every_subject)
            if subject is None:
                continue
            if subject in own:
                support += 1
            else:
                swaps.append((s, e))
        if swaps and len(swaps) > support:
            kp = question.rubric[k]
            s, e = swaps[0]
            found.append(Found(WrongClaim(id=f"swapped-{kp.id}", key_point=kp.id, claim=kp.statement.get(language),
                                          correction=kp.statement.get(language), source="roles"), s, e))
    return found


def _nearest_subject(text: str, tokens: list[lx.Token], stems: list[str], at: int, subjects: set[str]) -> str | None:
    """The subject named closest before token ``at`` in the same sentence, within ``ROLE_GAP`` words."""
    for j in range(at - 1, max(-1, at - 1 - ROLE_GAP), -1):
        if any(c in text[tokens[j].end : tokens[j + 1].start] for c in ".;:?!"):
            return None
        if stems[j] in subjects:
            return stems[j]
    return None


def wrong_claims(text: str, tokens: list[lx.Token], question: Question, language: str) -> list[WrongClaim]:
    """Every wrong claim found in the answer, quoting the words that made it."""
    found = red_flags_in(tokens, question, language, sentence_breaks(text, tokens))
    flagged = {f.claim.key_point for f in found if f.claim.key_point}
    for extra in (swapped_roles(text, tokens, question, language), negated_key_points(tokens, question, language)):
        found += [f for f in extra if f.claim.key_point not in flagged]
        flagged |= {f.claim.key_point for f in extra}
    out = []
    for f in found:
        a, b = max(0, f.start - 2), min(len(tokens), f.end + 2)
        out.append(f.claim.model_copy(update={"said": lx.span_text(text, tokens, a, b) or None}))
    return out


def red_flag_problems(question: Question) -> list[tuple[int, str]]:
    """What is wrong with a question's red flags, as (red flag index, problem) pairs.

    A cue that fires on the question's own model answer, key-point statements or restatements would take
    points from a correct answer; a red flag none of whose cues fires on its own claim would
    never be found.
    """
    problems: list[tuple[int, str]] = []
    correct = {f"the model answer ({lang})": question.model_answer.get(lang) for lang in ("en", "es")}
    for kp in question.rubric:
        for lang in ("en", "es"):
            correct[f"key point {kp.id!r} ({lang})"] = kp.statement.get(lang)
            for n, text in enumerate(getattr(kp.restatements, lang), start=1):
                correct[f"key point {kp.id!r} restatement {n} ({lang})"] = text
    for i, flag in enumerate(question.red_flags):
        for what, text in correct.items():
            tokens = lx.tokenize(text)
            cue = next((c for c in flag.cues.all() if match_cue(tokens, c, flag.rivals)), None)
            if cue:
                problems.append((i, f"red flag {flag.id!r}: cue {cue} fires on {what}"))
        for lang in ("en", "es"):
            cues = getattr(flag.cues, lang)
            if not cues:
                problems.append((i, f"red flag {flag.id!r}: no cues in {lang}"))
            elif not any(match_cue(lx.tokenize(flag.claim.get(lang)), c, flag.rivals) for c in cues):
                problems.append((i, f"red flag {flag.id!r}: none of its {lang} cues fires on its own claim"))
    return problems
