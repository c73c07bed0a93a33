import json
from pathlib import Path

import pytest

from voice_interviewer.bank import QuestionBank
from voice_interviewer.interview import Interview
from voice_interviewer.sayings import reaction_text
from voice_interviewer.judging.offline import OfflineJudge
from voice_interviewer.schema import Answer, Judgement, KeyPointResult, Session, Timings
from voice_interviewer.review.stats import session_stats, summarize
from voice_interviewer.store import SessionStore

from fakes import FakeClock, FakeJudge, FakeSpeaker, ScriptedAnswers

BANK = Path(__file__).parent / "data" / "mini-bank.yaml"


@pytest.fixture
def bank():
    return QuestionBank.load([BANK])


def run(tmp_path, questions, answers, judge, followups=1, language="en", prefetch=False):
    store = SessionStore(tmp_path)
    session = Session(id="s1", language=language)
    store.create(session)
    clock = FakeClock()
    speaker = FakeSpeaker(clock)
    seen_status = []
    orig = store.save

    def save(s):
        seen_status.append((s.status.state, s.status.turn))
        orig(s)

    store.save = save
    Interview(session, questions, speaker, answers, judge, store, followups=followups, clock=clock,
              prefetch=prefetch).run()
    return store.load("s1"), speaker, seen_status


def judgement(score, follow_up=None, kp=None):
    return Judgement(
        score=score,
        key_points=[KeyPointResult(id="definition", statement="Define it.", verdict="covered", weight=2),
                    KeyPointResult(id="detection", statement="Detect it.", verdict="missing", weight=1)],
        feedback="fb",
        follow_up=follow_up,
        follow_up_key_point=kp,
    )


