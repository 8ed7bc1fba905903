"""The learning loop closed against the replica replaying real captchas: a weak model fetches, a simulated person
relabels its failures, the trainer fine-tunes and promotes, and the bot fetches again on captchas the first fetch
never showed. Prints acceptance and attempts per report before and after, and the human labels it took."""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.console import load_solver
from bot.job import FetchJob, FetchOptions, FetchSummary
from bot.universe import twstock_securities
from bsr.demo import replica_process
from bsr.settings import get_settings
from solver import Solver
from storage import AsyncStore, AttemptOutcome, Store, normal_label
from trainer.attempt_dataset import as_captcha_set, deduplicate, split_by_time, stored_labels
from trainer.dataset import LABELS_FILE, is_validation_name, load_folder, synthetic
from trainer.relabel import next_failure, save_label
from trainer.retrain import retrain
from trainer.training import TrainingConfig, train
from trainer.versions import PromotionError, model_path, new_version_name, promote

console = Console()


def replay_pools(data_dir: Path, workdir: Path) -> tuple[Path, Path, dict[str, str]]:
    """Two replay folders over the real training files (odd / even numbers; their labels.csv names the
    originals, nothing is copied) and every real image's true label by the SHA-256 of its bytes."""
    with (data_dir / LABELS_FILE).open(encoding="utf-8-sig", newline="") as handle:
        rows = [(row["file"], normal_label(row["label"])) for row in csv.DictReader(handle)]
    truth = {hashlib.sha256((data_dir / file).read_bytes()).hexdigest(): label for file, label in rows}
    training_rows = [(file, label) for file, label in rows if not is_validation_name(file)]
    pools = []
    for parity, name in ((1, "pool-odd"), (0, "pool-even")):
        folder = workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["file,label"] + [
            f"{(data_dir / file).resolve()},{label}"
            for file, label in training_rows
            if int(Path(file).stem) % 2 == parity
        ]
        (folder / LABELS_FILE).write_text("\n".join(lines) + "\n")
        pools.append(folder)
    return pools[0], pools[1], truth


def weak_model(args: argparse.Namespace, workdir: Path) -> Path:
    """The given weak model, or one trained briefly on synthetic captchas only."""
    if args.weak_model:
        return Path(args.weak_model)
    output = workdir / "models" / "weak-synthetic.keras"
    started = time.monotonic()
    result = train(
        TrainingConfig(
            output=output,
            synthetic=args.weak_synthetic,
            epochs=args.weak_epochs,
            patience=args.weak_epochs,
            seed=args.seed,
            cache_dir=Path("runs/cache"),
        )
    )
    console.print(
        f"weak model: {args.weak_synthetic} synthetic captchas x {args.weak_epochs} epochs in "
        f"{time.monotonic() - started:.0f} s (synthetic validation {result.validation_accuracy:.1%})"
    )
    return result.model_path


async def fetch_round(store: Store, base_url: str, codes: list[str], workdir: Path, concurrency: int) -> FetchSummary:
    """One job as `bsr fetch` runs it: the solver is the store's active model version, loaded for the job."""
    async_store = AsyncStore(store)
    solver = await load_solver("", async_store)
    options = FetchOptions(
        base_url=base_url, evidence_dir=workdir / "evidence", stock_codes=tuple(codes), concurrency=concurrency, rate=0
    )
    console.print(f"fetching {len(codes)} securities with {solver.model_version}")
    return await FetchJob(options, solver, async_store).run()


def relabel_failures(store: Store, truth: dict[str, str]) -> int:
    """A simulated person works through the failure queue with trainer.relabel, as the dashboard does,
    answering with the true label of each image."""
    labelled = 0
    while (attempt := next_failure(store)) is not None:
        save_label(store, attempt.id, truth[attempt.image_sha256])
        labelled += 1
    return labelled


def control_model(store: Store, weak: Path, config: TrainingConfig) -> Path:
    """The same fine-tuning of the weak model on the synthetic captchas alone, its best epoch picked on the
    same held-out stored labels: how much of the gain the stored labels bring."""
    images, _ = deduplicate(stored_labels(store))
    held_out = as_captcha_set(split_by_time(images).evaluation)
    control = replace(config, output=config.output.with_name("control-synthetic-only.keras"), init_model=weak)
    training_set = synthetic(config.synthetic, config.seed, config.workers, config.cache_dir)
    return train(control, data=(training_set, held_out, "the newest stored labels")).model_path


def acceptance(summary: FetchSummary) -> float:
    judged = summary.attempts[AttemptOutcome.ACCEPTED] + summary.attempts[AttemptOutcome.REJECTED]
    return summary.attempts[AttemptOutcome.ACCEPTED] / judged if judged else float("nan")


