"""Audio commands: ``transcribe`` a file, list ``devices``, ``check`` microphone/speaker/models."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app, console, err_console

SttModel = Annotated[
    Optional[str],
    typer.Option("--stt-model", help="base, tiny.en, or a CTranslate2 model folder [default: base]."),
]


@app.command()
def transcribe(
    file: Annotated[Path, typer.Argument(help="Audio file (WAV, FLAC, MP3, … anything soundfile/PyAV reads).")],
    language: Annotated[str, typer.Option("--language", "-l", help="es, en or auto.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout: text, language, segments, words.")] = False,
    stt_model: SttModel = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads for Whisper.")] = None,
) -> None:
    """Transcribe an audio file with the local Whisper model."""
    from ..config import load_settings
    from ..errors import TranscriptionError
    from ..hearing.whisper import WhisperTranscriber, load_audio
    from ..sound import SAMPLE_RATE

    if language not in ("es", "en", "auto"):
        raise TranscriptionError(f"unsupported language {language!r} (use es, en or auto)")
    settings = load_settings(stt_model=stt_model, stt_threads=threads)
    audio = load_audio(file)  # a bad file fails before the model loads
    with err_console.status(f"loading Whisper {settings.stt_model}…"):
        model = WhisperTranscriber.from_settings(settings)
    started = time.monotonic()
    with err_console.status(f"transcribing {file.name} ({len(audio) / SAMPLE_RATE:.1f} s)…"):
        result = model.transcribe(audio, language)
    took = time.monotonic() - started
    if as_json:
        print(json.dumps({"file": str(file), "model": settings.stt_model, **result.model_dump(),
                          "seconds": round(took, 3)}, ensure_ascii=False))
        return
    console.print(result.text)
    prob = f" (p={result.language_probability:.2f})" if result.language_probability else ""
    err_console.print(f"[dim]{result.language}{prob}, {result.duration:.1f} s of audio in "
                      f"{took:.1f} s, {len(result.words)} words[/]")


@app.command()
def devices(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per device on stdout.")] = False,
) -> None:
    """List audio input and output devices (pick a microphone with --input-device)."""
    from rich.table import Table

    from ..hearing.capture import list_devices

    found = list_devices()
    if as_json:
        for d in found:
            print(json.dumps(d, ensure_ascii=False))
        return
    table = Table(title="Audio devices (use: --input-device INDEX or NAME)", title_justify="left")
    for col in ("index", "name", "in", "out", "rate", "default"):
        table.add_column(col)
    for d in found:
        default = " ".join(k for k, v in (("input", d["default_input"]), ("output", d["default_output"])) if v)
        table.add_row(str(d["index"]), d["name"], str(d["inputs"]), str(d["outputs"]),
                      f"{d['default_samplerate']:.0f}", default)
    console.print(table)


def _check(name: str, fn) -> bool:
    from ..errors import InterviewerError

    try:
        detail = fn()
    except InterviewerError as exc:
        console.print(f"[red]✗[/] {name}: {exc.line()}")
        return False
    except Exception as exc:  # noqa: BLE001 - a check reports, it does not crash
        console.print(f"[red]✗[/] {name}: {type(exc).__name__}: {exc}")
        return False
    console.print(f"[green]✓[/] {name}: {detail}")
    return True


@app.command()
def check(
    input_device: Annotated[Optional[str], typer.Option(help="Microphone (see: voice-interviewer devices).")] = None,
    stt_model: SttModel = None,
    seconds: Annotated[float, typer.Option(min=0.5, max=30, help="How long to record.")] = 2.0,
    no_tts: Annotated[bool, typer.Option("--no-tts", help="Skip the speaker check.")] = False,
) -> None:
    """Check the microphone (records and shows the level), the speaker, and the models."""
    import numpy as np

    from ..hearing.capture import check_input_device, level_dbfs, record_seconds
    from ..config import load_settings

    settings = load_settings(input_device=input_device, stt_model=stt_model)

    def mic() -> str:
        info = check_input_device(settings.input_device)
        err_console.print(f"[dim]recording {seconds:g} s from {info['name']}: say something…[/]")
        audio = record_seconds(seconds, device=settings.input_device)
        peak = 20 * np.log10(max(float(np.abs(audio).max()), 1e-10))
        level = level_dbfs(audio)
        if peak < -90:
            from ..errors import DeviceError

            raise DeviceError(f"{info['name']} delivers only digital silence (not connected?)")
        verdict = "heard sound" if peak > -40 else "[yellow]very quiet: is the microphone muted?[/]"
        return f"{info['name']}: level {level:.1f} dBFS, peak {peak:.1f} dBFS ({verdict})"

    def speaker() -> str:
        from ..speaking.tts import EspeakSpeaker

        with EspeakSpeaker("en", voice=settings.voice, rate=settings.rate) as sp:
            sp.say("This is the interviewer's voice.", kind="info", language="en")
            return f"spoke with voice {sp.voice_for('en').id}"

    def stt() -> str:
        from ..hearing.whisper import WhisperTranscriber

        started = time.monotonic()
        model = WhisperTranscriber.from_settings(settings)
        return f"Whisper {settings.stt_model} loaded in {time.monotonic() - started:.1f} s from {model.path}"

    def endpointing() -> str:
        from ..hearing.endpoint import load_endpointer_models

        load_endpointer_models(settings.models_dir)
        return "silero VAD and Smart Turn v3.2 loaded"

    results = [_check("microphone", mic)]
    if not no_tts:
        results.append(_check("speaker", speaker))
    results += [_check("speech-to-text", stt), _check("end-of-answer models", endpointing)]
    if not all(results):
        err_console.print("Some checks failed; typed answers still work: voice-interviewer practice --text")
        raise typer.Exit(1)