@pytest.mark.unit
def test_two_questions_saved_with_scores_and_timings(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    s, speaker, statuses = run(tmp_path, qs, ScriptedAnswers("a1", "a2"), FakeJudge(judgement(6), judgement(8)))
    assert s.state == "completed" and s.status.state == "done"
    assert [t.question_id for t in s.turns] == ["overfitting", "gradient-descent"]
    assert [t.score for t in s.turns] == [6, 8]
    assert s.turns[0].missing == ["detection"] and s.turns[0].covered == ["definition"]
    t = s.turns[0].timings
    assert t.judged and t.reply_audio_start and t.wait == pytest.approx(t.reply_audio_start - t.speech_end)
    assert s.summary.mean_score == 7
    kinds = [k for k, _ in speaker.said]
    assert kinds == ["question", "reaction", "question", "reaction", "info", "summary"]  # info: the end moment
    # status walked speaking -> listening -> thinking for each turn, and was saved each time
    assert ("listening", 1) in statuses and ("thinking", 2) in statuses and statuses[-1][0] == "done"


@pytest.mark.unit
def test_delivery_is_measured_from_the_heard_words(tmp_path, bank):
    words = [
        {"word": "Bias", "start": 0.0, "end": 0.4, "probability": 0.9},
        {"word": "is", "start": 0.5, "end": 0.6, "probability": 0.9},
        {"word": "error.", "start": 3.6, "end": 4.0, "probability": 0.9},
    ]
    heard = Answer(text="Bias is error.", language="en", words=words,
                   timings=Timings(speech_start=10.0, speech_end=14.0, endpoint=14.3))
    s, _, _ = run(tmp_path, bank.select(ids=["overfitting"]), ScriptedAnswers(heard),
                  FakeJudge(judgement(6)), followups=0)
    d = s.turns[0].delivery
    assert d.words == 3 and d.duration_s == 4.0 and d.words_per_minute == 45.0
    assert d.long_pauses  # 3 s between "is" and "error."


@pytest.mark.unit
def test_typed_delivery_counts_words_and_fillers(tmp_path, bank):
    s, _, _ = run(tmp_path, bank.select(ids=["overfitting"]), ScriptedAnswers("um, I think it, uh, memorises"),
                  FakeJudge(judgement(6)), followups=0)
    d = s.turns[0].delivery
    assert d.words == 6 and d.duration_s is None and d.fillers == {"um": 1, "uh": 1}


@pytest.mark.unit
def test_follow_up_is_asked_within_limit(tmp_path, bank):
    qs = bank.select(ids=["overfitting"])
    judge = FakeJudge(judgement(5, "How would you detect it?", "detection"), judgement(7, "again?", "detection"))
    answers = ScriptedAnswers("a1", "a2")
    s, speaker, _ = run(tmp_path, qs, answers, judge, followups=1)
    assert len(s.turns) == 2
    # speech recognition hears each answer with what was just asked as its context
    assert [r.context for r in answers.requests if not r.end_moment] == [text for kind, text in speaker.said if kind in ("question", "follow_up")]
    assert answers.requests[1].context == "How would you detect it?"
    assert s.turns[1].is_follow_up and s.turns[1].follow_up_of == 1
    assert s.turns[1].question_text == "How would you detect it?"
    assert s.turns[1].follow_up_key_point == "detection"


@pytest.mark.unit
def test_no_follow_ups_when_limit_zero(tmp_path, bank):
    qs = bank.select(ids=["overfitting"])
    s, _, _ = run(tmp_path, qs, ScriptedAnswers("a1"), FakeJudge(judgement(5, "f?", "detection")), followups=0)
    assert len(s.turns) == 1


@pytest.mark.unit
def test_skip_repeat_and_stop(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent", "feature-store"])
    answers = ScriptedAnswers(Answer(command="repeat"), Answer(command="skip"), "a2", Answer(command="stop"))
    s, speaker, _ = run(tmp_path, qs, answers, FakeJudge(judgement(4)), followups=0)
    assert s.state == "completed"
    assert [(t.question_id, t.skipped) for t in s.turns] == [("overfitting", True), ("gradient-descent", False)]
    questions_asked = [text for kind, text in speaker.said if kind in ("question", "follow_up")]
    assert questions_asked[0] == questions_asked[1]  # repeated
    assert len(questions_asked) == 4  # q1, q1 again, q2, q3 (then stop)
    # the stored summary counts as the review views do
    assert (s.summary.answered, s.summary.skipped) == (1, 1)
    assert s.summary.model_dump() == summarize(s).model_dump()
    assert s.summary.answered == session_stats(s).answered


@pytest.mark.unit
def test_ctrl_c_keeps_answered_turns(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    s, _, _ = run(tmp_path, qs, ScriptedAnswers("a1", KeyboardInterrupt()), FakeJudge(judgement(6)), followups=0)
    assert s.state == "interrupted"
    assert len(s.turns) == 1 and s.turns[0].score == 6
    assert s.finished_at is not None


@pytest.mark.unit
def test_crash_mid_session_leaves_readable_session(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    with pytest.raises(RuntimeError):
        run(tmp_path, qs, ScriptedAnswers("a1", RuntimeError("boom")), FakeJudge(judgement(6)), followups=0)
    data = json.loads((tmp_path / "s1" / "session.json").read_text())
    assert len(data["turns"]) == 1 and data["turns"][0]["score"] == 6


@pytest.mark.model
def test_real_offline_judge_and_bank_follow_up_in_spanish(tmp_path, bank):
    qs = bank.select(ids=["overfitting"])
    answer = "el modelo memoriza el ruido de los datos de entrenamiento y luego generaliza mal"
    s, speaker, _ = run(tmp_path, qs, ScriptedAnswers(answer, "ni idea"), OfflineJudge(), followups=1, language="es")
    first = s.turns[0]
    verdicts = {k.id: k.verdict for k in first.key_points}
    assert verdicts["definition"] == "covered" and verdicts["detection"] != "covered"
    assert "definition" in first.covered and "detection" in first.partly + first.missing
    assert s.turns[1].is_follow_up and s.turns[1].question_text == "¿Cómo lo detectarías en la práctica?"
    assert s.turns[1].score < first.score
    assert "de 10" in first.reaction


@pytest.mark.unit
def test_reaction_names_most_important_missing_point():
    j = Judgement(score=4, key_points=[
        KeyPointResult(id="a", statement="Minor point.", verdict="missing", weight=1),
        KeyPointResult(id="b", statement="Major point.", verdict="missing", weight=3),
    ])
    assert reaction_text(j, "en") == "4 out of 10. You missed: major point."


@pytest.mark.unit
def test_partial_answers_reach_the_judges_prefetch(tmp_path, bank):
    class PrefetchingJudge(FakeJudge):
        def __init__(self, *j):
            super().__init__(*j)
            self.prefetched = []

        def prefetch(self, question, partial):
            self.prefetched.append((question.id, partial))

    class SpeakingAnswers(ScriptedAnswers):
        def get_answer(self, request):
            request.on_partial("overfitting is when")
            import time
            time.sleep(0.2)
            return super().get_answer(request)

    judge = PrefetchingJudge(judgement(6))
    s, _, _ = run(tmp_path, bank.select(ids=["overfitting"]), SpeakingAnswers("a1"), judge, followups=0,
                  prefetch=True)
    # warmed on the question (empty answer) while it is spoken, then fed the partial answer
    assert judge.prefetched == [("overfitting", ""), ("overfitting", "overfitting is when")]
    judge = PrefetchingJudge(judgement(6))
    run(tmp_path / "off", bank.select(ids=["overfitting"]), SpeakingAnswers("a1"), judge, followups=0)
    assert judge.prefetched == [("overfitting", "")]  # partial answers only with prefetch on
    assert s.turns[0].score == 6


@pytest.mark.unit
def test_prefetcher_keeps_only_the_newest_text_and_close_waits():
    import threading
    import time

    from voice_interviewer.prefetch import Prefetcher

    seen, gate = [], threading.Event()

    def work(text):
        gate.wait(2)
        seen.append(text)
        time.sleep(0.05)

    p = Prefetcher(work)
    p.submit("a")
    time.sleep(0.05)  # "a" is running and blocked on the gate
    p.submit("b")
    p.submit("c")
    gate.set()
    time.sleep(0.3)
    p.submit("d")
    p.close()
    assert seen[0] == "a" and "b" not in seen and "c" in seen
    assert not p._thread.is_alive()


@pytest.mark.unit
def test_judge_summary_is_spoken_at_the_end(tmp_path, bank):
    class SummarizingJudge(FakeJudge):
        def summarize(self, turns, mean, language):
            assert turns[0]["score"] == 6 and mean == 6
            return "Study detection."

    own = judgement(6).model_copy(update={"scorer": "fake"})
    s, speaker, _ = run(tmp_path, bank.select(ids=["overfitting"]), ScriptedAnswers("a1"),
                        SummarizingJudge(own), followups=0)
    kind, text = speaker.said[-1]
    assert kind == "summary" and text.endswith("Study detection.") and "6 out of 10" in text
    assert "summary: Study detection." in s.notes


@pytest.mark.unit
def test_no_summary_from_a_judge_whose_judgements_all_fell_back(tmp_path, bank):
    class SummarizingJudge(FakeJudge):
        def summarize(self, turns, mean, language):
            return "Words from a judge that judged nothing."

    fell_back = judgement(6)  # scored by the offline fallback, not by this judge
    s, speaker, _ = run(tmp_path, bank.select(ids=["overfitting"]), ScriptedAnswers("a1"),
                        SummarizingJudge(fell_back), followups=0)
    assert not any("judged nothing" in text for _, text in speaker.said)
    assert not any("judged nothing" in note for note in s.notes)


@pytest.mark.unit
def test_ctrl_c_while_judging_keeps_the_answer(tmp_path, bank):
    class InterruptedJudge(FakeJudge):
        def judge(self, question, answer, language):
            if len(self.history) == 1:
                raise KeyboardInterrupt
            return super().judge(question, answer, language)

    s, _, _ = run(tmp_path, bank.select(ids=["overfitting", "gradient-descent"]),
                  ScriptedAnswers("first answer", "second answer"), InterruptedJudge(judgement(6)), followups=0)
    assert s.state == "interrupted"
    assert [t.answer for t in s.turns] == ["first answer", "second answer"]
    assert s.turns[1].score is None and "not judged" in s.turns[1].scorer_notes[0]
    saved = SessionStore(tmp_path).load(s.id)
    assert saved.state == "interrupted" and saved.turns[1].answer == "second answer"


class HeardAgainAnswers(ScriptedAnswers):
    """Answers with a recording whose second hearing gives ``again`` (None: nothing to replace the live text)."""

    def __init__(self, *items, again):
        super().__init__(*items)
        self.again = list(again)
        self.heard: list[tuple[str, str]] = []

    def get_answer(self, request):
        answer = super().get_answer(request)
        return answer.model_copy(update={"audio_file": request.audio_name}) if answer.text else answer

    def hear_again(self, answer, session_dir, context):
        self.heard.append((answer.audio_file, context))
        text = self.again.pop(0)
        return lambda timeout: text


@pytest.mark.unit
def test_an_answer_heard_again_otherwise_is_judged_on_that_text(tmp_path, bank):
    qs = bank.select(ids=["overfitting", "gradient-descent"])
    answers = HeardAgainAnswers("it fits the noise and bootst", "steps downhill",
                                again=["It fits the noise, and bootstrap helps.", None])
    judge = FakeJudge(judgement(4), judgement(7), judgement(8))
    s, speaker, _ = run(tmp_path, qs, answers, judge, followups=0)
    first, second = s.turns
    assert answers.heard[0] == ("turn-01.wav", qs[0].text.get("en"))  # the question helps Whisper
    # the first answer read otherwise: judged again on the second hearing, the live text kept
    assert judge.history[1] == ("overfitting", "It fits the noise, and bootstrap helps.")
    assert first.answer == "It fits the noise, and bootstrap helps." and first.live_answer == "it fits the noise and bootst"
    assert first.score == 7 and any("second hearing" in n and "4" in n for n in first.scorer_notes)
    assert first.reaction == reaction_text(judgement(4), "en")  # what was said stays on record
    # nothing to replace it (the same words, or a pass not done in time): the live judgement stands
    assert second.answer == "steps downhill" and second.live_answer is None and second.score == 8
    assert not any("second hearing" in n for n in second.scorer_notes)
    assert len(judge.history) == 3