def offline_accuracy(model: Path, data_dir: Path) -> float:
    _, validation = load_folder(data_dir).split_validation()
    solutions = Solver.load(model).solve_many(validation.raw)
    return sum(solution.text == text for solution, text in zip(solutions, validation.texts, strict=True)) / len(
        validation
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--replay-dir",
        type=Path,
        default=get_settings().captcha_data,
        help="Real labelled captchas (labels.csv: file,label).",
    )
    parser.add_argument("--securities", type=int, default=300, help="Securities fetched in each round.")
    parser.add_argument("--weak-model", default="", help="Start from this model instead of training a weak one.")
    parser.add_argument("--weak-synthetic", type=int, default=16000, help="Synthetic captchas of the weak model.")
    parser.add_argument("--weak-epochs", type=int, default=1, help="Epochs of the weak model.")
    parser.add_argument("--epochs", type=int, default=20, help="Most epochs of the fine-tuning.")
    parser.add_argument("--learning-rate", type=float, default=5e-4, help="Fine-tuning learning rate.")
    parser.add_argument(
        "--synthetic",
        type=int,
        default=4000,
        help="Synthetic captchas mixed into the fine-tuning, so it does not forget them.",
    )
    parser.add_argument("--real-repeats", type=int, default=2, help="Times each stored label is seen per epoch.")
    parser.add_argument(
        "--control",
        action="store_true",
        help="Also fine-tune on the synthetic captchas alone, to show what the stored labels add.",
    )
    parser.add_argument("--concurrency", type=int, default=2, help="Browser contexts of each fetch.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="Keep the database and models here.")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bsr-learning-loop-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    first_pool, second_pool, truth = replay_pools(args.replay_dir, workdir)
    weak = weak_model(args, workdir)
    with Store.open(f"sqlite:///{workdir / 'bsr.sqlite3'}") as store:
        store.register_model_version(weak.stem, weak.resolve(), {})
        store.activate_model_version(weak.stem)

        with replica_process(first_pool, console) as base_url:
            codes = [security.code for security in twstock_securities()]
            before = asyncio.run(fetch_round(store, base_url, codes[: args.securities], workdir, args.concurrency))
        human_labels = relabel_failures(store, truth)
        console.print(f"relabelled {human_labels} failures")

        name = new_version_name()
        # Another seed than the weak model's: its synthetic captchas are new to the model being tuned.
        config = TrainingConfig(
            output=model_path(workdir / "models", name),
            synthetic=args.synthetic,
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            patience=4,
            seed=args.seed + 1,
            real_repeats=args.real_repeats,
            cache_dir=Path("runs/cache"),
        )
        retrained = retrain(store, config)
        console.print(
            f"retrained {name} in {retrained.training.seconds:.0f} s on {retrained.stored_labels} stored "
            f"labels ({retrained.human_labels} human): {retrained.evaluation.accuracy:.1%} of "
            f"{retrained.evaluation.n} held-out against {retrained.baseline_evaluation.accuracy:.1%}"
            if retrained.baseline_evaluation
            else f"retrained {name}"
        )
        try:
            console.print(promote(store, name).summary())
        except PromotionError as refused:
            console.print(f"[yellow]{refused}[/]: the second fetch runs with the weak model again")

        with replica_process(second_pool, console) as base_url:
            after = asyncio.run(
                fetch_round(store, base_url, codes[args.securities : 2 * args.securities], workdir, args.concurrency)
            )
        in_service = store.active_model_version()
        assert in_service is not None  # the weak model at least
        control = control_model(store, weak, config) if args.control and args.synthetic else None

    table = Table(title=f"Learning loop over real captchas ({args.securities} securities per fetch)")
    table.add_column("figure")
    table.add_column(f"before ({weak.stem})", justify="right")
    table.add_column(f"after ({in_service.name})", justify="right")
    table.add_row(
        "acceptance rate (accepted / judged answers)", f"{acceptance(before):.1%}", f"{acceptance(after):.1%}"
    )
    table.add_row("attempts per report", f"{before.attempts_per_report:.3f}", f"{after.attempts_per_report:.3f}")
    table.add_row("securities failed (5 answers spent)", f"{len(before.failures)}", f"{len(after.failures)}")
    table.add_row("captcha answers", f"{before.answers}", f"{after.answers}")
    table.add_row(
        "offline: real validation split (files *0)",
        f"{offline_accuracy(weak, args.replay_dir):.1%}",
        f"{offline_accuracy(Path(in_service.path), args.replay_dir):.1%}",
    )
    console.print(table)
    if control is not None:
        console.print(
            f"control: the same fine-tuning on the {args.synthetic} synthetic captchas alone reads "
            f"{offline_accuracy(control, args.replay_dir):.1%} of the real validation split"
        )
    console.print(
        f"human labels: {human_labels} (the failures of the first fetch); stored labels trained on: "
        f"{retrained.stored_labels}; fine-tuning {retrained.training.seconds:.0f} s; "
        f"whole loop {(time.monotonic() - started) / 60:.1f} min; database and models in {workdir}"
    )


if __name__ == "__main__":
    main()
