"""The captcha model: a small multi-head CNN that reads the five characters at once, and its decoding.

Five softmax heads of 27 classes share one convolutional trunk; the text is each head's most likely class."""

from __future__ import annotations

from itertools import pairwise

import keras
import numpy as np
from keras import layers

from solver.alphabet import ALPHABET, TEXT_LENGTH
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH


def build_model(alphabet: str = ALPHABET, length: int = TEXT_LENGTH, seed: int = 0) -> keras.Model:
    """The untrained network: (batch, 32, 96, 1) uint8-valued pixels -> (batch, length, len(alphabet))."""
    initializer_seed = iter(range(seed * 100, seed * 100 + 100))

    def conv(x: keras.KerasTensor, filters: int, kernel: int = 3) -> keras.KerasTensor:
        x = layers.Conv2D(filters, kernel, padding="same", use_bias=False,
                          kernel_initializer=keras.initializers.HeNormal(seed=next(initializer_seed)))(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x)

    inputs = keras.Input((INPUT_HEIGHT, INPUT_WIDTH, 1), name="pixels")
    x = layers.RandomTranslation(0.08, 0.03, fill_mode="nearest", seed=seed, name="shift")(inputs)
    x = layers.Rescaling(1 / 255)(x)
    # Halve early and often: the 2-core CPU pays for every pixel of the first layers.
    x = layers.MaxPooling2D()(conv(x, 16))
    x = layers.MaxPooling2D()(conv(x, 32))
    x = conv(conv(x, 64), 64)
    x = layers.MaxPooling2D()(x)
    x = conv(x, 128)
    x = conv(x, 32, kernel=1)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3, seed=seed)(x)
    x = layers.Dense(length * len(alphabet),
                     kernel_initializer=keras.initializers.GlorotUniform(seed=next(initializer_seed)))(x)
    x = layers.Reshape((length, len(alphabet)))(x)
    outputs = layers.Softmax(name="characters")(x)
    return keras.Model(inputs, outputs, name="captcha_cnn")


# Layers that leave an image as it is when not training.
TRAINING_ONLY = (layers.RandomTranslation, layers.Dropout)


def for_inference(model: keras.Model) -> keras.Model:
    """The same readings from a leaner network: the layers that only act in training dropped, each batch
    normalization folded into the convolution before it (a scale and a bias), the trained model untouched.
    A network that is not one chain of layers comes back as it is."""
    if any(later.input is not earlier.output for earlier, later in pairwise(model.layers)):
        return model
    chain = [layer for layer in model.layers[1:] if not isinstance(layer, TRAINING_ONLY)]
    x = inputs = keras.Input(model.input_shape[1:], name=model.layers[0].name)
    index = 0
    while index < len(chain):
        layer, after = chain[index], chain[index + 1] if index + 1 < len(chain) else None
        if (isinstance(layer, layers.Conv2D) and layer.activation is keras.activations.linear
                and isinstance(after, layers.BatchNormalization)):
            scale = np.asarray(after.gamma) / np.sqrt(np.asarray(after.moving_variance) + after.epsilon)
            bias = np.asarray(after.beta) - np.asarray(after.moving_mean) * scale
            if layer.use_bias:
                bias = bias + np.asarray(layer.bias) * scale
            folded = layers.Conv2D(layer.filters, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                                   dilation_rate=layer.dilation_rate, name=layer.name)
            x = folded(x)
            folded.set_weights([np.asarray(layer.kernel) * scale, bias])
            index += 2
        else:
            x = layer(x)
            index += 1
    return keras.Model(inputs, x, name=f"{model.name}_inference")


def decode(probabilities: np.ndarray, alphabet: str = ALPHABET) -> list[tuple[str, np.ndarray]]:
    """Each row of (n, length, classes) probabilities as its text and the probability of each character."""
    best = probabilities.argmax(axis=-1)
    chosen = np.take_along_axis(probabilities, best[..., None], axis=-1)[..., 0]
    return [("".join(alphabet[index] for index in row), row_probabilities)
            for row, row_probabilities in zip(best, chosen, strict=True)]


def encode(text: str, alphabet: str = ALPHABET) -> list[int]:
    """The class index of each character of a label, in the upper case that labels are kept in."""
    return [alphabet.index(char) for char in text]
