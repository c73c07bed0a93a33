"""Has the candidate finished? One decision at a pause from everything known about the answer.

The turn model (``endpoint.SmartTurn``) hears prosody only, and it doubts many finished spoken
answers (0.3-0.9 where its quick-end threshold is 0.95), so they waited the whole pause limit
(``max_pause_s``). At a pause the product also knows what was said: whether the transcript so far
reads as finished (``textcue.sounds_finished``), how much of the question's rubric it covers (the
offline judge's key-point coverage of the partial text) and how long it is against the answer the
question expects (the words of the bank's model answer). ``PauseFeatures`` holds those signals;
``TurnEndRule.wait_s`` turns them into the silence after which this pause ends the answer, or None
(no early end: the pause limit stands):

- the text trails off ("... and then", a comma), or the answer has barely started (fewer than
  ``min_words`` words, or known progress under ``min_done``): None;
- the turn model is sure (``turn_sure``, Settings.turn_threshold): ``sure_silence_s``
  (Settings.end_silence_s) — the quick end the endpointer had before this rule;
- it leans to finished (``turn_likely``): ``early_silence_s``;
- the answer is substantially done (rubric coverage of at least ``coverage_done``, or
  ``length_done`` of the expected length) and the turn model does not call it clearly unfinished
  (``turn_floor``): ``early_silence_s``;
- otherwise (a sentence end the turn model calls unfinished, in an answer that has said little): None.

The thresholds are fitted on the dev split of the natural-voice answer sets
(``benchmarks/turn_end.py``); the figures are in benchmarks/RESULTS.md.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..config import Settings

# the end when the turn model is sure: the user-facing settings of the quick end (set there only)
SURE_SILENCE_S = Settings.model_fields["end_silence_s"].default
TURN_SURE = Settings.model_fields["turn_threshold"].default
# silence after which a pause that reads finished, and that the turn model doubts, may end the answer
EARLY_SILENCE_S = 0.7
TURN_LIKELY = 0.5  # turn probability that, with a finished text, ends the answer early
TURN_FLOOR = 0.2  # below this the turn model calls the pause unfinished whatever the rubric says
COVERAGE_DONE = 0.5  # rubric coverage (weighted share of key points) of a substantially done answer
LENGTH_DONE = 0.6  # ... or this share of the expected length (words of the bank's model answer)
MIN_WORDS = 6  # an answer shorter than this never ends early (a first clause, "Well, first.")
MIN_DONE = 0.0  # an answer whose coverage and length share are both under this never ends early


class AnswerProgress(BaseModel):
    """How far the answer heard so far has got: its words and, when the question is known, the
    share of the rubric it covers and the words the bank's model answer takes."""

    words: int = Field(0, ge=0)
    coverage: float | None = Field(None, ge=0.0, le=1.0)
    expected_words: int | None = Field(None, gt=0)

    @property
    def done(self) -> float | None:
        """The larger of coverage and length share (capped at 1); None when neither is known."""
        parts = [c for c in (self.coverage,) if c is not None]
        if self.expected_words:
            parts.append(min(1.0, self.words / self.expected_words))
        return max(parts) if parts else None


class PauseFeatures(BaseModel):
    """The signals at one pause of an answer."""

    turn_probability: float | None = None  # Smart Turn's, None without the model
    text_finished: bool | None = None  # the transcript up to the pause reads finished; None: unknown
    progress: AnswerProgress = Field(default_factory=AnswerProgress)


class TurnEndRule(BaseModel):
    """The decision rule and its parameters (module constants by default)."""

    sure_silence_s: float = Field(SURE_SILENCE_S, gt=0)
    turn_sure: float = Field(TURN_SURE, ge=0.0, le=1.0)
    early_silence_s: float = Field(EARLY_SILENCE_S, gt=0)
    turn_likely: float = Field(TURN_LIKELY, ge=0.0, le=1.0)
    turn_floor: float = Field(TURN_FLOOR, ge=0.0, le=1.0)
    coverage_done: float = Field(COVERAGE_DONE, ge=0.0, le=1.0)
    length_done: float = Field(LENGTH_DONE, ge=0.0)
    min_words: int = Field(MIN_WORDS, ge=0)
    min_done: float = Field(MIN_DONE, ge=0.0, le=1.0)

    @property
    def first_look_s(self) -> float:
        """The silence at which the endpointer first reads a pause's signals."""
        return min(self.sure_silence_s, self.early_silence_s)

    def substantially_done(self, progress: AnswerProgress) -> bool:
        if progress.coverage is not None and progress.coverage >= self.coverage_done:
            return True
        return bool(progress.expected_words) and progress.words >= self.length_done * progress.expected_words

    def wait_s(self, f: PauseFeatures) -> float | None:
        """The silence after which this pause ends the answer, or None: no early end (the
        endpointer's pause limit stands)."""
        p, done = f.turn_probability, f.progress.done
        if f.text_finished is not True or p is None or f.progress.words < self.min_words:
            return None
        if done is not None and done < self.min_done:
            return None
        if p >= self.turn_sure:
            return self.sure_silence_s
        if p >= self.turn_likely:
            return self.early_silence_s
        if p >= self.turn_floor and self.substantially_done(f.progress):
            return self.early_silence_s
        return None
