"""Has the candidate finished? One decision at a pause from everything known about the answer.

The turn model (``endpoint.SmartTurn``) hears prosody only: it doubts many finished spoken answers
(0.3-0.9 where its quick-end threshold is 0.95), so they waited the whole pause limit
(``max_pause_s``), and it is as sure at the end of a first sentence that more will follow (0.96-0.99)
as at the end of the answer, so those were cut. At a pause the product also knows what was said:
how the transcript so far ends (``textcue.ending``: finished, bare or trailing), how much of the
question's rubric it covers (the offline judge's key-point coverage of the partial text) and how
long it is against the answer the question expects (the words of the bank's model answer).
``PauseFeatures`` holds those signals; ``TurnEndRule.wait_s`` turns them into the silence after
which this pause ends the answer, or None (no early end: the pause limit stands):

- the text trails off ("... and then", a comma), or the answer has barely started (fewer than
  ``min_words`` words, or under ``min_length`` of the expected length): None;
- the turn model is sure (``turn_sure``, Settings.turn_threshold): ``sure_silence_s``;
- it leans to finished (``turn_likely``): ``early_silence_s``;
- the answer is substantially done (rubric coverage of at least ``coverage_done``, or
  ``length_done`` of the expected length) and the turn model does not call it clearly unfinished
  (``turn_floor``): ``early_silence_s``;
- otherwise ``resumable_silence_s`` when it is set, the text reads finished or bare (Whisper
  often leaves an answer's last piece without a full stop), the turn model leans to finished
  (``resumable_floor``) and the answer has ``resumable_min_length`` of the expected length:
  barge-in is on, so a candidate who goes on talks over the reaction and the answer continues,
  and an answer the length veto held (short against a long model answer) need not wait for the
  pause limit; else None. The length keeps the reaction out of the pause after a first sentence
  or two, where most candidates go on.

The values are fitted on the dev split of the natural-voice answer sets (``benchmarks/turn_end.py
--fit``; figures in benchmarks/RESULTS.md). There, of the signals at pauses whose text reads
finished, the length told an answer's end from a pause that more speech followed best (AUC 0.98-0.99),
then the rubric coverage (0.83), the turn probability (0.70) and the fall of the voice's level (0.63-0.67,
not used); with no answer cut, the fit turned ``turn_likely`` and ``turn_floor`` off (1.0, 0.0).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..config import Settings
from .textcue import Ending

TURN_SURE = Settings.model_fields["turn_threshold"].default  # the user's setting, handed in
# silence that ends an answer the turn model is sure of: longer than Settings.end_silence_s (0.4 s,
# the end without this rule), as the voices' 0.42-0.58 s gaps between sentences ended answers there
SURE_SILENCE_S = 0.6
EARLY_SILENCE_S = 0.6  # ... and one the rule ends on its other signals (0.5 s measured no faster)
TURN_LIKELY = 1.0  # turn probability that, with a finished text, ends the answer early (1.0: off)
TURN_FLOOR = 0.0  # below this the turn model vetoes an early end whatever the rubric says (0: off)
COVERAGE_DONE = 0.6  # rubric coverage (weighted share of key points) of a substantially done answer
LENGTH_DONE = 0.4  # ... or this share of the expected length (words of the bank's model answer)
MIN_WORDS = 0  # an answer shorter than this never ends early
MIN_LENGTH = 0.35  # nor one under this share of the expected length (a first sentence or two)
# with barge-in: the turn probability above which a finished-reading pause ends the answer after
# Settings.barge_in_end_s whatever else held it. Dev pauses that more speech followed: thinking
# pauses inside a clause (Whisper writing a full stop) 0.01-0.64 but one; held answer ends 0.96-0.98
RESUMABLE_FLOOR = 0.9
# ... and the share of the expected length it needs. Dev pauses after a first sentence or two that
# more speech followed: 0.11-0.32 of it (most under 0.25); answer ends held by the length veto: 0.29-0.30
RESUMABLE_MIN_LENGTH = 0.25


class AnswerProgress(BaseModel):
    """How far the answer heard so far has got: its words and, when the question is known, the
    share of the rubric it covers and the words the bank's model answer takes."""

    words: int = Field(0, ge=0)
    coverage: float | None = Field(None, ge=0.0, le=1.0)
    expected_words: int | None = Field(None, gt=0)


class PauseFeatures(BaseModel):
    """The signals at one pause of an answer."""

    turn_probability: float | None = None  # Smart Turn's, None without the model
    text_ending: Ending | None = None  # how the transcript up to the pause ends; None: unknown
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
    min_length: float = Field(MIN_LENGTH, ge=0.0)
    resumable_silence_s: float | None = Field(None, gt=0)  # set only when the candidate can take the floor back
    resumable_floor: float = Field(RESUMABLE_FLOOR, ge=0.0, le=1.0)
    resumable_min_length: float = Field(RESUMABLE_MIN_LENGTH, ge=0.0)

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
        wait = self._early_wait(f) if f.text_ending == "finished" else None
        if wait is None and f.text_ending in ("finished", "bare") and self._resumable(f):
            return self.resumable_silence_s
        return wait

    def _resumable(self, f: PauseFeatures) -> bool:
        """Barge-in's later end may take this pause: the turn model leans to finished and the
        answer is past its first sentences."""
        if self.resumable_silence_s is None or f.turn_probability is None:
            return False
        expected = f.progress.expected_words
        return (f.turn_probability >= self.resumable_floor
                and (not expected or f.progress.words >= self.resumable_min_length * expected))

    def _early_wait(self, f: PauseFeatures) -> float | None:
        p, progress = f.turn_probability, f.progress
        if p is None or progress.words < self.min_words:
            return None
        if progress.expected_words and progress.words < self.min_length * progress.expected_words:
            return None
        if p >= self.turn_sure:
            return self.sure_silence_s
        if p >= self.turn_likely:
            return self.early_silence_s
        if p >= self.turn_floor and self.substantially_done(f.progress):
            return self.early_silence_s
        return None
