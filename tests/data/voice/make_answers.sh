#!/bin/sh
# Spoken answers for the end-to-end voice tests, generated with espeak-ng (16 kHz mono WAV).
# One sentence each (commas only): espeak pauses ~0.4 s at a full stop, which a turn
# detector may rightly take as the end of the answer. Re-run from this folder: sh make_answers.sh
set -eu
say() { # voice out.wav text
    espeak-ng -v "$1" -s 140 -w "$2.tmp.wav" "$3"
    sox "$2.tmp.wav" -r 16000 -c 1 -b 16 "$2" pad 0 0.2
    rm -f "$2.tmp.wav"
}
say en-us en-bias-variance.wav "Bias is the error of a model that is too simple, which means underfitting, and variance is how much the predictions change with different training data, which means overfitting, so we balance the two with more data and regularization"
say en-us en-regularization.wav "Regularization adds a penalty to the loss function so that the model does not overfit, for example L1 gives sparse weights, L2 shrinks the weights toward zero, and neural networks use dropout and early stopping"
say es es-bias-variance.wav "El sesgo es el error de un modelo demasiado simple, que produce subajuste, y la varianza es cuánto cambian las predicciones con otros datos de entrenamiento, que produce sobreajuste"
say es es-regularization.wav "La regularización añade una penalización a la función de pérdida para evitar el sobreajuste, por ejemplo L1 produce pesos dispersos y L2 encoge los pesos hacia cero"
