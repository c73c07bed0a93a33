#!/usr/bin/env bash
# Regenerates the synthetic speech clips used by the STT and capture tests (espeak-ng + sox).
# 16 kHz mono 16-bit WAV. Run from anywhere: bash tests/data/stt/make_wavs.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

say() { # voice speed text out
  espeak-ng -v "$1" -s "$2" -w "$tmp/raw.wav" "$3"
  sox -D "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$4" norm -3
}

say en-us 150 "Overfitting happens when a model learns the noise in the training data. I would use cross validation and regularization to prevent it." en_answer.wav
say es 140 "Hola, me llamo Carlos. Hoy vamos a hablar sobre el aprendizaje automático y la evaluación de los modelos." es_answer.wav
say en-us 150 "I would use cross validation and regularization to keep the model from overfitting." en_sentence.wav

# an answer with a 2 s thinking pause in the middle of a sentence
say en-us 150 "To reduce overfitting I would first collect more data, and then" "$tmp/a.wav"
say en-us 150 "add dropout and weight decay to the network." "$tmp/b.wav"
sox "$tmp/a.wav" -p pad 0 2.0 | sox -D - "$tmp/b.wav" -b 16 en_pause.wav
say es 140 "Hoy vamos a hablar sobre el aprendizaje automático porque" "$tmp/a.wav"
say es 140 "la evaluación de los modelos es muy importante." "$tmp/b.wav"
sox "$tmp/a.wav" -p pad 0 2.0 | sox -D - "$tmp/b.wav" -b 16 es_pause.wav
ls -l ./*.wav

# en_mic_underfitting.wav and en_mic_overfitting.wav are not generated here: they are two live
# chunks cut from a recording of tests/data/voice/en-bias-variance.wav through the virtual mic.
