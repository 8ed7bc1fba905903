"""The shipped model versions: `<version>.keras` with its metadata `<version>.json` beside it.

The newest version (by name) is the one `Solver.load()` reads by default."""
