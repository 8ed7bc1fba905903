"""Print what starting the solver costs a fresh process: import, load, first answer, memory, libraries imported.
Memory is the peak after 100 single captchas; the libraries are TensorFlow, Keras and JAX. Usage, from the
repository root: python -m benchmarks.solver_load [DATA_DIR] [--model M] [--runs 5] [--json]"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bsr.settings import get_settings

# One fresh process: the clock starts before the solver's first import; ru_maxrss is the process's peak (KiB).
LOAD_AND_SOLVE = """
import json, resource, sys, time
started = time.perf_counter()
from solver import Solver
imported = time.perf_counter()
solver = Solver.load(sys.argv[1] or None)
loaded = time.perf_counter()
images = [open(path, "rb").read() for path in sys.argv[2:]]
solver.solve(images[0])
first = time.perf_counter()
for image in images:
    solver.solve(image)
print(json.dumps({
    "import_s": imported - started, "load_s": loaded - imported, "first_solve_ms": (first - loaded) * 1000,
    "ready_s": first - started, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "runtime": solver.info["runtime"], "device": solver.info["device"],
    "heavy_modules": sorted({name.split(".")[0] for name in sys.modules} & {"tensorflow", "keras", "jax"}),
}))
"""
FIGURES = ("import_s", "load_s", "first_solve_ms", "ready_s", "peak_rss_mib")


def captcha_files(folder: Path, count: int) -> list[str]:
    """The first `count` captchas of a labelled folder, in the order of its labels.csv."""
    with open(folder / "labels.csv", newline="") as handle:
        return [str(folder / row["file"]) for row, _ in zip(csv.DictReader(handle), range(count), strict=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data", nargs="?", type=Path, default=None, help="a labelled folder (default: BSR_CAPTCHA_DATA)"
    )
    parser.add_argument("--model", default="", help="the model to load (default: the newest shipped one)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes, one after the other")
    parser.add_argument("--captchas", type=int, default=100, help="single captchas each process reads")
    parser.add_argument("--json", action="store_true", help="print the runs and medians as one JSON object")
    args = parser.parse_args()
    files = captcha_files(args.data or get_settings().captcha_data, args.captchas)
    runs = []
    for _ in range(args.runs):
        answer = subprocess.run(
            [sys.executable, "-c", LOAD_AND_SOLVE, args.model, *files], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(answer.stdout.strip().splitlines()[-1]))
    medians = {figure: statistics.median(run[figure] for run in runs) for figure in FIGURES}
    if args.json:
        print(json.dumps({"runs": runs, "medians": medians}))
        return
    print(
        f"{runs[0]['runtime']} on {runs[0]['device']}, {args.runs} fresh processes, {len(files)} single captchas "
        f"each; imported: {', '.join(runs[0]['heavy_modules']) or 'none of tensorflow, keras, jax'}"
    )
    print("| figure | median | runs |")
    print("|---|---:|---|")
    for figure in FIGURES:
        print(f"| {figure} | {medians[figure]:.2f} | {', '.join(f'{run[figure]:.2f}' for run in runs)} |")


if __name__ == "__main__":
    main()
