"""Voice commands: ``voices`` (text-to-speech voices) and ``say`` (try one out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app, console, err_console


@app.command()
def voices(
    all_languages: Annotated[bool, typer.Option("--all", help="Every espeak-ng voice, not only es/en.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout.")] = False,
) -> None:
    """List the interviewer's voices (pyttsx3 + espeak-ng); pick one with --voice."""
    from rich.table import Table

    from ..speaking.tts import list_voices, pick_voice

    found = list_voices()
    defaults = {pick_voice(found, lang).id: lang for lang in ("en", "es")}
    shown = [v for v in found if all_languages or v.speaks("en") or v.speaks("es")]
    if as_json:
        for v in shown:
            print(json.dumps({**v.model_dump(), "default_for": defaults.get(v.id)}, ensure_ascii=False))
        return
    table = Table(title="Voices (use: --voice ID)")
    for col in ("id", "name", "languages", "default for"):
        table.add_column(col)
    for v in shown:
        table.add_row(v.id, v.name, ", ".join(v.languages), defaults.get(v.id, ""))
    console.print(table)


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="What the interviewer should say.")],
    language: Annotated[str, typer.Option("--language", "-l", help="es or en.")] = "en",
    voice: Annotated[Optional[str], typer.Option(help="Voice id or name (see: voices).")] = None,
    rate: Annotated[Optional[int], typer.Option(help="Words per minute.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also keep the audio as this WAV file.")] = None,
) -> None:
    """Say a sentence with the interviewer's voice (checks speech output)."""
    from ..config import load_settings
    from ..errors import ConfigError
    from ..speaking.tts import EspeakSpeaker

    if language not in ("es", "en"):
        raise ConfigError(f"invalid language {language!r}: use es or en")
    settings = load_settings(voice=voice, rate=rate)
    with EspeakSpeaker(language, voice=settings.voice, rate=settings.rate) as speaker:
        before = speaker.clock.now()
        first = speaker.say(text, kind="info", language=language, save_to=out)
        last = speaker.last
    err_console.print(
        f"[dim]voice {speaker.voice_for(language).id}: synthesis {last.synth_s * 1000:.0f} ms, "
        f"first audio {1000 * (first - before):.0f} ms after the call, {last.duration_s:.1f} s of speech"
        + (f", saved {out}" if out else "")
        + "[/]"
    )
