"""Data that crosses module boundaries: questions, judgements, turns and sessions.

Everything here is a pydantic model so it validates when loaded from YAML/JSON and
serialises to ``session.json`` unchanged.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .language import Language, clamp_language

LanguageChoice = Literal["es", "en", "auto"]
Category = Literal["fundamentals", "practical", "system-design", "coding", "communication"]
CATEGORIES: tuple[str, ...] = ("fundamentals", "practical", "system-design", "coding", "communication")
Difficulty = Literal["easy", "medium", "hard"]
Verdict = Literal["covered", "partly", "missing"]

SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Localized(Strict):
    """The same text in both interview languages."""

    en: str = Field(min_length=1)
    es: str = Field(min_length=1)

    def get(self, language: str) -> str:
        """The text in ``language`` (English for "auto" or any other)."""
        return self.es if clamp_language(language) == "es" else self.en


class LocalizedTerms(Strict):
    """Words or phrases that evidence a key point, per language."""

    en: list[str] = Field(default_factory=list)
    es: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.en, *self.es]


class KeyPoint(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    weight: float = Field(default=1.0, gt=0, le=10)
    statement: Localized
    evidence: LocalizedTerms = Field(default_factory=LocalizedTerms)
    # the same point in everyday words, without the field's terms: a paraphrase is matched against these
    restatements: LocalizedTerms = Field(default_factory=LocalizedTerms)


class LocalizedCues(Strict):
    """How a wrong claim shows up in a transcript, per language: ordered groups of alternatives.

    A cue is a list of 2–3 groups; a group is ``"term | other term"``. See ``judging/claims.py``.
    """

    en: list[list[str]] = Field(default_factory=list)
    es: list[list[str]] = Field(default_factory=list)

    def all(self) -> list[list[str]]:
        return [*self.en, *self.es]


class RedFlag(Strict):
    """A common confident wrong claim about a question, and what is true instead."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    key_point: str | None = None  # the rubric key point the claim contradicts
    claim: Localized
    correction: Localized
    cues: LocalizedCues = Field(default_factory=LocalizedCues)
    rivals: list[str] = Field(default_factory=list)  # other subjects: between a cue's parts they stop it


class FollowUp(Strict):
    text: Localized
    key_point: str | None = None  # the rubric key point this follow-up probes


class Generated(Strict):
    """Where a generated question came from (``bank generate``): the model, the job file, the day."""

    by: str = Field(min_length=1)
    job: str = Field(min_length=1)
    at: date


