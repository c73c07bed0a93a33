"""Voice mode wiring: the spoken interviewer and the microphone answer source.

``build_voice_io`` starts everything slow before the first question — the speech worker
(pyttsx3/espeak-ng) and the listening models (Whisper, VAD, turn model) load side by side —
and hands back ``(speaker, answers)`` for the interview loop.

``VoiceAnswers`` wraps a microphone ``AnswerSource`` (``hearing.listener.Listener``): it gives a short
"your turn" cue, turns short spoken commands into ``Answer.command`` ("repeat the
question", "siguiente", "stop"...) and says once that it heard nothing and listens again. After the
last reaction (``AnswerRequest.end_moment``) it listens once for "how would you answer it?" or "let
me try again"; silence ends the interview without a word.

With barge-in (on with headphones, ``--barge-in`` with speakers) the candidate can talk over
questions, follow-ups and reactions: ``speaking.barge_in`` stops the voice and the listener keeps
the words heard so far. With any other output it is off until a question has played with the
microphone hearing no voice (``BargeInSpeaker`` probing): then nothing of the interviewer reaches
the microphone, and it is turned on.

Without push-to-talk, the Enter key ends the answer being heard (``enter_ends_answers``: a
thread reads the terminal and calls the listener's ``finish_answer``).

With ``hear_again`` (the default) ``VoiceAnswers.hear_again`` has Whisper read each answer's whole
recording again while the reaction plays (``hearing.second_hearing``); the interview judges that text.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Literal

from rich.console import Console

from ..config import Settings
from ..hearing.commands import detect_command
from ..language import clamp_language
from ..schema import Answer
from ..hearing.second_hearing import WholeFilePass
from ..ports import AnswerRequest, AnswerSource, Cueing, Speaker

BargeInChoice = Literal["on", "off", "probe"]  # probe: on once the microphone did not hear a question

NO_SPEECH = {
    "en": "I didn't hear anything — let's try again.",
    "es": "No he oído nada. Probemos otra vez.",
}
MOVE_ON = {
    "en": "I still didn't hear anything, so let's move on.",
    "es": "Sigo sin oír nada, así que pasamos a la siguiente.",
}
LISTENING = {"en": "listening… (speak now; Enter when you are done)",
             "es": "escuchando… (habla ahora; Enter cuando termines)"}
LISTENING_LAST = {"en": "listening… (\"how would you answer it?\", \"let me try again\"; silence ends)",
                  "es": "escuchando… («¿cómo lo responderías?», «otra vez»; el silencio termina)"}


class VoiceAnswers:
    """An ``AnswerSource`` over the microphone listener, with commands and retries."""

    def __init__(
        self,
        listener: AnswerSource,
        speaker: Speaker,
        console: Console | None = None,
        language: str = "en",
        cue: bool = True,
        second: WholeFilePass | None = None,
    ):
        self.listener = listener
        self.speaker = speaker
        self.console = console or Console(stderr=True)
        self.language = clamp_language(language)
        self.cue = cue
        self.second = second  # hears a finished answer's whole recording again

    def hear_again(self, answer: Answer, session_dir: Path, context: str) -> Callable[[float], str | None] | None:
        """Whisper's pass over the answer's whole recording, in the background (``HearingAgain``)."""
        if self.second is None or answer.audio_file is None or answer.command is not None:
            return None
        return self.second.start(Path(session_dir) / answer.audio_file, answer.language, answer.text,
                                 context or None, answer.speech_s)

    def _lang(self, request: AnswerRequest) -> str:
        return clamp_language(request.language, self.language)

    def _cue(self, language: str, end_moment: bool = False) -> None:
        self.console.print(f"[dim]{(LISTENING_LAST if end_moment else LISTENING)[language]}[/]", highlight=False)
        if self.cue and isinstance(self.speaker, Cueing):
            self.speaker.cue()

    def get_answer(self, request: AnswerRequest) -> Answer:
        language = self._lang(request)
        if request.end_moment:  # one listening; silence or an answer-like sentence ends quietly
            self._cue(language, end_moment=True)
            answer = self.listener.get_answer(request)
            if answer.command is None and answer.text.strip():
                answer = answer.model_copy(update={"command": detect_command(answer.text)})
            return answer
        for attempt in range(2):
            self._cue(language)
            answer = self.listener.get_answer(request)
            if answer.command is not None:
                return answer
            if answer.no_speech or not answer.text.strip():
                if attempt == 0:
                    self.speaker.say(NO_SPEECH[language], kind="info", language=language)
                    continue
                self.speaker.say(MOVE_ON[language], kind="info", language=language)
                return answer.model_copy(update={"command": "skip", "no_speech": True})
            command = detect_command(answer.text)
            if command is not None:
                return answer.model_copy(update={"command": command})
            return answer
        raise AssertionError("unreachable")  # pragma: no cover


def _warm_offline_judge(errors: list[BaseException]) -> None:
    """Load the offline judge's embedding model now, not at the first answer."""
    try:
        from ..judging.embeddings import get_embedder

        get_embedder().encode(["warm up"], kind="query")
    except BaseException as exc:  # re-raised by the caller
        errors.append(exc)


