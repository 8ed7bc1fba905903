"""The network's shape: every convolution's filters scaled by its width, the shipped model's recorded in its metadata."""

from __future__ import annotations

import keras

from solver import Solver
from solver.model import build_model, load_model


def filters(model: keras.Model) -> list[int]:
    return [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def unnamed(layer: keras.layers.Layer) -> dict[str, object]:
    return {key: value for key, value in layer.get_config().items() if key != "name"}


def test_the_width_in_the_shipped_metadata_builds_the_shipped_network() -> None:
    solver = Solver.load()
    shipped = load_model(solver.path)
    model = build_model(width=solver.metadata["training"]["config"]["width"])
    assert filters(model) == filters(shipped) == [12, 24, 48, 48, 96, 24]
    # Past the input, layer for layer the same, seeds included.
    assert [(type(layer), unnamed(layer)) for layer in model.layers[1:]] == [
        (type(layer), unnamed(layer)) for layer in shipped.layers[1:]
    ]
    assert model.count_params() == shipped.count_params() == solver.info["parameters"]


def test_width_scales_every_convolution_to_whole_filters_of_at_least_eight() -> None:
    assert filters(build_model()) == [16, 32, 64, 64, 128, 32]
    assert filters(build_model(width=0.75)) == [12, 24, 48, 48, 96, 24]
    assert filters(build_model(width=0.3)) == [8, 10, 19, 19, 38, 10]
    assert filters(build_model(width=2.0)) == [32, 64, 128, 128, 256, 64]
    assert build_model(width=0.5).count_params() < build_model().count_params()