class Question(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    category: Category
    difficulty: Difficulty = "medium"
    text: Localized
    rubric: list[KeyPoint] = Field(min_length=1)
    model_answer: Localized
    follow_ups: list[FollowUp] = Field(default_factory=list)
    red_flags: list[RedFlag] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    generated: Generated | None = None  # written by an LLM (bank generate), not by a person

    @field_validator("rubric")
    @classmethod
    def _unique_key_points(cls, rubric: list[KeyPoint]) -> list[KeyPoint]:
        ids = [kp.id for kp in rubric]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate key point id(s): {', '.join(dupes)}")
        return rubric

    @model_validator(mode="after")
    def _red_flags_point_at_key_points(self) -> Question:
        ids = [f.id for f in self.red_flags]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate red flag id(s): {', '.join(dupes)}")
        known = {kp.id for kp in self.rubric}
        for f in self.red_flags:
            if f.key_point and f.key_point not in known:
                raise ValueError(f"red flag {f.id!r} names unknown key point {f.key_point!r}")
            for cue in f.cues.all():
                if not 1 <= len(cue) <= 3 or not all(g.strip(" |") for g in cue):
                    raise ValueError(f"red flag {f.id!r}: a cue is 1-3 non-empty groups, got {cue!r}")
        return self

    def key_point(self, kp_id: str) -> KeyPoint | None:
        return next((kp for kp in self.rubric if kp.id == kp_id), None)

    def focused(self, kp_id: str | None, text: Localized) -> Question:
        """A follow-up question: same topic, judged on the probed key point only."""
        kp = self.key_point(kp_id) if kp_id else None
        if not kp:
            return self.model_copy(update={"text": text})
        flags = [f for f in self.red_flags if f.key_point in (None, kp.id)]
        return self.model_copy(update={"text": text, "rubric": [kp], "red_flags": flags})


class KeyPointResult(BaseModel):
    id: str
    statement: str
    weight: float = 1.0
    verdict: Verdict
    evidence: str | None = None  # span of the answer that supports the verdict
    similarity: float | None = None


class WrongClaim(BaseModel):
    """A wrong claim found in an answer: what was said, and what is true."""

    id: str
    key_point: str | None = None
    claim: str  # the red flag's claim, in the answer's language
    correction: str
    said: str | None = None  # the words of the answer that made it
    source: str = "rubric"  # rubric (a red flag's cue), negation, meaning, llm


class DeliveryMetrics(BaseModel):
    """How the answer was said (from word timestamps and audio)."""

    words: int = 0
    duration_s: float | None = None
    words_per_minute: float | None = None
    fillers: dict[str, int] = Field(default_factory=dict)
    fillers_per_minute: float | None = None
    long_pauses: list[float] = Field(default_factory=list)  # seconds of each pause > threshold
    hedges: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class Judgement(BaseModel):
    """What a judge says about one answer."""

    score: float = Field(ge=0, le=10)
    key_points: list[KeyPointResult] = Field(default_factory=list)
    feedback: str = ""
    confidence: float = Field(default=0.5, ge=0, le=1)
    scorer: str = "offline"
    notes: list[str] = Field(default_factory=list)  # fallbacks, clamping, flags
    follow_up: str | None = None
    follow_up_key_point: str | None = None
    offline_score: float | None = None  # cross-check kept beside an LLM score
    wrong_claims: list[WrongClaim] = Field(default_factory=list)
    details: dict = Field(default_factory=dict)

    @property
    def covered(self) -> list[str]:
        return [k.id for k in self.key_points if k.verdict == "covered"]

    @property
    def partly(self) -> list[str]:
        return [k.id for k in self.key_points if k.verdict == "partly"]

    @property
    def missing(self) -> list[str]:
        return [k.id for k in self.key_points if k.verdict == "missing"]


class Timings(BaseModel):
    """Seconds on one monotonic clock (the session's), per turn."""

    question_start: float | None = None
    listening_start: float | None = None
    speech_start: float | None = None
    speech_end: float | None = None
    endpoint: float | None = None
    transcript_ready: float | None = None
    last_chunk_start: float | None = None  # when transcription of the answer's last piece began
    last_chunk_s: float | None = None  # seconds of audio in that piece
    judged: float | None = None
    reply_audio_start: float | None = None
    wait: float | None = None


class Answer(BaseModel):
    """What an answer source hands back for one turn."""

    text: str = ""
    language: str | None = None
    language_probability: float | None = None
    audio_file: str | None = None  # relative to the session folder
    # answer: say the model answer of the last judged turn; retry: ask that turn's question again
    command: Literal["repeat", "skip", "stop", "answer", "retry", "delivery"] | None = None
    no_speech: bool = False
    timings: Timings = Field(default_factory=Timings)
    words: list[dict] = Field(default_factory=list)  # {"word", "start", "end", "probability"}

    @property
    def speech_s(self) -> float | None:
        """Seconds from the first voiced sample to the last (heard answers only)."""
        t = self.timings
        if t.speech_start is None or t.speech_end is None or t.speech_end <= t.speech_start:
            return None
        return round(t.speech_end - t.speech_start, 3)


class StarParts(BaseModel):
    """A behavioural answer's STAR parts: words given to each, and which are missing or thin."""

    words: dict[str, int] = Field(default_factory=dict)  # situation, task, action, result
    missing: list[str] = Field(default_factory=list)
    thin: list[str] = Field(default_factory=list)


class ModelSentence(BaseModel):
    """One sentence of a question's model answer and the rubric key points it states."""

    text: str
    key_points: list[str] = Field(default_factory=list)


class Turn(BaseModel):
    index: int  # 1-based
    question_id: str
    category: str | None = None
    question_text: str
    is_follow_up: bool = False
    follow_up_of: int | None = None
    follow_up_key_point: str | None = None
    answer: str = ""
    live_answer: str | None = None  # the live transcript, when a second hearing of the recording replaced it
    answer_language: str | None = None
    audio_file: str | None = None
    question_audio_file: str | None = None
    skipped: bool = False
    score: float | None = None
    key_points: list[KeyPointResult] = Field(default_factory=list)
    covered: list[str] = Field(default_factory=list)
    partly: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    feedback: str = ""
    reaction: str = ""  # the sentence the interviewer said after the answer
    scorer: str | None = None
    scorer_notes: list[str] = Field(default_factory=list)
    confidence: float | None = None
    offline_score: float | None = None
    wrong_claims: list[WrongClaim] = Field(default_factory=list)
    delivery: DeliveryMetrics | None = None
    timings: Timings = Field(default_factory=Timings)
    model_answer: list[ModelSentence] = Field(default_factory=list)  # the bank's, in the interview's language
    model_answer_said: str = ""  # what the interviewer said when the candidate asked for it
    star: StarParts | None = None  # behavioural questions only
    unsure_words: dict[str, float] = Field(default_factory=dict)  # heard with a low probability (word: p)
    attempt: int = 1  # 2, 3... when the candidate asked to try the question again
    retry_of: int | None = None  # the index of the previous attempt

    def apply(self, j: Judgement) -> None:
        self.score = round(j.score, 2)
        self.key_points = j.key_points
        self.covered = j.covered
        self.partly = j.partly
        self.missing = j.missing
        self.feedback = j.feedback
        self.scorer = j.scorer
        self.scorer_notes = list(j.notes)
        self.confidence = j.confidence
        self.offline_score = j.offline_score
        self.wrong_claims = list(j.wrong_claims)


class Status(BaseModel):
    """Where a running interview is; drivers and UIs poll this in session.json."""

    state: Literal["starting", "speaking", "listening", "thinking", "done"] = "starting"
    turn: int = 0


class Summary(BaseModel):
    mean_score: float | None = None
    answered: int = 0
    skipped: int = 0
    by_category: dict[str, float] = Field(default_factory=dict)
    strongest: str | None = None
    weakest: str | None = None
    wait_p50: float | None = None
    delivery: dict = Field(default_factory=dict)


class SourceLine(BaseModel):
    """A sentence of the job description or CV, with the line of the file it is on."""

    source: Literal["job", "cv"]
    line: int  # 1-based
    text: str
    similarity: float | None = None  # e5 cosine to what it was matched with


class PlannedQuestion(BaseModel):
    """Why a question was chosen for a job (``practice --job``)."""

    question_id: str
    reason: str  # in the interview's language, e.g. 'chosen for: "…" (job, line 12)'
    job_line: SourceLine | None = None  # the job's sentence it matched best
    terms: list[str] = Field(default_factory=list)  # the question's rubric terms found in that sentence
    cv_line: SourceLine | None = None  # the CV's sentence that clearly shows it (cv_shows "well")
    cv_shows: Literal["well", "some", "little"] | None = None  # how much of it the CV shows
    match: float = 0.0  # cosine minus the question's mean cosine to the bank, plus the terms' share


class QuestionPlan(BaseModel):
    """The questions chosen for a job description (and CV), in order, with their reasons."""

    job_file: str
    cv_file: str | None = None
    questions: list[PlannedQuestion] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # how the files were read

    def reason_for(self, question_id: str) -> str:
        return next((p.reason for p in self.questions if p.question_id == question_id), "")


class Session(BaseModel):
    schema_version: int = SCHEMA_VERSION
    id: str
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    state: Literal["in_progress", "completed", "interrupted"] = "in_progress"
    status: Status = Field(default_factory=Status)
    mode: Literal["text", "voice"] = "text"
    language: str = "en"
    scorer: str = "offline"
    settings: dict = Field(default_factory=dict)  # never secrets
    turns: list[Turn] = Field(default_factory=list)
    summary: Summary | None = None
    notes: list[str] = Field(default_factory=list)
    plan: QuestionPlan | None = None  # practice --job: the questions chosen and why

    def scored_turns(self) -> list[Turn]:
        """Scored first attempts (a question tried again counts once, as first answered)."""
        return [t for t in self.turns if t.score is not None and not t.skipped and t.attempt == 1]

    def best_turns(self) -> list[Turn]:
        """Per first attempt, its best-scored attempt."""
        best = {t.index: t for t in self.scored_turns()}
        first = {t.index: t.index for t in self.turns}
        for t in self.turns:
            if t.retry_of is not None and t.retry_of in first:
                first[t.index] = first[t.retry_of]
                root = first[t.index]
                if t.score is not None and root in best and t.score > (best[root].score or 0):
                    best[root] = t
        return list(best.values())

    def why_asked(self, turn: Turn) -> str:
        """Why the question of ``turn`` was chosen (practice --job), on its first asking only."""
        if self.plan is None or turn.is_follow_up or turn.attempt > 1:
            return ""
        return self.plan.reason_for(turn.question_id)

    def mean_score(self) -> float | None:
        scored = self.scored_turns()
        return round(sum(t.score for t in scored) / len(scored), 2) if scored else None

    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
