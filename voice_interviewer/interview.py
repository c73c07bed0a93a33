"""The interview loop: ask → get an answer → judge → follow-up or next → save.

It knows nothing about audio, models or networks: it talks to a ``Speaker``, an
``AnswerSource``, a ``Judge`` and the ``SessionStore``. ``session.json`` is rewritten after
every turn and at every status change, so a driver (or a crash) always sees a complete file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from . import coaching
from .judging import delivery, star
from .hearing.unsure import unsure_words
from .language import LANGUAGES, clamp_language
from .review.stats import summarize
from .schema import Answer, Judgement, Localized, Question, Session, Turn, utcnow
from .prefetch import prefetcher_for
from .sayings import reaction_text, summary_text
from .ports import (AnswerRequest, AnswerSource, Clock, Covering, HearingAgain, Interruptible, Judge, MonotonicClock,
                    Prefetching, Speaker, Summarizing)
from .store import SessionStore

MAX_REPEATS = 3
HEAR_AGAIN_WAIT_S = 3.0  # after the reaction, the longest wait for the second hearing of the answer
# commands that, after a reaction, act on the answer just judged and then listen again
COACHING = ("answer", "retry", "delivery")


class Interview:
    def __init__(
        self,
        session: Session,
        questions: Sequence[Question],
        speaker: Speaker,
        answers: AnswerSource,
        judge: Judge,
        store: SessionStore,
        followups: int = 1,
        clock: Clock | None = None,
        on_turn: Callable[[Turn], None] | None = None,
        save_question_audio: bool = False,
        prefetch: bool = True,
        long_pause_s: float = delivery.LONG_PAUSE_S,
    ):
        self.session = session
        self.questions = list(questions)
        self.speaker = speaker
        self.answers = answers
        self.judge = judge
        self.store = store
        self.followups = followups
        self.clock = clock or MonotonicClock()
        self.on_turn = on_turn or (lambda turn: None)
        self.save_question_audio = save_question_audio
        # The answer source offers the text so far only at pauses: embedding beside the live
        # transcription of running speech slowed the transcript far more on 2 cores (2.5 s -> 42 s
        # p50) than it sped up the judgement (1.0 -> 0.8 s).
        self.prefetch = prefetch
        self.long_pause_s = long_pause_s  # delivery: a silence between words this long is a long pause
        self.requested_language = session.language
        self.language = clamp_language(session.language)
        self.dir: Path = store.session_dir(session.id)
        self._asked: dict[int, tuple] = {}  # turn index -> what _turn was called with (for a retry)

    # -- state ---------------------------------------------------------------------
    def _status(self, state: str, turn: int) -> None:
        self.session.status.state = state  # type: ignore[assignment]
        self.session.status.turn = turn
        self.store.save(self.session)

    def run(self) -> Session:
        self._status("starting", 0)
        try:
            for question in self.questions:
                if not self._ask(question):
                    break
            else:
                self._end_moment()
            self.session.state = "completed"
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP raised as one by the CLI
            self.session.state = "interrupted"
            signum = getattr(exc, "signum", None)
            self.session.notes.append(f"interrupted ({exc})" if signum else "interrupted by the candidate (Ctrl-C)")
        except BaseException:
            self.session.state = "interrupted"
            self._finish()
            raise
        self._finish()
        if self.session.state == "completed":
            try:
                self.speaker.say(self._summary(), kind="summary", language=self.language)
            except KeyboardInterrupt:
                pass
        return self.session

    def _summary(self) -> str:
        """The closing words: scores in code, plus the judge's own summary when it offers one."""
        text = summary_text(self.session, self.language)
        # only a judge that judged some answer itself speaks (and is stored): after every one of
        # its judgements fell back, nothing it says is kept
        own = [t for t in self.session.scored_turns() if t.scorer == self.judge.name]
        if isinstance(self.judge, Summarizing) and own:
            turns = [
                {"question": t.question_text, "score": t.score, "missing": t.missing}
                for t in self.session.scored_turns()
            ]
            words = self.judge.summarize(turns, self.session.mean_score(), self.language)
            if words:
                self.session.notes.append(f"summary: {words}")
                self.store.save(self.session)
                text = f"{text} {words}"
        return text

    def _finish(self) -> None:
        self.session.finished_at = utcnow()
        self.session.summary = summarize(self.session)
        self.session.status.state = "done"
        self.store.save(self.session)

    # -- one question and its follow-ups --------------------------------------------
    def _ask(self, question: Question) -> bool:
        """Ask a question and its follow-ups; False when the candidate asked to stop."""
        judged_q, text, parent, key_point = question, question.text.get(self.language), None, None
        done = 0
        while True:
            result = self._turn(judged_q, text, parent, key_point)
            if result is None:
                return False
            turn, judgement = result
            if turn.skipped or judgement is None:
                return True
            if judgement.follow_up and done < self.followups:
                done += 1
                parent = turn.index
                text = judgement.follow_up
                key_point = judgement.follow_up_key_point
                judged_q = question.focused(judgement.follow_up_key_point, Localized(en=text, es=text))
                continue
            return True

    def _turn(self, question: Question, text: str, parent: int | None, key_point: str | None,
              retry_of: Turn | None = None):
        while True:
            index = len(self.session.turns) + 1
            turn = Turn(
                index=index,
                question_id=question.id,
                category=question.category,
                question_text=text,
                is_follow_up=parent is not None,
                follow_up_of=parent,
                follow_up_key_point=key_point,
                attempt=retry_of.attempt + 1 if retry_of else 1,
                retry_of=retry_of.index if retry_of else None,
            )
            answer = self._listen(turn, text, question)
            if answer.command not in COACHING:
                break
            if not self._coach(answer.command):  # the model answer or a retry; then ask this again
                return None
        if answer.command == "stop":
            return None
        if answer.command == "skip":
            turn.skipped = True
            turn.timings = answer.timings
            self.session.turns.append(turn)
            self.store.save(self.session)
            return turn, None

        self._status("thinking", index)
        turn.answer = answer.text.strip()
        turn.answer_language = answer.language
        turn.audio_file = answer.audio_file
        turn.unsure_words = unsure_words(answer.words)
        turn.timings = answer.timings.model_copy(update={"question_start": turn.timings.question_start})
        if self.requested_language == "auto" and answer.language in LANGUAGES:
            self.language = answer.language
        turn.delivery = delivery.measure(turn.answer, self.language, words=answer.words or None,
                                         duration_s=answer.speech_s, long_pause_s=self.long_pause_s)

        try:
            judgement = self.judge.judge(question, turn.answer, self.language)
        except KeyboardInterrupt:  # keep the answer heard, unjudged
            turn.scorer_notes.append("not judged: the session was interrupted")
            self.session.turns.append(turn)
            raise
        turn.timings.judged = self.clock.now()
        turn.apply(judgement)
        turn.model_answer = coaching.model_sentences(question, self.language)
        if retry_of is not None:
            change = coaching.retry_change(retry_of, turn)
            turn.reaction = coaching.retry_reaction(change, turn.score, self.language)
        else:
            turn.reaction = reaction_text(judgement, self.language)
        if star.is_behavioural(question) and not turn.is_follow_up:  # which STAR part is missing or thin
            turn.star = star.star_parts(turn.answer)
            turn.reaction = " ".join(filter(None, [turn.reaction, star.star_text(turn.star, self.language)]))
        self._asked[index] = (question, text, parent, key_point)
        self.session.turns.append(turn)
        self.on_turn(turn)
        self._status("speaking", index)
        again = self.answers.hear_again(answer, self.dir, text) if isinstance(self.answers, HearingAgain) else None
        self._reply_started(turn, self.speaker.say(turn.reaction, kind="reaction", language=self.language))
        self.store.save(self.session)
        went_on = False
        while (more := self._answer_goes_on(turn, question, text)) is not None:
            judgement, went_on = more, True
        if again is not None and not went_on:
            judgement = self._heard_again(turn, question, again(HEAR_AGAIN_WAIT_S)) or judgement
        return turn, judgement

    def _heard_again(self, turn: Turn, question: Question, text: str | None) -> Judgement | None:
        """The second hearing of the whole recording read the answer otherwise: judge that text
        (the live one is kept). None when there is no such text."""
        if not text:
            return None
        live_score = turn.score
        judgement = self.judge.judge(question, text, self.language)
        turn.live_answer, turn.answer = turn.answer, text
        turn.apply(judgement)
        if star.is_behavioural(question) and not turn.is_follow_up:
            turn.star = star.star_parts(turn.answer)
        turn.scorer_notes.append(f"judged again on a second hearing of the whole recording (live transcript: "
                                 f"{live_score if live_score is not None else '-'})")
        if turn.score != live_score:
            self.on_turn(turn)
        self.store.save(self.session)
        return judgement

    def _answer_goes_on(self, turn: Turn, question: Question, text: str) -> Judgement | None:
        """The candidate talked over the reaction: what they say continues this answer, which is
        judged again as a whole and reacted to again. None when the reaction was heard out."""
        if not isinstance(self.speaker, Interruptible) or self.speaker.talked_over() != "reaction":
            return None
        index = turn.index
        part = 1 + sum(n.startswith(f"turn {index}: the answer went on") for n in self.session.notes)
        request = AnswerRequest(
            turn=index, question_id=turn.question_id,
            language=self.requested_language if self.requested_language == "auto" else self.language,
            session_dir=self.dir, audio_name=f"turn-{index:02d}-more-{part}.wav", context=text,
            on_listening=lambda: self._status("listening", index),
        )
        more = self.answers.get_answer(request)
        if more.command is not None or more.no_speech or not more.text.strip():
            return None
        self.session.notes.append(f"turn {index}: the answer went on over the reaction ({request.audio_name})")
        self._status("thinking", index)
        turn.answer = f"{turn.answer} {more.text.strip()}"
        judgement = self.judge.judge(question, turn.answer, self.language)
        turn.apply(judgement)
        turn.reaction = reaction_text(judgement, self.language)
        # the answer ended where its last part did: the wait runs from there to this reaction
        ends = more.timings.model_dump(include={"speech_end", "endpoint", "transcript_ready",
                                                "last_chunk_start", "last_chunk_s"}, exclude_none=True)
        turn.timings = turn.timings.model_copy(update={**ends, "judged": self.clock.now()})
        self._status("speaking", index)
        self._reply_started(turn, self.speaker.say(turn.reaction, kind="reaction", language=self.language))
        self.store.save(self.session)
        return judgement

    @staticmethod
    def _reply_started(turn: Turn, started: float | None) -> None:
        """The reaction's first audio, and the wait from the end of the answer to it."""
        turn.timings.reply_audio_start = started
        ref = turn.timings.speech_end or turn.timings.endpoint
        turn.timings.wait = round(started - ref, 3) if started is not None and ref is not None else None

    def _coach(self, command: str) -> bool:
        """After a reaction: say the model answer of the last judged turn or how it was said, or
        ask its question again as a new attempt. False when the candidate asked to stop during a retry."""
        last = next((t for t in reversed(self.session.turns) if t.index in self._asked), None)
        if last is None:
            none = {"es": "Primero responde una pregunta.", "en": "Answer a question first."}
            self.speaker.say(none[self.language], kind="info", language=self.language)
            return True
        if command == "answer":
            said = coaching.model_answer_text(last.model_answer, last.key_points, self.language)
            last.model_answer_said = said
            self._status("speaking", last.index)
            self.speaker.say(said, kind="model_answer", language=self.language)
            self.store.save(self.session)
            return True
        if command == "delivery":
            self._status("speaking", last.index)
            self.speaker.say(delivery.spoken_summary(last.delivery, self.language), kind="info",
                             language=self.language)
            return True
        question, text, parent, key_point = self._asked[last.index]
        return self._turn(question, text, parent, key_point, retry_of=last) is not None

    def _end_moment(self) -> None:
        """After the last reaction: /answer or /retry as after any other; anything else ends."""
        while self.session.turns and self.session.turns[-1].index in self._asked:  # the last turn was judged
            last = self.session.turns[-1]
            self.speaker.say(coaching.END_MOMENT[self.language], kind="info", language=self.language)
            request = AnswerRequest(
                turn=last.index, question_id=last.question_id,
                language=self.requested_language if self.requested_language == "auto" else self.language,
                session_dir=self.dir, audio_name=f"turn-{last.index:02d}-after.wav", context=last.question_text,
                on_listening=lambda: self._status("listening", last.index), end_moment=True,
            )
            try:
                answer = self.answers.get_answer(request)
            except KeyboardInterrupt as exc:
                if getattr(exc, "signum", None) is not None:  # SIGTERM/SIGHUP: interrupted as anywhere
                    raise
                return  # Ctrl-C here ends a finished interview, like Enter
            finally:
                (self.dir / request.audio_name).unlink(missing_ok=True)  # a command, not an answer
            command = "retry" if answer.command == "repeat" else answer.command  # "otra vez": ask it again
            if command not in COACHING or not self._coach(command):
                return

    def _end_inputs(self, request: AnswerRequest, question: Question, follow_up: bool) -> None:
        """What the end-of-answer decision weighs at a pause besides the sound: the words of the
        bank's model answer (a follow-up probes one key point: no length expected) and the
        judge's rubric coverage of the partial answer, when it can give it."""
        if not follow_up:
            request.expected_words = len(question.model_answer.get(self.language).split())
        judge, language = self.judge, self.language
        if isinstance(judge, Covering):
            request.coverage = lambda text: judge.coverage(question, text, language)

    def _warm_judge(self, question: Question) -> threading.Thread | None:
        """While the question is spoken, the judge prepares what it needs for this question
        (the offline judge embeds its key points), so none of that is left for the wait."""
        judge = self.judge
        if not isinstance(judge, Prefetching):
            return None

        def run() -> None:
            try:
                judge.prefetch(question, "")
            except Exception:  # noqa: BLE001 - warming only saves time; judging reports errors
                pass

        thread = threading.Thread(target=run, name="judge-warm", daemon=True)
        thread.start()
        return thread

    def _listen(self, turn: Turn, text: str, question: Question) -> Answer:
        index = turn.index
        kind = "follow_up" if turn.is_follow_up else "question"
        for attempt in range(MAX_REPEATS + 1):
            self._status("speaking", index)
            q_audio = f"turn-{index:02d}-question.wav" if self.save_question_audio else None
            warm = self._warm_judge(question) if attempt == 0 else None
            started = self.speaker.say(
                text, kind=kind, language=self.language, save_to=self.dir / q_audio if q_audio else None
            )
            if warm is not None:
                warm.join()
            turn.timings.question_start = started
            if q_audio and (self.dir / q_audio).exists():
                turn.question_audio_file = q_audio
            request = AnswerRequest(
                turn=index,
                question_id=turn.question_id,
                language=self.requested_language if self.requested_language == "auto" else self.language,
                session_dir=self.dir,
                audio_name=f"turn-{index:02d}.wav",
                context=text,
                on_listening=lambda: self._status("listening", index),
            )
            self._end_inputs(request, question, turn.is_follow_up)
            prefetcher = prefetcher_for(self.judge, question) if self.prefetch else None
            if prefetcher is not None:
                request.on_partial = prefetcher.submit
            try:
                answer = self.answers.get_answer(request)
            finally:
                if prefetcher is not None:
                    prefetcher.close()
            if answer.command != "repeat" or attempt == MAX_REPEATS:
                return answer
        return answer  # pragma: no cover
