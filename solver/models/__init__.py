"""The shipped model versions: `<version>.keras`, its LiteRT copy `<version>.tflite` (`python -m trainer.litert`
writes one) and its metadata `<version>.json`. The newest version by name is the one `Solver.load()` reads."""
