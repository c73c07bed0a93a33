"""``voice-interviewer practice``: run a mock interview (spoken, or typed with --text)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import RecordingsDir, app, console, err_console


@app.command()
def practice(
    text: Annotated[bool, typer.Option("--text", help="Type answers instead of speaking them.")] = False,
    question: Annotated[
        Optional[list[str]], typer.Option("--question", "-q", help="Question id to ask (repeatable).")
    ] = None,
    category: Annotated[Optional[str], typer.Option(help="Only questions of this category.")] = None,
    difficulty: Annotated[Optional[str], typer.Option(help="easy, medium or hard.")] = None,
    count: Annotated[Optional[int], typer.Option("--count", "-n", help="Number of questions.")] = None,
    followups: Annotated[Optional[int], typer.Option(help="Follow-ups per question (0 for none).")] = None,
    scorer: Annotated[Optional[str], typer.Option(help="offline, llm or auto.")] = None,
    language: Annotated[Optional[str], typer.Option("--language", "-l", help="es, en or auto.")] = None,
    bank: Annotated[
        Optional[list[Path]], typer.Option("--bank", help="Question bank file or folder (repeatable).")
    ] = None,
    recordings_dir: RecordingsDir = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed for question choice.")] = None,
    job: Annotated[
        Optional[Path], typer.Option("--job", help="Job description (text or Markdown): questions chosen for it.")
    ] = None,
    cv: Annotated[
        Optional[Path], typer.Option("--cv", help="Your CV (text or Markdown), with --job: lean toward what it shows least.")
    ] = None,
    review_weak: Annotated[
        bool, typer.Option("--review-weak", help="Pick questions by spaced repetition from past scores.")
    ] = False,
    no_tts: Annotated[bool, typer.Option("--no-tts", help="Print questions instead of speaking them.")] = False,
    voice: Annotated[Optional[str], typer.Option(help="TTS voice (see: voice-interviewer voices).")] = None,
    stt_model: Annotated[
        Optional[str], typer.Option(help="Whisper model: base, tiny.en or a CTranslate2 folder.")
    ] = None,
    input_device: Annotated[Optional[str], typer.Option(help="Microphone (see: voice-interviewer devices).")] = None,
    push_to_talk: Annotated[
        bool, typer.Option("--push-to-talk", help="Press Enter to start and to stop each answer.")
    ] = False,
    barge_in: Annotated[
        Optional[bool], typer.Option("--barge-in/--no-barge-in",
                                     help="Stop speaking when the candidate talks over the interviewer (default: on with headphones, or once the microphone did not hear the first question; off with speakers).")
    ] = None,
    model: Annotated[Optional[str], typer.Option(help="LLM model name for --scorer llm.")] = None,
    llm_timeout: Annotated[Optional[float], typer.Option(help="Seconds per LLM request.")] = None,
    local_llm: Annotated[
        bool, typer.Option("--local-llm", help="Start a local llama.cpp server for the LLM judge.")
    ] = False,
    llm_model: Annotated[Optional[str], typer.Option(help="GGUF path or known local model name.")] = None,
    llm_method: Annotated[
        Optional[str], typer.Option(help="LLM grading: auto, structured (JSON verdicts) or probs (score-digit probabilities).")
    ] = None,
    llm_retries: Annotated[Optional[int], typer.Option(help="Retries per LLM request on 429/5xx/timeouts.")] = None,
    llm_threads: Annotated[Optional[int], typer.Option(help="CPU threads for the local LLM server.")] = None,
) -> None:
    """Run a mock interview: questions aloud, spoken answers, scores and feedback."""
    from ..bank import QuestionBank
    from ..config import load_settings
    from ..store import SessionStore

    settings = load_settings(
        text=text or None,
        category=category,
        difficulty=difficulty,
        count=count,
        followups=followups,
        scorer=scorer,
        language=language,
        banks=bank,
        recordings_dir=recordings_dir,
        seed=seed,
        no_tts=no_tts or None,
        voice=voice,
        stt_model=stt_model,
        input_device=input_device,
        push_to_talk=push_to_talk or None,
        barge_in=barge_in,
        model=model,
        llm_timeout=llm_timeout,
        local_llm=local_llm or None,
        llm_model=llm_model,
        llm_method=llm_method,
        llm_retries=llm_retries,
        llm_threads=llm_threads,
    )
    documents = read_job_files(job, cv, bool(question), review_weak)
    qbank = QuestionBank.load(settings.banks or None, settings.max_bank_mb)
    store = SessionStore(settings.recordings_dir, max_mb=settings.max_session_mb)
    store.ensure_writable()
    if documents is not None:
        questions, plan = plan_questions(settings, qbank, *documents)
        run_interview(settings, questions, store, background=list(qbank.questions.values()), plan=plan)
        return
    priority: list[str] = []
    if review_weak and not question:
        from ..review.schedule import weak_first

        priority = weak_first(
            store, qbank, settings.count, category=settings.category, difficulty=settings.difficulty
        )
    questions = qbank.select(
        ids=question or (),
        category=settings.category,
        difficulty=settings.difficulty,
        count=settings.count if not question else None,
        seed=settings.seed,
        priority=priority,
    )
    run_interview(settings, questions, store, background=list(qbank.questions.values()))


def read_job_files(job: Path | None, cv: Path | None, questions_given: bool, review_weak: bool):
    """(job, CV) documents for ``--job``/``--cv``, None without ``--job``; one-line errors on misuse."""
    from ..errors import ConfigError
    from ..jobtext import read_document

    if job is None:
        if cv is not None:
            raise ConfigError("--cv needs --job: the questions are chosen for a job description")
        return None
    if questions_given or review_weak:
        raise ConfigError(f"--job chooses the questions: leave out {'--question' if questions_given else '--review-weak'}")
    return read_document(job, "job"), read_document(cv, "cv") if cv is not None else None


def plan_questions(settings, qbank, job, cv):
    """The bank's questions for a job description (and CV), best first, and the plan with the reasons."""
    from ..job_match import plan_for_job, question_texts
    from ..judging import vector_store_path
    from ..judging.embeddings import VectorStore, get_embedder
    from .display import plan_table

    candidates = qbank.select(category=settings.category, difficulty=settings.difficulty, seed=0)
    bank = list(qbank.questions.values())
    err_console.print(f"[dim]Choosing {min(settings.count, len(candidates))} of {len(candidates)} questions for {job.path}"
                      f"{f' and {cv.path}' if cv else ''}…[/]")
    embedder = get_embedder(vector_store_path(settings))
    kept = embedder.store
    if kept is not None and any(kept.get(VectorStore.key("query", t)) is None for q in bank for t in question_texts(q)):
        err_console.print("[dim]First time with these questions: embedding them once (about half a minute)…[/]")
    plan = plan_for_job(job, candidates, embedder, settings.count, settings.language, cv, bank=bank)
    for note in plan.notes:
        err_console.print(f"[yellow]note:[/] {note}")
    questions = [qbank.get(p.question_id) for p in plan.questions]
    console.print(plan_table(plan, questions, settings.language))
    return questions, plan


