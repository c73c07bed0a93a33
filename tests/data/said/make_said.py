"""Make the short natural-voice utterances in this folder (answers and spoken commands the
microphone tests say) from said.yaml, with the voices of ``../answers/make_answers.py``: Piper
``en_US-joe-medium`` for English, Kokoro-82M ``jf_nezumi`` for Spanish. Each clip is one line of
said.yaml, spoken as it is with its leading and trailing silence cut and pauses over 0.45 s inside
it shortened to 0.3 s (as the answers' sentences), peak-normalised and stored as 16 kHz mono Ogg/Opus in ``en/`` or ``es/``
under the line's key.

Needs the ``voices`` extra (``pip install -e '.[voices]'``). From the project folder:

    .venv/bin/python tests/data/said/make_said.py [--force]

Clips that exist are kept unless ``--force``. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "answers"))

from make_answers import OPUS_LEVEL, PEAK, RATE, Voices, fluent_sentence  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--force", action="store_true", help="remake clips that exist")
    args = ap.parse_args()
    texts = yaml.safe_load((HERE / "said.yaml").read_text(encoding="utf-8"))
    voices, made = Voices(), 0
    for language, lines in texts.items():
        for key, text in lines.items():
            out = HERE / language / f"{key}.opus"
            if out.is_file() and not args.force:
                continue
            out.parent.mkdir(exist_ok=True)
            audio = fluent_sentence(voices.speak(text, language))
            audio = (audio * (PEAK / np.abs(audio).max())).astype(np.float32)
            sf.write(str(out), audio, RATE, format="OGG", subtype="OPUS",
                     compression_level=OPUS_LEVEL)
            made += 1
    print(f"{made} clip(s) made in {HERE}")


if __name__ == "__main__":
    main()
