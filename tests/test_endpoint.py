"""End-of-answer detection on real audio files (silero VAD + Smart Turn), without a microphone."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import soundfile as sf

from voice_interviewer.hearing.endpoint import EndpointConfig, Endpointer
from voice_interviewer.sound import SAMPLE_RATE
from voice_interviewer.hearing.features import fit_last_seconds, log_mel
from voice_interviewer.weights import package_dir

from fakes import FixedTurn, ScriptedVAD
from stt_paths import SPEECH_DIR, STT_DATA, spanish_pause_clip

RATE = SAMPLE_RATE


def run(models, wav, *, lead_s=0.5, trail_s=4.0, **config):
    vad, turn = models
    x, rate = sf.read(str(wav), dtype="float32")
    assert rate == RATE
    x = np.concatenate([np.zeros(int(lead_s * RATE), np.float32), x,
                        np.zeros(int(trail_s * RATE), np.float32)])
    ep = Endpointer(vad, turn, EndpointConfig(**config))
    events = []
    for i in range(0, len(x) - 511, 512):
        events += ep.feed(x[i:i + 512])
        if ep.done:
            break
    return ep, events


@pytest.mark.model
@pytest.mark.parametrize("clip", ["sense_and_sensibility_01_austen_64kb-0870.flac", "es-asterisk-5.flac"])
def test_finished_answer_ends_after_short_silence(listening_models, clip):
    wav = SPEECH_DIR / clip  # real speech, a finished sentence
    ep, events = run(listening_models, wav)
    assert ep.done.kind == "end" and ep.done.reason == "complete"
    assert [e.kind for e in events][0] == "speech_start"
    assert abs(ep.speech_start / RATE - 0.5) < 0.3
    assert ep.last_voiced_end / RATE - 0.5 > sf.info(str(wav)).duration - 0.4  # heard to the end
    delay = (ep.done.sample - ep.last_voiced_end) / RATE
    assert EndpointConfig().end_silence_s <= delay < EndpointConfig().end_silence_s + 0.1


@pytest.mark.model
def test_a_short_pause_between_sentences_does_not_end_the_answer(listening_models):
    """espeak-ng's "Hola, me llamo Carlos." is followed by 0.3 s of silence, and the turn model
    calls it complete; the answer goes on."""
    ep, _ = run(listening_models, STT_DATA / "es_answer.wav")
    assert ep.done.reason == "complete" and ep.pauses
    assert ep.last_voiced_end / RATE - 0.5 > sf.info(str(STT_DATA / "es_answer.wav")).duration - 0.5


@pytest.mark.model
@pytest.mark.parametrize("language", ["en", "es"])
def test_thinking_pause_mid_sentence_does_not_end_the_answer(listening_models, language, tmp_path):
    if language == "en":
        wav = STT_DATA / "en_pause.wav"  # espeak-ng: "... collect more data, and then" + 2 s + ...
    else:
        wav, _ = spanish_pause_clip(tmp_path / "es_pause.wav")  # real speech, "... asistiendo a" + 2 s
    ep, events = run(listening_models, wav)
    total = sf.info(str(wav)).duration
    assert ep.done.kind == "end"
    assert ep.last_voiced_end / RATE > 0.5 + total - 1.0  # heard until the last words
    assert len(ep.pauses) >= 1 and max(b - a for a, b in ep.pauses) / RATE > 1.5  # kept listening
    pause_checks = [e for e in events if e.kind == "pause"]
    assert pause_checks[0].turn_probability < 0.5  # "... and then" sounds unfinished


@pytest.mark.model
def test_silence_only_policy_cuts_at_the_pause(listening_models):
    ep, _ = run(listening_models, STT_DATA / "en_pause.wav", use_turn_model=False, max_pause_s=0.5)
    assert ep.done.reason == "pause_limit"
    assert ep.last_voiced_end / RATE < 5.0  # cut before the second half


@pytest.mark.model
def test_no_speech_timeout_and_length_cap(listening_models):
    vad, turn = listening_models
    ep = Endpointer(vad, turn, EndpointConfig(no_speech_timeout_s=1.0))
    for _ in range(40):
        ep.feed(np.zeros(512, np.float32))
    assert ep.done.kind == "no_speech" and ep.speech_start is None
    ep, _ = run(listening_models, SPEECH_DIR / "jfk.flac", max_answer_s=2.0, use_turn_model=False)
    assert ep.done.reason == "max_length"
    assert (ep.done.sample - ep.speech_start) / RATE == pytest.approx(2.0, abs=0.05)


@pytest.mark.unit
def test_features_match_the_reference_implementation():
    base = package_dir("pipecat")
    if base is None:
        pytest.skip("pipecat-ai data package not installed")
    path = base / "audio" / "turn" / "smart_turn" / "_whisper_features.py"
    spec = importlib.util.spec_from_file_location("reference_whisper_features", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)  # numpy only; pipecat itself is never imported
    x = np.random.default_rng(1).standard_normal(3 * RATE).astype(np.float32) * 0.1
    audio = fit_last_seconds(x)
    assert len(audio) == 8 * RATE and not audio[: 5 * RATE].any()
    ours = log_mel(audio)
    assert ours.shape == (80, 800)
    np.testing.assert_allclose(ours, ref.compute_whisper_log_mel_features(audio), atol=1e-5)


@pytest.mark.unit
def test_incremental_drops_a_chunk_segment_copied_from_the_prompt():
    from voice_interviewer.hearing.cleanup import drop_copied_segments
    from voice_interviewer.hearing.transcript import Segment, Transcript, Word

    said = "He was not an ill disposed young man unless to be rather selfish is to be ill disposed."
    segs = [Segment(start=10, end=12, text="He might be rather selfish, is to be ill-disposed."),
            Segment(start=12, end=14, text="A validation set tells you how the model does.")]
    words = [Word(word=w, start=10 + i * 0.2, end=10.1 + i * 0.2, probability=0.9)
             for i, w in enumerate("He might be rather selfish, is to be ill-disposed.".split())]
    words += [Word(word="validation", start=12.5, end=12.9, probability=0.9)]
    part = Transcript(text=" ".join(s.text for s in segs), segments=segs, words=words)
    out = drop_copied_segments(part, said)
    assert out.text == "A validation set tells you how the model does."
    assert [w.word for w in out.words] == ["validation"]
    assert drop_copied_segments(part, "").text == part.text


def _feed_until_done(ep, blocks=400):
    for _ in range(blocks):
        ep.feed(np.zeros(512, np.float32))
        if ep.done:
            return ep.done
    return None


@pytest.mark.unit
def test_voice_again_after_a_pause_never_ends_the_answer():
    """Speech resumes 0.26 s into a pause the turn model called complete: the blocks are voiced
    before they add up to the 0.1 s that counts as speech, and the 0.3 s end must not fire on them."""
    ep = Endpointer(ScriptedVAD([(5, 0.0), (40, 0.9), (8, 0.0), (30, 0.9)]), FixedTurn(0.95), EndpointConfig())
    for _ in range(83):
        ep.feed(np.zeros(512, np.float32))
    assert ep.turn_probabilities == [0.95]
    assert ep.done is None and ep.speaking and len(ep.pauses) == 1


@pytest.mark.parametrize("verdicts, reason, silence_s", [
    (["finished"], "complete", 0.4),  # text reads finished: the quick end stands
    (["open"], "pause_limit", 3.0),  # text trails off: wait for the long limit
    (["bare"], "pause_limit", 3.0),  # no final punctuation: not for the quick end either
    ([None] * 15 + ["finished"], "complete", 0.9),  # text late: waited for while it is coming
    ([None] * 1000, "complete", EndpointConfig().text_wait_s),  # never ready: not awaited past text_wait_s
])
@pytest.mark.unit
def test_text_check_confirms_or_vetoes_the_quick_end(verdicts, reason, silence_s):
    asked = []

    def check(sample):
        asked.append(sample)
        return verdicts[min(len(asked), len(verdicts)) - 1]

    ep = Endpointer(ScriptedVAD([(5, 0.0), (60, 0.9)]), FixedTurn(0.95), EndpointConfig(), text_check=check)
    done = _feed_until_done(ep)
    assert done.reason == reason
    assert (done.sample - ep.last_voiced_end) / RATE == pytest.approx(silence_s, abs=0.07)
    assert asked and set(asked) == {ep.last_voiced_end}


@pytest.mark.parametrize("text, language, expected", [
    ("I would use cross validation to choose it.", "en", "finished"),
    ("I would use cross validation and", "en", "open"),
    ("I would use cross validation and...", "en", "open"),
    ("First, we split the data,", "en", "open"),
    ("It depends on the.", "en", "open"),
    ("Usaría validación cruzada para elegirlo.", "es", "finished"),
    ("Su llamada es la primera en línea y la.", "es", "open"),
    ("Had he married, he might have been more respectable than he was.", "en", "finished"),
    ("Por eso.", "es", "finished"),
    ("Primero dividimos los datos en", "es", "open"),
    ("¿Y por qué eso importa?", "es", "finished"),
    # no final punctuation, but the last word could end a sentence
    ("I would start with gradient boosted trees", "en", "bare"),
    ("y revisión humana", "es", "bare"),
    # an ellipsis marks where the audio stopped, not a trailing thought, unless the word is open
    ("I also group rare values into another bucket...", "en", "bare"),
    ("y escalaría en horizontal…", "es", "bare"),
    ("Usaría la media de...", "es", "open"),
    ("", "en", None),
    ("  ", "es", None),
])
@pytest.mark.unit
def test_text_cue_reads_how_the_words_end(text, language, expected):
    from voice_interviewer.hearing.textcue import ending

    assert ending(text, language) == expected


@pytest.mark.unit
def test_speech_without_pauses_is_cut_at_its_quietest_point():
    from voice_interviewer.hearing.listener import quietest_point

    rng = np.random.default_rng(1)
    audio = (rng.standard_normal(5 * RATE) * 0.3).astype(np.float32)
    audio[int(3.5 * RATE):int(3.56 * RATE)] *= 0.01  # a 60 ms dip between two words
    cut = quietest_point(audio, before=int(4.7 * RATE))
    assert int(3.5 * RATE) <= cut <= int(3.56 * RATE)
    assert quietest_point(audio, before=100) == 100  # too little audio: cut where asked


@pytest.mark.unit
def test_incremental_text_check_waits_for_the_settled_chunk():
    import threading

    from voice_interviewer.hearing.incremental import IncrementalTranscriber
    from voice_interviewer.hearing.transcript import Transcript

    release = threading.Event()

    class SlowTranscriber:
        english_only = False

        def detect_language(self, audio):
            return "en", 1.0

        def transcribe(self, audio, language="auto", **kw):
            release.wait(5)
            return Transcript(text="I would use cross validation and", language=language)

    inc = IncrementalTranscriber(SlowTranscriber(), "en")
    assert inc.ending(RATE) == "finished"  # nothing said or settled yet: no evidence
    audio = np.zeros(3 * RATE, np.float32)
    inc.settle(audio, 2 * RATE)
    assert inc.ending(2 * RATE) is None  # its chunk is still being transcribed
    release.set()
    for _ in range(100):
        if inc.ending(2 * RATE) is not None:
            break
        threading.Event().wait(0.02)
    assert inc.ending(2 * RATE) == "open"  # "... and" trails off
    inc.close()


@pytest.mark.unit
def test_speech_without_a_gap_is_handed_over_after_ten_seconds():
    from voice_interviewer.hearing.listener import FORCE_CHUNK_S, settle_on

    class Recording:
        settled = 0
        idle = False  # always busy: only the forced cut hands audio over

        def skip_to(self, sample):
            self.settled = sample

        def settle(self, audio, upto, min_s=1.0):
            if upto - self.settled >= min_s * RATE:
                self.settled = upto

    inc = Recording()
    blocks = int(12 * RATE / 512)
    ep = Endpointer(ScriptedVAD([(blocks, 0.9)]), None, EndpointConfig(use_turn_model=False))
    rng = np.random.default_rng(0)
    handed = []
    for _ in range(blocks):
        settle_on(ep.feed((rng.standard_normal(512) * 0.1).astype(np.float32)), ep, inc)
        handed.append(inc.settled)
    first = next(i for i, s in enumerate(handed) if s > handed[0])
    assert abs(first * 512 / RATE - FORCE_CHUNK_S) < 0.2  # no gap, yet a chunk after 10 s
    assert FORCE_CHUNK_S * RATE - 2.5 * RATE <= handed[first] - handed[0] <= FORCE_CHUNK_S * RATE
