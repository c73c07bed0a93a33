"""Where the speech fixtures live: shared real speech clips and the espeak-ng clips in tests/data/stt."""

from __future__ import annotations

import os
import pathlib

SPEECH_DIR = pathlib.Path(os.environ.get(
    "SHARED_SPEECH", str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "speech")))
STT_DATA = pathlib.Path(__file__).resolve().parent / "data" / "stt"
