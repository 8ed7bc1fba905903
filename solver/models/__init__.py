"""The shipped model versions: `<version>.keras` with its LiteRT copy `<version>.tflite` (which the solver reads on a
CPU; `python -m trainer.litert` writes it) and its metadata `<version>.json` beside it.

The newest version (by name) is the one `Solver.load()` reads by default."""