def enter_ends_answers(finish: Callable[[], None], lines: Iterable[str] | None = None) -> threading.Thread:
    """Each line read from ``lines`` (the terminal: the Enter key) calls ``finish``, the
    listener's ``finish_answer``; the thread ends at the end of input."""
    def run() -> None:
        for _ in sys.stdin if lines is None else lines:
            finish()

    thread = threading.Thread(target=run, name="enter-ends-answer", daemon=True)
    thread.start()
    return thread


def build_listener(settings: Settings) -> AnswerSource:
    """The microphone answer source and the models it hears with: Whisper, silero VAD and
    Smart Turn, loaded here, once, before the first question."""
    from ..hearing.capture import check_input_device
    from ..hearing.endpoint import load_endpointer_models
    from ..hearing.listener import Listener
    from ..hearing.whisper import WhisperTranscriber

    check_input_device(settings.input_device)  # no microphone: say so before the models load
    transcriber = WhisperTranscriber.from_settings(settings)
    vad, turn = load_endpointer_models(settings.models_dir)
    listener = Listener(settings, transcriber=transcriber, vad=vad, turn_model=turn)
    if not settings.push_to_talk and sys.stdin.isatty():  # push-to-talk reads Enter itself
        enter_ends_answers(listener.finish_answer)
    return listener


def start_echo_canceller(settings: Settings, stack: ExitStack, console: Console) -> bool:
    """Hear the microphone without the interviewer's voice (closed with ``stack``); False, with a
    note, when that is not possible: then barge-in is off, or speakers would cut every question."""
    from ..speaking.barge_in import EchoCanceller

    canceller = EchoCanceller()
    if settings.input_device is None and canceller.start():
        stack.callback(canceller.close)
        return True
    why = "a chosen --input-device" if settings.input_device is not None else "no PulseAudio echo canceller"
    console.print(f"[dim]barge-in off: {why} (module-echo-cancel keeps the interviewer's voice out)[/]",
                  highlight=False)
    return False


def choose_barge_in(settings: Settings, stack: ExitStack, console: Console) -> BargeInChoice:
    """Whether the candidate may talk over the interviewer: "on" with headphones, as the
    microphone is (it does not hear the interviewer); with speakers "on" through the echo canceller
    when asked for (``--barge-in``), else "probe": on once a question has played with the
    microphone hearing no voice; "off" when the canceller cannot be had."""
    from ..speaking.barge_in import headphones_in_use

    if headphones_in_use():
        console.print("[dim]barge-in on (headphones): talk over the interviewer to stop it[/]", highlight=False)
        return "on"
    if settings.barge_in is None:
        console.print("[dim]barge-in off with speakers, on if the microphone does not hear the first "
                      "question (--barge-in: on, through the echo canceller)[/]", highlight=False)
        return "probe"
    return "on" if start_echo_canceller(settings, stack, console) else "off"


