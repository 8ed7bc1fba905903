"""The captcha model in Keras: a small multi-head CNN that reads the five characters at once, for training and
for the trainer's LiteRT copy; five softmax heads of 27 classes share one convolutional trunk (solver.characters)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from solver.alphabet import ALPHABET, TEXT_LENGTH
from solver.preprocess import INPUT_HEIGHT, INPUT_WIDTH


@keras.saving.register_keras_serializable(package="solver")
class RandomShift(layers.Layer):
    """Moves each image by its own random distance, up to `height_factor` of its height and `width_factor` of its
    width either way, in training only: a fraction of a pixel mixes the two nearest pixels, and the edge pixels fill
    what comes in from outside (what RandomTranslation(fill_mode="nearest") does).

    Done as two small matrix products per image, which every backend runs fast: RandomTranslation's affine
    transform becomes a gather per pixel under JAX, which made training on a GPU crawl (docs/benchmarks.md)."""

    def __init__(self, height_factor: float, width_factor: float, seed: int | None = None, **kwargs: object):
        super().__init__(**kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images: keras.KerasTensor, training: bool = False) -> keras.KerasTensor:
        images = ops.cast(images, self.compute_dtype)
        if not training:
            return images
        _, height, width, _ = images.shape
        reach = ops.convert_to_tensor([self.height_factor * height, self.width_factor * width], self.compute_dtype)
        uniform = keras.random.uniform((ops.shape(images)[0], 2), -1.0, 1.0, self.compute_dtype, self.generator)
        return shifted(images, uniform * reach)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, object]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            "seed": self.seed,
        }


def shifted(images: keras.KerasTensor, shifts: keras.KerasTensor) -> keras.KerasTensor:
    """(batch, height, width, channels) images each moved down and right by its (rows, columns) of `shifts`,
    fractions bilinear, the nearest edge pixel filling in: rows @ image @ columns^T per image and channel."""
    _, height, width, _ = images.shape
    rows = source_mix(shifts[:, 0], height, images.dtype)[:, None]
    columns = ops.transpose(source_mix(shifts[:, 1], width, images.dtype), (0, 2, 1))[:, None]
    planes = ops.transpose(images, (0, 3, 1, 2))
    return ops.transpose(ops.matmul(ops.matmul(rows, planes), columns), (0, 2, 3, 1))


def source_mix(shift: keras.KerasTensor, size: int, dtype: str) -> keras.KerasTensor:
    """(batch, size, size): row i holds the weights of the pixels that land on pixel i when a line of `size`
    pixels moves by `shift` (batch,): the two around i - shift, clipped to the line, weighted by nearness."""
    source = ops.arange(size, dtype=dtype)[None, :] - ops.cast(shift, dtype)[:, None]
    below = ops.floor(source)
    above_weight = (source - below)[..., None]

    def pixels(index: keras.KerasTensor) -> keras.KerasTensor:
        return ops.one_hot(ops.cast(ops.clip(index, 0, size - 1), "int32"), size, dtype=dtype)

    return (1 - above_weight) * pixels(below) + above_weight * pixels(below + 1)


def build_model(alphabet: str = ALPHABET, length: int = TEXT_LENGTH, seed: int = 0, width: float = 1.0) -> keras.Model:
    """The untrained network: (batch, 32, 96, 1) uint8-valued pixels -> (batch, length, len(alphabet)).

    `width` scales every convolution's filters (to a whole number, at least 8); 1.0 is the full network (the
    shipped model records its width in its metadata)."""
    initializer_seed = iter(range(seed * 100, seed * 100 + 100))

    def conv(x: keras.KerasTensor, filters: int, kernel: int = 3) -> keras.KerasTensor:
        x = layers.Conv2D(
            max(8, round(filters * width)),
            kernel,
            padding="same",
            use_bias=False,
            kernel_initializer=keras.initializers.HeNormal(seed=next(initializer_seed)),
        )(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x)

    inputs = keras.Input((INPUT_HEIGHT, INPUT_WIDTH, 1), name="pixels")
    x = RandomShift(0.08, 0.03, seed=seed, name="shift")(inputs)
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
    x = layers.Dense(
        length * len(alphabet), kernel_initializer=keras.initializers.GlorotUniform(seed=next(initializer_seed))
    )(x)
    x = layers.Reshape((length, len(alphabet)))(x)
    outputs = layers.Softmax(name="characters")(x)
    return keras.Model(inputs, outputs, name="captcha_cnn")


def load_model(path: str | Path) -> keras.Model:
    """The Keras model of a model file, without its optimizer (this module registers the custom layers)."""
    return keras.saving.load_model(path, compile=False)


# Layers that leave an image as it is when not training (RandomTranslation: the shift of models trained before
# RandomShift, such as twse-cnn-20261121 and the versions fine-tuned from it).
TRAINING_ONLY = (RandomShift, layers.RandomTranslation, layers.Dropout)


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
        if (
            isinstance(layer, layers.Conv2D)
            and layer.activation is keras.activations.linear
            and isinstance(after, layers.BatchNormalization)
        ):
            scale = np.asarray(after.gamma) / np.sqrt(np.asarray(after.moving_variance) + after.epsilon)
            bias = np.asarray(after.beta) - np.asarray(after.moving_mean) * scale
            if layer.use_bias:
                bias = bias + np.asarray(layer.bias) * scale
            folded = layers.Conv2D(
                layer.filters,
                layer.kernel_size,
                strides=layer.strides,
                padding=layer.padding,
                dilation_rate=layer.dilation_rate,
                name=layer.name,
            )
            x = folded(x)
            folded.set_weights([np.asarray(layer.kernel) * scale, bias])
            index += 2
        else:
            x = layer(x)
            index += 1
    return keras.Model(inputs, x, name=f"{model.name}_inference")
