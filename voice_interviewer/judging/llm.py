"""The LLM judge: rubric grading through any OpenAI-compatible endpoint, never breaking a turn.

Two methods (``llm_method``; ``auto`` picks by endpoint):

* ``structured`` (remote models): per-key-point verdicts with quotes, feedback, a follow-up
  and a 0–10 score as one JSON object (json_schema, else JSON mode + schema in the prompt),
  validated with pydantic, one repair turn on an invalid reply.
* ``probs`` (small local models): one token under the grammar ``[0-5]``; the score is the
  expected value over the digits' probabilities (×2 for 0–10). A sampled digit from a 1.5B
  model carries almost no signal; the probabilities do.

Which score a turn gets: ``--scorer llm`` gives the LLM's own score; ``--scorer auto`` gives
the fusion ``0.5·LLM + 0.5·offline``, because that is what measurably helps: on the first 100
answers of the fixed 300-answer Mohler subset (benchmarks/llm_agreement.py, Qwen2.5-Coder-1.5B,
probabilities) Pearson was offline 0.59, LLM 0.65, fusion 0.67 (held-out assignments: 0.68,
0.66, 0.73; the fusion beat offline in every paired bootstrap resample). On our own graded
bank answers (67, es/en) the offline judge is far better than the 1.5B alone (0.89 vs 0.66)
and the fusion ties it (0.90), helping on paraphrases; the LLM is fooled by instructions to
the grader, so an answer either detector flags keeps the offline score.

The offline judge always runs too: its score stays beside the LLM's (``offline_score``), a
large disagreement is noted, and any fault (timeout, refused connection, 429/5xx after the
client's bounded retries, invalid JSON, wrong types, out-of-range values) returns the
offline judgement with ``scorer="offline"`` and the reason in ``notes``.

Follow-ups: the most important missing key point is picked in code; the LLM only words the
question in the interview language, and wording that mentions or copies the answer key is
replaced by the bank's follow-up for that point.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from ..config import Settings
from ..language import clamp_language
from ..schema import Judgement, KeyPointResult, Question
from ..ports import Judge
from ..prompts import fence_answer, render
from .feedback import wrong_claim_text
from .llm_client import Endpoint, LLMFault
from .llm_parse import (
    GradeError,
    check_follow_up,
    copies,
    digit_expectation,
    grade_schema,
    looks_like_injection,
    parse_grade,
)

DISAGREEMENT = 4.0  # points on 0–10 between the LLM and the offline judge that get flagged
# answers the offline judge caps on sight, which small LLMs score as fair answers (measured on the graded
# set's test split with Qwen2.5-Coder-1.5B: off-topic 5.5, filler 4.9, keyword lists 7.8 out of 10)
CAPPED_FLAGS = frozenset({"off_topic", "thin", "list"})
FUSION_WEIGHT = 0.5  # share of the LLM's probability score in the fused score
DIGIT_GRAMMAR = "root ::= [0-5]"


def fuse_scores(llm_score: float, offline_score: float, weight: float = FUSION_WEIGHT) -> float:
    """``weight``·LLM + (1 − ``weight``)·offline, to two decimals (see the module docstring)."""
    return round(weight * llm_score + (1 - weight) * offline_score, 2)


class LLMJudge:
    name = "llm"

    def __init__(self, endpoint: Endpoint, fallback: Judge, *, method: str = "auto",
                 fusion_weight: float = FUSION_WEIGHT, follow_ups: bool = True, fuse: bool = False,
                 prompts_dir: Path | None = None):
        self.endpoint = endpoint
        self.prompts_dir = prompts_dir  # the user's own templates, else the built-in ones
        self.fallback = fallback
        self.fuse = fuse  # score = fusion with the offline score (what --scorer auto uses) instead of the LLM's
        self.follow_ups = follow_ups  # False: no follow-up wording (batch scoring, benchmarks)
        if method == "auto":
            method = "probs" if endpoint.local else "structured"
        self.method = method
        self.fusion_weight = fusion_weight

    @classmethod
    def from_settings(cls, settings: Settings, fallback: Judge, *, progress: bool = True,
                      follow_ups: bool = True) -> LLMJudge:
        endpoint = Endpoint.from_settings(settings, progress=progress)
        return cls(endpoint, fallback, method=settings.llm_method, follow_ups=follow_ups,
                   fuse=settings.scorer == "auto", prompts_dir=settings.prompts_dir)

    def _render(self, name: str, lang: str, **context: object) -> str:
        return render(name, lang, root=self.prompts_dir, **context)

    def coverage(self, question: Question, partial_answer: str, language: str) -> float | None:
        """The offline judge's rubric coverage of a partial answer (``ports.Covering``): the
        end-of-answer decision needs it in tens of ms, which no LLM call gives."""
        cover = getattr(self.fallback, "coverage", None)
        return cover(question, partial_answer, language) if cover is not None else None

    # -- lifecycle -----------------------------------------------------------
    def close(self) -> None:
        """Stop the local server if this judge started one."""
        self.endpoint.close()

    def __enter__(self) -> LLMJudge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- judging ----------------------------------------------------------------
    def judge(self, question: Question, answer: str, language: str) -> Judgement:
        lang = clamp_language(language)
        base = self.fallback.judge(question, answer, lang)
        if not answer.strip():
            return self._offline(base, "empty answer")
        try:
            if self.method == "probs":
                j = self._judge_probs(question, answer, lang, base)
            else:
                j = self._judge_structured(question, answer, lang, base)
        except (LLMFault, GradeError) as exc:
            return self._offline(base, str(exc))
        self._cross_check(j, base, answer)
        if self.follow_ups:
            self._word_follow_up(j, question, lang, base)
        return j

    def _offline(self, base: Judgement, reason: str) -> Judgement:
        j = base.model_copy(deep=True)
        j.scorer = "offline"
        j.offline_score = base.score
        j.notes.append(f"LLM judge not used ({reason}); offline judge scored this answer")
        return j

    def _system(self, lang: str) -> dict:
        return {"role": "system", "content": self._render("persona", lang)}

    def _judge_probs(self, question: Question, answer: str, lang: str, base: Judgement) -> Judgement:
        prompt = self._render("score_digit", lang, question=question.text.get(lang),
                              reference=question.model_answer.get(lang), answer=fence_answer(answer),
                              wrong_claims=[f.claim.get(lang) for f in question.red_flags])
        resp = self.endpoint.chat(
            [self._system(lang), {"role": "user", "content": prompt}],
            max_tokens=1, temperature=0, logprobs=True, top_logprobs=20,
            extra_body={"grammar": DIGIT_GRAMMAR},
        )
        try:
            first = resp.choices[0].logprobs.content[0]
            pairs = [(t.token, t.logprob) for t in first.top_logprobs] or [(first.token, first.logprob)]
        except (AttributeError, IndexError, TypeError):
            raise GradeError("the endpoint returned no token probabilities") from None
        ev, probs = digit_expectation(pairs)
        llm_score = round(2 * ev, 2)  # 0–5 digits → 0–10
        w = self.fusion_weight
        fused = fuse_scores(llm_score, base.score, w)
        score = fused if self.fuse else llm_score
        sd = statistics.pstdev([d for d in probs for _ in range(round(probs[d] * 100))] or [0])
        return base.model_copy(deep=True, update={
            "score": min(10.0, max(0.0, score)),
            "scorer": self.name,
            "follow_up": None,  # worded below, for the point picked in code
            "follow_up_key_point": None,
            "offline_score": base.score,
            "confidence": round(max(0.05, min(0.95, 1 - sd / 2.5)), 2),
            "details": {**base.details, "method": "probs", "llm_score": llm_score, "fused_score": fused,
                        "fusion_weight": w, "fused": self.fuse, "digit_probs": {str(d): round(p, 4) for d, p in probs.items()},
                        "model": self.endpoint.model, "latency_s": _r(self.endpoint.last_latency)},
        })

    def _judge_structured(self, question: Question, answer: str, lang: str, base: Judgement) -> Judgement:
        ids = [kp.id for kp in question.rubric]
        schema = grade_schema(ids)
        context = dict(
            question=question.text.get(lang),
            key_points=[{"id": kp.id, "weight": kp.weight, "statement": kp.statement.get(lang)}
                        for kp in question.rubric],
            reference=question.model_answer.get(lang),
            wrong_claims=[f.claim.get(lang) for f in question.red_flags],
            answer=fence_answer(answer),
        )

        def build(fmt: str) -> list[dict]:
            shown = None if fmt == "json_schema" else json.dumps(schema, separators=(",", ":"))
            return [self._system(lang), {"role": "user", "content": self._render("grade", lang, schema=shown, **context)}]

        opts = dict(temperature=0, max_tokens=900)
        text, messages = self.endpoint.grade_call(build, schema, **opts)
        repaired = False
        try:
            grade, notes = parse_grade(text, ids)
        except GradeError as first_error:
            repaired = True
            retry = [*messages, {"role": "assistant", "content": (text or "")[:2000]},
                     {"role": "user", "content": self._render("repair", lang, error=str(first_error))}]
            text, _ = self.endpoint.grade_call(lambda fmt: retry, schema, **opts)
            try:
                grade, notes = parse_grade(text, ids)
            except GradeError as exc:
                raise GradeError(f"invalid reply after one repair: {exc}") from None
        by_id = {v.id: v for v in grade.key_points}
        offline_by_id = {k.id: k for k in base.key_points}
        results: list[KeyPointResult] = []
        for kp in question.rubric:
            v = by_id.get(kp.id)
            if v is None:
                notes.append(f"no LLM verdict for {kp.id}; offline verdict kept")
                if kp.id in offline_by_id:
                    results.append(offline_by_id[kp.id])
                continue
            results.append(KeyPointResult(id=kp.id, statement=kp.statement.get(lang), weight=kp.weight,
                                          verdict=v.verdict, evidence=v.quote.strip() or None))
        fused = fuse_scores(grade.score, base.score, self.fusion_weight)
        return Judgement(
            score=fused if self.fuse else round(grade.score, 2), key_points=results, feedback=grade.feedback.strip() or base.feedback,
            confidence=0.6, scorer=self.name, notes=[*base.notes, *notes], follow_up=grade.follow_up,
            offline_score=base.score,
            details={**base.details, "method": "structured", "format": self.endpoint.format,
                     "llm_score": round(grade.score, 2), "fused_score": fused, "fused": self.fuse,
                     "repaired": repaired, "model": self.endpoint.model,
                     "latency_s": _r(self.endpoint.last_latency)},
        )

    def _cross_check(self, j: Judgement, base: Judgement, answer: str) -> None:
        self._keep_wrong_claims(j, base)
        caught = sorted(CAPPED_FLAGS & set(base.details.get("flags") or []))
        if caught and j.score > base.score:  # off-topic, filler, a keyword list: the offline judge's cap stands
            j.notes.append(f"offline judge flagged {', '.join(caught)}: the LLM's {j.score:.1f} "
                           f"was not allowed to lift the offline {base.score:.1f}")
            j.score = base.score
        llm = j.details.get("llm_score", j.score)
        flagged = "injection" in (base.details.get("flags") or [])  # the offline judge's own detector
        if (flagged or looks_like_injection(answer)) and llm > base.score + 1:
            j.notes.append("answer contains instructions to the grader; offline score used")
            j.score = base.score
            j.details["injection_suspected"] = True
        elif abs(llm - base.score) >= DISAGREEMENT:
            j.notes.append(f"large disagreement: LLM {llm:.1f} vs offline {base.score:.1f}")
            j.details["disagreement"] = round(llm - base.score, 2)

    @staticmethod
    def _keep_wrong_claims(j: Judgement, base: Judgement) -> None:
        """A wrong claim the offline judge found stands: the LLM can lower the score, never lift it."""
        if not base.wrong_claims:
            return
        j.wrong_claims = list(base.wrong_claims)
        if j.score > base.score:
            j.notes.append(f"wrong claim found ({base.wrong_claims[0].id}): the LLM's {j.score:.1f} "
                           f"was not allowed to lift the offline {base.score:.1f}")
            j.score = base.score
        lang = base.details.get("language", "en")
        named = [wrong_claim_text(w, lang) for w in base.wrong_claims[:2]]
        j.feedback = " ".join([*named, j.feedback]).strip() if named[0] not in j.feedback else j.feedback
        bad = {w.key_point for w in base.wrong_claims}
        for k in j.key_points:
            if k.id in bad and k.verdict != "missing":
                k.verdict = "missing"  # said the other way round: not covered, whatever the LLM read

    # -- follow-ups ---------------------------------------------------------------
    def _word_follow_up(self, j: Judgement, question: Question, lang: str, base: Judgement) -> None:
        order = {"missing": 0, "partly": 1}
        gaps = sorted((k for k in j.key_points if k.verdict in order), key=lambda k: (order[k.verdict], -k.weight))
        proposed, j.follow_up, j.follow_up_key_point = j.follow_up, None, None
        if not gaps:
            return
        target = gaps[0]
        kp = question.key_point(target.id)
        banked = [(g.id, f.text.get(lang)) for g in gaps for f in question.follow_ups if f.key_point == g.id]
        secrets = [question.model_answer.en, question.model_answer.es,
                   *(s for k in question.rubric for s in (k.statement.en, k.statement.es))]
        check = dict(language=lang, secrets=secrets, question=question.text.get(lang))
        text, why = check_follow_up(proposed, **check) if proposed else (None, None)
        source = "llm-grade"
        if text is None:
            source = "llm"
            prompt = self._render("follow_up", lang, question=question.text.get(lang),
                            topic=kp.statement.get(lang) if kp else target.statement)
            try:
                wording = self.endpoint.text_call(
                    [self._system(lang), {"role": "user", "content": prompt}],
                    temperature=0, max_tokens=80, stop=["\n"],
                )
                text, why = check_follow_up(wording, **check)
            except LLMFault as exc:
                text, why = None, str(exc)
        target_id = target.id
        if text is None:
            if banked:  # the bank's follow-up for the most important gap that has one
                target_id, text = banked[0]
            if why:
                j.notes.append(f"LLM follow-up rejected ({why}); bank follow-up used" if text
                               else f"LLM follow-up rejected ({why})")
            j.details["follow_up_source"] = "bank" if text else None
        else:
            j.details["follow_up_source"] = source
        if text:
            j.follow_up, j.follow_up_key_point = text, target_id

    # -- end of session -------------------------------------------------------------
    def summarize(self, turns: list[dict], mean: float | None, language: str) -> str | None:
        """A short spoken summary (``turns``: question, score, missing), or None on any fault."""
        lang = clamp_language(language)
        prompt = self._render("summary", lang, turns=turns, mean="–" if mean is None else f"{mean:.1f}")
        try:
            text = self.endpoint.text_call([self._system(lang), {"role": "user", "content": prompt}],
                                           temperature=0.2, max_tokens=160)
        except LLMFault:
            return None
        text = " ".join((text or "").split())
        if not text or len(text) > 800 or "{" in text or copies(text, prompt, 6):
            return None
        return text


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)
