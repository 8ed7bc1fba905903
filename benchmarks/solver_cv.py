"""Cross-validate a training recipe on the real captchas: ten folds, each read by a model trained on the other nine.
Prints errors, confusions, calibration, time, size and the refresh threshold. Usage, from the repository root:
python -m benchmarks.solver_cv [DATA_DIR] [--quick] [--synthetic-only] [--folds 0,3] [--name NAME] ... | --compare DIR ..."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bot.options import FetchOptions
from bsr.settings import get_settings
from solver.solver import REREAD_BELOW
from trainer.cross_validation import (
    TRAINED,
    CrossValidation,
    CrossValidationError,
    PartRun,
    cross_validate,
    load_parts,
    shipped_recipe,
    summarise,
)
from trainer.dataset import FOLDS, DatasetError, load_folder
from trainer.evaluation import LATENCY_SAMPLES
from trainer.training import SYNTHETIC_VALIDATION

RUNS_DIR = Path("runs/solver-cv")
# A refresh is one more try at the job's default pace (FetchOptions.rate tries a second).
REFRESH_S = 1 / FetchOptions.rate
# A wrong answer spends its own try and, as scrapers of the site do (SITE.md), a couple of seconds before the
# next. No figure of the live site's answer times is measured here: both are assumptions, set by option.
WRONG_S = REFRESH_S + 2.0
# A run small enough to check the machinery in a couple of minutes: two folds, a few hundred captchas each.
QUICK = {"folds": "0,1", "epochs": 1, "synthetic": 2000, "real_repeats": 1, "limit": 300, "validation_renders": 500}

# Most confusions and mistakes printed; a weak recipe's long tail says nothing more.
SHOWN = 40

console = Console()


def parse_args() -> argparse.Namespace:
    recipe = shipped_recipe()
    parser = argparse.ArgumentParser(
        description="Cross-validate a training recipe on the real captchas, each read by a model that never saw it."
    )
    parser.add_argument("data_dir", nargs="?", type=Path, default=get_settings().captcha_data)
    parser.add_argument("--folds", default=None, help="the folds to run, e.g. 0,3 (default: all ten)")
    parser.add_argument(
        "--synthetic-only",
        action="store_true",
        help="one model trained on no real captcha reads all of them (no folds)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="; ".join(f"{key} {value}" for key, value in QUICK.items())
    )
    parser.add_argument(
        "--name", default=None, help="the recipe's name (default: shipped-recipe, synthetic-only, quick)"
    )
    parser.add_argument("--out", type=Path, default=None, help=f"where parts are saved (default: {RUNS_DIR}/NAME)")
    parser.add_argument(
        "--compare", nargs="+", type=Path, default=None, metavar="DIR", help="print a table of saved runs and stop"
    )
    parser.add_argument("--epochs", type=int, default=None, help=f"default: the shipped model's, {recipe.epochs}")
    parser.add_argument("--synthetic", type=int, default=None, help=f"default: {recipe.synthetic}")
    parser.add_argument("--real-repeats", type=int, default=None, help=f"default: {recipe.real_repeats}")
    parser.add_argument("--batch-size", type=int, default=None, help=f"default: {recipe.batch_size}")
    parser.add_argument("--learning-rate", type=float, default=None, help=f"default: {recipe.learning_rate}")
    parser.add_argument("--patience", type=int, default=None, help=f"default: {recipe.patience}")
    parser.add_argument("--seed", type=int, default=None, help=f"default: {recipe.seed}")
    parser.add_argument(
        "--width", type=float, default=None, help=f"scales every convolution's filters (default: {recipe.width})"
    )
    parser.add_argument("--max-minutes", type=float, default=None, help="a time budget per fold (default: none)")
    parser.add_argument(
        "--init-from",
        type=Path,
        default=None,
        metavar="DIR",
        help="go on training from another run's models, each part from its own (e.g. "
        f"{RUNS_DIR}/shipped-recipe): the recipe is that run's and then this one",
    )
    parser.add_argument("--limit", type=int, default=None, help="read only the first N captchas of each part")
    parser.add_argument(
        "--validation-renders",
        type=int,
        default=None,
        help=f"held-out renders that pick the best epoch (default: {SYNTHETIC_VALIDATION})",
    )
    parser.add_argument("--latency-samples", type=int, default=LATENCY_SAMPLES)
    parser.add_argument(
        "--reread-below",
        type=float,
        default=REREAD_BELOW,
        help=f"the solver's reread threshold (default: {REREAD_BELOW:g}; 0 reads each captcha once); "
        "saved parts read with another are read again by their saved models",
    )
    parser.add_argument(
        "--refresh-s",
        type=float,
        default=REFRESH_S,
        help="seconds a refresh costs (default: one try at the job's default pace; an assumption)",
    )
    parser.add_argument(
        "--wrong-s",
        type=float,
        default=WRONG_S,
        help="seconds a wrong answer costs (default: a try and a couple of seconds; an assumption)",
    )
    parser.add_argument("--cache-dir", type=Path, default=Path("runs/cache"), help="where renders are cached")
    parser.add_argument("--workers", type=int, default=recipe.workers, help="processes that render")
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
    args.recipe = replace(
        recipe,
        real=[args.data_dir],
        cache_dir=args.cache_dir,
        workers=args.workers,
        max_minutes=args.max_minutes,
        init_model=args.init_from,
        **{
            key: getattr(args, key)
            for key in (
                "epochs",
                "synthetic",
                "real_repeats",
                "batch_size",
                "learning_rate",
                "patience",
                "seed",
                "width",
            )
            if getattr(args, key) is not None
        },
    )
    args.name = args.name or ("quick" if args.quick else "synthetic-only" if args.synthetic_only else "shipped-recipe")
    args.out = args.out or RUNS_DIR / args.name
    return args


def part_line(run: PartRun, how: str) -> str:
    wrong = sum(not reading.correct for reading in run.readings)
    return (
        f"{run.part}: trained {run.train_s:,.0f} s on {run.training_images:,} images (best epoch "
        f"{run.best_epoch} of {run.epochs_run}), read {len(run.readings):,} in {run.predict_s:.2f} s "
        f"({run.images_per_s:,.0f}/s, p50 {run.p50_ms:.2f} ms), {run.model_bytes / 1e6:.2f} MB, {wrong} wrong"
        + ("" if how == TRAINED else f" ({how})")
    )


def train_with_progress(args: argparse.Namespace, folds: list[int | None]) -> None:
    started = time.monotonic()
    data = load_folder(args.data_dir)
    real = "no real captcha" if folds == [None] else f"real x{args.recipe.real_repeats}"
    print(
        f"{len(data):,} captchas from {args.data_dir} in {time.monotonic() - started:.0f} s; "
        f"recipe {args.name}: {args.recipe.epochs} epochs, {args.recipe.synthetic:,} renders, {real}; "
        f"saved in {args.out}"
    )
    with Progress(
        TextColumn("epoch {task.fields[epoch]}"),
        BarColumn(),
        TextColumn("step {task.completed}  loss {task.fields[loss]:.4f}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("train", total=None, epoch=1, loss=float("nan"))

        def show(epoch: int, step: int, logs: dict[str, float]) -> None:
            if step < 0:
                print(
                    f"epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f}, held-out renders read "
                    f"{logs.get('val_sequence_accuracy', float('nan')):.4f}"
                )
                bar.update(task, completed=0)
            else:
                bar.update(task, completed=step, epoch=epoch + 1, loss=logs.get("loss", float("nan")))

        def done(run: PartRun, how: str) -> None:
            print(part_line(run, how))

        cross_validate(
            data,
            folds,
            args.recipe,
            args.out,
            args.limit,
            args.validation_renders or SYNTHETIC_VALIDATION,
            args.latency_samples,
            show,
            done,
            args.reread_below,
        )


def print_summary(figures: CrossValidation, args: argparse.Namespace) -> None:
    names = ", ".join(run.part for run in figures.parts)
    print(
        f"\n{args.name}: {figures.n:,} captchas read by models that never saw them ({names}); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, device {figures.parts[0].device}; read again "
        f"five ways below confidence {args.reread_below:g}"
    )
    print(
        f"whole-string errors: {figures.wrong} of {figures.n:,} ({figures.error_rate:.3%}); character errors: "
        f"{figures.char_errors} of {figures.n * 5:,}"
    )
    if figures.confusions:
        print(
            "confusions (truth->read): "
            + ", ".join(f"{t}->{r} x{c}" for t, r, c in figures.confusions[:SHOWN])
            + more(len(figures.confusions), "pairs")
        )
    print("\n| confidence | captchas | accepted | accepted share |\n|---|---:|---:|---:|")
    for bucket in figures.buckets:
        share = "-" if bucket.accuracy is None else f"{bucket.accuracy:.2%}"
        closing = "]" if bucket.high == 1.0 else ")"
        print(f"| [{bucket.low:g}, {bucket.high:g}{closing} | {bucket.judged:,} | {bucket.accepted:,} | {share} |")
    print("\n| part | captchas | wrong | train s | predict s | images/s | p50 ms | p95 ms | model bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in figures.parts:
        wrong = sum(not reading.correct for reading in run.readings)
        print(
            f"| {run.part} | {len(run.readings):,} | {wrong} | {run.train_s:,.0f} | {run.predict_s:.2f} | "
            f"{run.images_per_s:,.0f} | {run.p50_ms:.2f} | {run.p95_ms:.2f} | {run.model_bytes:,} |"
        )
    cheapest = figures.threshold
    costs = (
        f"a refresh costing {args.refresh_s:g} s and a wrong answer {args.wrong_s:g} s (assumed, not measured; "
        f"--refresh-s, --wrong-s; a refresh pays where more than {args.refresh_s / args.wrong_s:.0%} of the "
        "answers would be wrong)"
    )
    if not cheapest.refreshed:
        print(
            f"\nrefresh threshold, {costs}: none pays, answering every captcha loses "
            f"{cheapest.never_refresh_cost_s:.4f} s per captcha"
        )
    else:
        print(
            f"\nrefresh threshold, {costs}: refresh below {cheapest.threshold:.4f}, {cheapest.refresh_share:.2%} of "
            f"captchas ({cheapest.refreshed:,}), avoiding {cheapest.wrong_avoided} of {figures.wrong} wrong answers: "
            f"{cheapest.cost_s:.4f} s lost per captcha against {cheapest.never_refresh_cost_s:.4f} s answering every "
            "one"
        )
    print("wrong readings, the most confident first:" if figures.mistakes else "no wrong reading")
    for mistake in figures.mistakes[:SHOWN]:
        print(
            f"  wrong: {mistake.file} truth {mistake.label} read {mistake.guess} confidence {mistake.confidence:.3f}"
            f" (characters {' '.join(f'{p:.2f}' for p in mistake.char_confidences)})"
        )
    if len(figures.mistakes) > SHOWN:
        print(f" {more(len(figures.mistakes), 'wrong readings')} in {args.out}/*.json")


def more(count: int, what: str) -> str:
    return f" and {count - SHOWN} more {what}" if count > SHOWN else ""


def print_comparison(folders: list[Path], refresh_s: float, wrong_s: float) -> None:
    print(
        "| run | parts | captchas | wrong | error | character errors | p50 ms | batch images/s | model bytes | "
        "train min |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for folder in folders:
        figures = summarise(load_parts(folder), refresh_s, wrong_s)
        parts = figures.parts
        print(
            f"| {folder.name} | {len(parts)} | {figures.n:,} | {figures.wrong} | {figures.error_rate:.3%} | "
            f"{figures.char_errors} | {statistics.median(run.p50_ms for run in parts):.2f} | "
            f"{statistics.median(run.images_per_s for run in parts):,.0f} | "
            f"{max(run.model_bytes for run in parts):,} | {sum(run.train_s for run in parts) / 60:,.1f} |"
        )


def main() -> None:
    args = parse_args()
    try:
        if args.compare:
            print_comparison(args.compare, args.refresh_s, args.wrong_s)
            return
        folds: list[int | None] = (
            [None]
            if args.synthetic_only
            else ([int(fold) for fold in args.folds.split(",")] if args.folds else list(range(FOLDS)))
        )
        train_with_progress(args, folds)
        print_summary(summarise(load_parts(args.out), args.refresh_s, args.wrong_s), args)
    except (CrossValidationError, DatasetError) as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
