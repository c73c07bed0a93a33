"""Barge-in by default with headphones: the default output's port and form factor, read from
``pactl list sinks`` (made-up listings and the virtual audio server), and the choice it drives."""

from __future__ import annotations

import subprocess
from contextlib import ExitStack

import pytest
from rich.console import Console

from voice_interviewer.cli import voice_mode
from voice_interviewer.config import Settings
from voice_interviewer.speaking import barge_in
from voice_interviewer.speaking.barge_in import headphones_in_use, sink_is_headphones

LAPTOP = """Sink #0
\tState: RUNNING
\tName: alsa_output.pci-0000_00_1f.3.analog-stereo
\tDescription: Built-in Audio Analog Stereo
\tProperties:
\t\tdevice.form_factor = "internal"
\t\tdevice.bus = "pci"
\tPorts:
\t\tanalog-output-speaker: Speakers (type: Speaker, priority: 10000, availability unknown)
\t\tanalog-output-headphones: Headphones (type: Headphones, priority: 9900, {active})
\tActive Port: {port}
\tFormats:
\t\tpcm
Sink #5
\tName: bluez_output.AA_BB_CC_DD_EE_FF.1
\tDescription: WH-1000XM4
\tProperties:
\t\tdevice.form_factor = "headphone"
\t\tdevice.bus = "bluetooth"
\tPorts:
\t\theadphone-output: Headphone (type: Headphones, priority: 0, available)
\tActive Port: headphone-output
Sink #7
\tName: vspeaker
\tDescription: virtual-speaker
\tProperties:
\t\tdevice.class = "abstract"
"""
SPEAKERS = LAPTOP.format(active="not available", port="analog-output-speaker")
JACK = LAPTOP.format(active="available", port="analog-output-headphones")


@pytest.mark.unit
def test_the_active_port_or_the_form_factor_tells_headphones():
    assert not sink_is_headphones(SPEAKERS, "alsa_output.pci-0000_00_1f.3.analog-stereo")
    assert sink_is_headphones(JACK, "alsa_output.pci-0000_00_1f.3.analog-stereo")
    assert sink_is_headphones(SPEAKERS, "bluez_output.AA_BB_CC_DD_EE_FF.1")  # Bluetooth: form factor
    assert not sink_is_headphones(SPEAKERS, "vspeaker")  # a null sink: no port, no form factor
    assert not sink_is_headphones(SPEAKERS, "not-there")
    assert not sink_is_headphones("", "vspeaker")


def choose(monkeypatch, setting, headphones: bool) -> tuple[str, list[str]]:
    started: list[str] = []
    monkeypatch.setattr(barge_in, "headphones_in_use", lambda: headphones)
    monkeypatch.setattr(voice_mode, "start_echo_canceller", lambda *a: started.append("canceller") or True)
    console = Console(record=True, width=200, color_system=None)
    with ExitStack() as stack:
        on = voice_mode.choose_barge_in(Settings(barge_in=setting), stack, console)
    return on, started + [console.export_text().strip()]


@pytest.mark.unit
def test_headphones_turn_barge_in_on_without_the_echo_canceller(monkeypatch):
    on, said = choose(monkeypatch, None, headphones=True)
    assert on == "on" and said == ["barge-in on (headphones): talk over the interviewer to stop it"]
    on, said = choose(monkeypatch, True, headphones=True)  # asked for: still no canceller needed
    assert on == "on" and "canceller" not in said


@pytest.mark.unit
def test_speakers_probe_first_unless_asked_for_and_then_cancel_the_echo(monkeypatch):
    on, said = choose(monkeypatch, None, headphones=False)
    assert on == "probe" and said == ["barge-in off with speakers, on if the microphone does not hear the "
                                      "first question (--barge-in: on, through the echo canceller)"]
    on, said = choose(monkeypatch, True, headphones=False)
    assert on == "on" and said[0] == "canceller"
    monkeypatch.setattr(voice_mode, "start_echo_canceller", lambda *a: False)
    with ExitStack() as stack:
        assert voice_mode.choose_barge_in(Settings(barge_in=True), stack, Console(quiet=True)) == "off"


@pytest.mark.audio
def test_the_default_output_of_a_real_server_is_read(virtual_audio):
    def pactl(*args):
        return subprocess.run(["pactl", *args], capture_output=True, text=True, check=True).stdout.strip()

    before = pactl("get-default-sink")
    assert not headphones_in_use()  # the virtual speaker: a null sink
    module = pactl("load-module", "module-null-sink", "sink_name=vi_test_headphones",
                   "sink_properties=device.form_factor=headphone")
    try:
        pactl("set-default-sink", "vi_test_headphones")
        assert headphones_in_use()
    finally:
        pactl("set-default-sink", before)
        pactl("unload-module", module)
    assert not headphones_in_use()


@pytest.mark.model
def test_with_barge_in_the_listener_ends_a_finished_sentence_sooner(tmp_path):
    """The wiring: barge-in gives the listener's end-of-answer rule the sooner end (Settings.barge_in_end_s)."""
    from types import SimpleNamespace

    from voice_interviewer.hearing.listener import Listener

    settings = Settings(barge_in_end_s=1.4)
    listener = Listener(settings, transcriber=object(), vad=object(), turn_model=object(), live=False)
    assert listener.rule is not None and listener.rule.resumable_silence_s is None
    speaker = SimpleNamespace(player=object())
    barging = voice_mode.with_barge_in(speaker, listener, settings)
    assert listener.rule.resumable_silence_s == 1.4 and listener.lead_in == barging.take_audio
    # probing (speakers): the sooner end comes when the probe turns barge-in on, and is said
    listener = Listener(settings, transcriber=object(), vad=object(), turn_model=object(), live=False)
    console = Console(record=True, width=200, color_system=None)
    barging = voice_mode.with_barge_in(speaker, listener, settings, probing=True, console=console)
    assert barging.probing and listener.rule.resumable_silence_s is None
    barging.on_enabled()
    assert listener.rule.resumable_silence_s == 1.4
    assert console.export_text().strip() == "barge-in on: the microphone did not hear the interviewer"