def run_interview(settings, questions, store, background=(), plan=None) -> None:
    """Run one interview; ``background`` (the bank) helps the judge tell an answer to another question."""
    from contextlib import ExitStack

    from ..interview import Interview
    from ..judging import make_judge
    from ..limits import limit_words
    from ..schema import Session
    from ..textio import ConsoleSpeaker, TypedAnswers
    from .display import print_turn, summary_table

    with ExitStack() as stack:
        if settings.local_llm and settings.effective_scorer() == "llm":
            from ..judging.llm_server import local_server_for

            settings = stack.enter_context(local_server_for(settings, err_console))
        judge = limit_words(make_judge(settings, background), settings.max_answer_words)
        mode = "text" if settings.text else "voice"
        if mode == "voice":
            try:
                from .voice_mode import build_voice_io
            except ImportError:
                err_console.print("[yellow]note:[/] voice support is not available; using typed answers")
                mode = "text"
        if mode == "voice":
            speaker, answers = build_voice_io(settings, console=console, stack=stack)
        else:
            if hasattr(sys.stdin, "reconfigure"):
                sys.stdin.reconfigure(errors="replace")  # a stray byte is typed text, not a crash
            speaker, answers = ConsoleSpeaker(console), TypedAnswers(console)

        session = Session(
            id=store.new_id(),
            mode=mode,
            language=settings.language,
            scorer=settings.effective_scorer(),
            settings=settings.public_dict(),
            plan=plan,
        )
        store.create(session)
        try:
            err_console.print(
                f"[dim]Session {session.id}: {len(questions)} question(s), scorer {session.scorer}, "
                f"language {session.language} — saved in {store.session_dir(session.id)}[/]"
            )
            interview = Interview(
                session,
                questions,
                speaker,
                answers,
                judge,
                store,
                followups=settings.followups,
                long_pause_s=settings.long_pause_s,
                on_turn=lambda turn: print_turn(console, turn),
                save_question_audio=mode == "voice" and settings.save_question_audio and not settings.no_tts,
            )
            session = interview.run()
        except KeyboardInterrupt as exc:  # before the interview loop took over, or after it ended
            if session.state == "in_progress":
                session.state = "interrupted"
                session.notes.append(f"interrupted ({str(exc) or 'Ctrl-C'})")
                store.save(session)
            raise
        console.print(summary_table(session))
        err_console.print(f"[dim]Saved: {store.session_dir(session.id) / 'session.json'}[/]")
        if session.state == "interrupted":
            err_console.print("[yellow]Session interrupted; answered turns are kept.[/]")
            sys.exit(130)
