"""The network the LiteRT copy is made of (and Keras reads with on a GPU): batch normalization folded into the
convolutions and the training-only layers dropped, reading as the trained model does."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from solver.model import RandomShift, build_model, for_inference, load_model
from solver.preprocess import preprocess
from solver.solver import Solver


def test_the_shipped_model_reads_the_same_without_its_batch_normalization(
    validation_captchas: list[tuple[bytes, str]],
) -> None:
    solver = Solver.load(reread_below=0.0)
    model = load_model(solver.path)
    lean = for_inference(model)
    kinds = {type(layer) for layer in lean.layers}
    assert not kinds & {layers.BatchNormalization, layers.Dropout, layers.RandomTranslation}
    assert layers.Conv2D in kinds and len(lean.layers) < len(model.layers)
    pixels = np.stack([preprocess(image) for image, _ in validation_captchas[:16]])[..., None]
    expected = model(pixels, training=False)
    assert np.allclose(lean(pixels, training=False), expected, atol=1e-5)
    readings = solver.solve_many([image for image, _ in validation_captchas[:16]])
    assert np.allclose([r.char_probabilities for r in readings], np.max(expected, axis=-1), atol=1e-5)


def test_folding_keeps_learned_statistics_and_leaves_the_model_untouched() -> None:
    model = build_model(seed=3)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):  # statistics far from the initial 0 and 1
            size = layer.gamma.shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 2, size), rng.normal(0, 1, size), rng.normal(0, 2, size), rng.uniform(0.1, 4, size)]
            )
    before = [weight.copy() for weight in model.get_weights()]
    pixels = rng.integers(0, 256, (4, 32, 96, 1)).astype("float32")
    lean = for_inference(model)
    assert not {type(layer) for layer in lean.layers} & {RandomShift, layers.BatchNormalization, layers.Dropout}
    assert np.allclose(lean(pixels), model(pixels, training=False), atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_a_network_of_more_than_one_chain_is_read_as_it_is() -> None:
    inputs = keras.Input((8, 8, 1))
    branch = layers.BatchNormalization()(layers.Conv2D(2, 3, padding="same")(inputs))
    model = keras.Model(inputs, layers.Add()([branch, layers.Conv2D(2, 1)(inputs)]))
    assert for_inference(model) is model