def with_barge_in(speaker, listener, settings: Settings, *, probing: bool = False,
                  console: Console | None = None):
    """The spoken interviewer, stopped by the candidate's voice; the listener starts its answers
    with the words heard while it spoke. ``probing``: only once an utterance has played with the
    microphone hearing no voice (then ``console`` says so)."""
    from ..hearing.capture import Recorder
    from ..hearing.endpoint import SileroVAD
    from ..hearing.listener import Listener
    from ..speaking.barge_in import BargeInSpeaker
    from ..weights import ModelFiles

    def enabled() -> None:
        if isinstance(listener, Listener) and listener.rule is not None:  # going on loses nothing: end sooner
            listener.rule = listener.rule.model_copy(update={"resumable_silence_s": settings.barge_in_end_s})
        if probing and console is not None:
            console.print("[dim]barge-in on: the microphone did not hear the interviewer[/]", highlight=False)

    vad = SileroVAD(ModelFiles(settings.models_dir).path("silero-vad"))  # its own state
    barging = BargeInSpeaker(speaker, speaker.player, vad, lambda: Recorder(device=settings.input_device),
                             probing=probing, on_enabled=enabled)
    listener.lead_in = barging.take_audio
    if not probing:
        enabled()
    return barging


def build_voice_io(
    settings: Settings,
    *,
    console: Console | None = None,
    stack: ExitStack | None = None,
    listener: AnswerSource | None = None,
) -> tuple[Speaker, AnswerSource]:
    """The speaker and answer source for a spoken interview, fully loaded.

    Before returning it has started the speech worker, loaded the listening models and
    (for the offline or auto scorer) the offline judge's embedding model, side by side.

    ``stack`` (if given) closes the speech worker when the interview ends. Raises
    ``DeviceError`` (one line) when there is no microphone, audio output or espeak-ng.
    """
    from ..textio import ConsoleSpeaker

    console = console or Console()
    printer = ConsoleSpeaker(console)
    language = clamp_language(settings.language)
    speaker: Speaker = printer
    startup_errors: list[BaseException] = []  # start-up errors from the loading threads
    starter = None
    barge_in: BargeInChoice = "off"
    if settings.barge_in is not False and not settings.no_tts and not settings.push_to_talk and stack is not None:
        barge_in = choose_barge_in(settings, stack, console)  # before any stream opens
    if not settings.no_tts:
        from ..speaking.tts import EspeakSpeaker

        speaker = EspeakSpeaker(language, voice=settings.voice, rate=settings.rate, printer=printer)
        if stack is not None:
            stack.callback(speaker.close)

        def start() -> None:
            try:
                speaker.start()
            except BaseException as exc:  # re-raised below, in the caller's thread
                startup_errors.append(exc)

        starter = threading.Thread(target=start, name="tts-start", daemon=True)
        starter.start()  # the speech worker starts while the listening models load
    judge_warm = None
    if settings.scorer in ("offline", "auto"):  # the offline judge's embedding model
        judge_warm = threading.Thread(target=_warm_offline_judge, args=(startup_errors,), name="judge-warm", daemon=True)
        judge_warm.start()
    try:
        try:
            if listener is None:
                listener = build_listener(settings)
        finally:
            for thread in (starter, judge_warm):
                if thread is not None:
                    thread.join()
        if startup_errors:
            raise startup_errors[0]
    except BaseException:
        if stack is None and hasattr(speaker, "close"):
            speaker.close()
        raise
    if barge_in != "off" and hasattr(listener, "lead_in"):
        speaker = with_barge_in(speaker, listener, settings, probing=barge_in == "probe", console=console)
        if stack is not None:
            stack.callback(speaker.close)
    transcriber = getattr(listener, "transcriber", None)
    second = WholeFilePass(transcriber) if settings.hear_again and transcriber is not None else None
    answers = VoiceAnswers(listener, speaker, Console(stderr=True), language, cue=not settings.no_tts, second=second)
    return speaker, answers
