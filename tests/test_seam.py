"""Where two chunks of an answer meet (hearing/seam.py): the new chunk is decoded with the end of
the one before, and the words at the cut come from the decode that heard both sides of them."""

from __future__ import annotations

import numpy as np
import pytest

from voice_interviewer.hearing.incremental import IncrementalTranscriber
from voice_interviewer.hearing.seam import OVERLAP_S, RETAKE_S, stitch
from voice_interviewer.hearing.transcript import Segment, Transcript, Word
from voice_interviewer.sound import SAMPLE_RATE

from fakes import ScriptedTranscriber


def part(*words: tuple[str, float, float]) -> Transcript:
    ws = [Word(word=w, start=a, end=b, probability=0.9) for w, a, b in words]
    text = " ".join(w.word for w in ws)
    return Transcript(text=text, words=ws, segments=[Segment(start=ws[0].start, end=ws[-1].end, text=text)] if ws else [])


@pytest.mark.unit
def test_the_words_at_the_cut_come_from_the_decode_that_heard_what_followed():
    before = part(("using", 1.0, 1.3), ("queries.", 1.4, 1.9))  # the chunk was cut at 2.0 s
    after = part(("queries,", 1.4, 1.85), ("keys", 2.1, 2.4), ("and", 2.45, 2.6), ("values.", 2.65, 3.1))
    before, after = stitch(before, after, chunk_start=2.0)
    assert before.text == "using" and after.text == "queries, keys and values."


@pytest.mark.unit
def test_words_before_the_retaken_stretch_stay_with_the_earlier_chunk():
    before = part(("split", 0.2, 0.6), ("the", 0.7, 0.8), ("data", 0.9, 1.2))  # ends 0.8 s before the cut
    after = part(("data", 0.9, 1.2), ("into", 2.1, 2.3), ("folds", 2.4, 2.9))
    assert 2.0 - 1.05 > RETAKE_S  # "data" is outside the retaken stretch
    before, after = stitch(before, after, chunk_start=2.0)
    assert (before.text, after.text) == ("split the data", "into folds")


@pytest.mark.unit
def test_when_the_new_decode_misses_the_words_the_earlier_chunk_keeps_them():
    before = part(("the", 1.2, 1.3), ("variance", 1.4, 1.9))
    after = part(("Then", 2.2, 2.4), ("we", 2.5, 2.6))  # Whisper skipped the overlap's words
    before, after = stitch(before, after, chunk_start=2.0)
    assert (before.text, after.text) == ("the variance", "Then we")


class EdgeDeaf(ScriptedTranscriber):
    """Mishears a word that ends within 0.3 s of the end of the audio it is given (as Whisper
    does a word cut off from what follows it): "keys" becomes "Keyes". Records the prompts."""

    def __init__(self, words, misheard):
        super().__init__(words)
        self.misheard, self.prompts = misheard, []

    def transcribe(self, audio, language="auto", *, offset=0.0, prompt=None, **kw):
        self.prompts.append(prompt)
        out = super().transcribe(audio, language, offset=offset, **kw)
        end = offset + len(audio) / SAMPLE_RATE
        words = [w.model_copy(update={"word": self.misheard.get(w.word, w.word)}) if end - w.end < 0.3 else w
                 for w in out.words]
        text = " ".join(w.word for w in words)
        segs = [Segment(start=words[0].start, end=words[-1].end, text=text)] if words else []
        return Transcript(text=text, language=out.language, segments=segs, words=words)


@pytest.mark.unit
def test_a_chunk_cut_just_after_a_word_is_heard_again_with_what_followed():
    script = [("attention", 0.2, 0.7), ("uses", 1.0, 1.3), ("keys", 1.4, 1.8),  # cut at 1.85 s
              ("and", 2.3, 2.5), ("values", 2.6, 3.0)]
    stt = EdgeDeaf(script, {"keys": "Keyes", "values": "values"})
    inc = IncrementalTranscriber(stt, "en")
    audio = np.zeros(4 * SAMPLE_RATE, np.float32)
    inc.settle(audio, int(1.85 * SAMPLE_RATE))
    full = inc.finish(audio, int(3.4 * SAMPLE_RATE))
    assert full.text == "attention uses keys and values"  # each word once, "keys" heard whole
    assert stt.calls[1][0] == pytest.approx(1.85 - OVERLAP_S)
    assert stt.prompts[1] == "attention"  # the words heard again are not in the prompt
