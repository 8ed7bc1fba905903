"""Measure the two candidate designs side by side: the multi-head CNN the solver ships and a CNN-RNN read with CTC.
Each trains on the real training split for the same epochs (fair however busy the CPU) and is scored on validation.
Usage, from the repository root: python -m benchmarks.solver_architectures [DATA_DIR] [--epochs 4] [--seed 0]"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from bsr.settings import get_settings
from solver.alphabet import ALPHABET
from solver.model import build_model
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH
from trainer.dataset import load_folder

BATCH = 64


def build_ctc_model(seed: int) -> keras.Model:
    """The same convolutional trunk read column by column: 12 steps, a bidirectional GRU, 27 letters + blank."""
    keras.utils.set_random_seed(seed)

    def conv(x: keras.KerasTensor, filters: int) -> keras.KerasTensor:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        return layers.ReLU()(layers.BatchNormalization()(x))

    inputs = keras.Input((INPUT_HEIGHT, INPUT_WIDTH, 1))
    x = layers.RandomTranslation(0.08, 0.03, fill_mode="nearest", seed=seed)(inputs)
    x = layers.Rescaling(1 / 255)(x)
    x = layers.MaxPooling2D()(conv(x, 16))
    x = layers.MaxPooling2D()(conv(x, 32))
    x = layers.MaxPooling2D()(conv(conv(x, 64), 64))
    x = conv(x, 128)
    x = layers.Permute((2, 1, 3))(x)
    x = layers.Reshape((INPUT_WIDTH // 8, (INPUT_HEIGHT // 8) * 128))(x)
    x = layers.Bidirectional(layers.GRU(64, return_sequences=True))(x)
    # Logits: Keras' CTC loss and decoder apply the softmax themselves.
    outputs = layers.Dense(len(ALPHABET) + 1)(x)
    return keras.Model(inputs, outputs)


def ctc_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    batch = tf.shape(labels)[0]
    label_length = tf.fill([batch], tf.shape(labels)[1])
    steps = tf.fill([batch], tf.shape(logits)[1])
    # Class 0 is the blank: letters are shifted by one.
    return keras.ops.ctc_loss(labels + 1, logits, label_length, steps, mask_index=0)


def ctc_read(model: keras.Model, images: np.ndarray) -> np.ndarray:
    logits = model.predict_on_batch(images[..., None])
    steps = np.full(len(images), logits.shape[1])
    decoded = keras.ops.ctc_decode(logits, steps, strategy="greedy", mask_index=0)[0][0]
    decoded = np.asarray(decoded)[:, :5]
    return np.where(decoded > 0, decoded - 1, -1)


def train_for(
    model: keras.Model, loss: object, images: np.ndarray, labels: np.ndarray, epochs: int, seed: int
) -> float:
    """Train for `epochs` epochs; returns the minutes it took."""
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    data = (
        tf.data.Dataset.from_tensor_slices((images[..., None], labels))
        .shuffle(len(images), seed=seed)
        .batch(BATCH)
        .repeat()
        .prefetch(2)
    )
    started = time.monotonic()
    model.fit(data, steps_per_epoch=len(images) // BATCH, epochs=epochs, verbose=0, shuffle=False)
    return (time.monotonic() - started) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=get_settings().captcha_data)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    training, validation = load_folder(args.data_dir).split_validation()
    truth = validation.labels
    print(f"{len(training)} training and {len(validation)} validation captchas, {args.epochs} epochs each\n")
    print("| design | parameters | training minutes | whole-string accuracy | character accuracy |")
    print("|---|---:|---:|---:|---:|")

    keras.utils.set_random_seed(args.seed)
    heads = build_model(seed=args.seed)
    minutes = train_for(
        heads, "sparse_categorical_crossentropy", training.images, training.labels, args.epochs, args.seed
    )
    read = heads.predict_on_batch(validation.images[..., None]).argmax(-1)
    print(
        f"| multi-head CNN (5 x 27) | {heads.count_params():,} | {minutes:.1f} | {(read == truth).all(1).mean():.2%} "
        f"| {(read == truth).mean():.2%} |",
        flush=True,
    )

    ctc = build_ctc_model(args.seed)
    minutes = train_for(ctc, ctc_loss, training.images, training.labels, args.epochs, args.seed)
    read = ctc_read(ctc, validation.images)
    print(
        f"| CNN-RNN with CTC | {ctc.count_params():,} | {minutes:.1f} | {(read == truth).all(1).mean():.2%} "
        f"| {(read == truth).mean():.2%} |"
    )


if __name__ == "__main__":
    main()
