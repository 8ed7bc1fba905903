"""`bsr train` and `bsr eval`: train a captcha model, and measure one on a labelled folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bsr.settings import get_settings
from trainer.config import TrainingConfig

if TYPE_CHECKING:
    from trainer.retrain import Retraining
    from trainer.training import ProgressHook

console = Console(stderr=True)


def train(
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="Where to write the model (.keras); metadata goes beside it. "
        "Required, except with --from-db (default: a new version in the data folder).",
    ),
    real: list[Path] = typer.Option([], "--real", help="A labelled folder (labels.csv: file,label); repeatable."),
    # The defaults are the trainer's own (trainer.config), which the help shows.
    synthetic: int = typer.Option(
        TrainingConfig.synthetic, "--synthetic", help="How many captchas to render with the replica's renderer."
    ),
    epochs: int = typer.Option(TrainingConfig.epochs, help="Most epochs to run."),
    batch_size: int = typer.Option(TrainingConfig.batch_size, help="Images per step."),
    learning_rate: float = typer.Option(TrainingConfig.learning_rate, help="Starting learning rate (cosine decay)."),
    patience: int = typer.Option(
        TrainingConfig.patience, help="Stop after this many epochs without a better validation score."
    ),
    seed: int = typer.Option(
        TrainingConfig.seed, help="Seed of initialisation, shuffling, augmentation and rendering."
    ),
    max_minutes: float = typer.Option(
        TrainingConfig.max_minutes or 0, help="Stop after this many minutes (0: no limit)."
    ),
    real_repeats: int = typer.Option(
        TrainingConfig.real_repeats, help="How often each real captcha appears per epoch."
    ),
    init_model: Path = typer.Option(TrainingConfig.init_model, help="Start from this model instead of random weights."),
    width: float = typer.Option(
        TrainingConfig.width,
        help="Scale every convolution's filters of a new model (1.0: the full network; the shipped recipe: 0.75).",
    ),
    # The command caches its renders where a library caller, whose default is no cache, chooses for itself.
    cache_dir: Path = typer.Option(Path("runs/cache"), help="Where rendered synthetic captchas are cached."),
    from_db: bool = typer.Option(
        False,
        "--from-db",
        help="Fine-tune the model in service on the stored labels and "
        "register the result as a new model version (see `bsr models`).",
    ),
    fresh: bool = typer.Option(False, help="With --from-db: start from random weights, not the model in service."),
) -> None:
    """Train a captcha model from labelled folders and/or synthetic captchas, or from the database."""
    from trainer.training import train as run_training

    if output is None and not from_db:
        raise typer.BadParameter("give --output FILE.keras (or --from-db)", param_hint="--output")
    if from_db and output is None:
        from trainer.versions import model_path, new_version_name

        output = model_path(get_settings().data_dir / "models", new_version_name())
    config = TrainingConfig(
        output=output,
        real=list(real),
        synthetic=synthetic,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patience=patience,
        seed=seed,
        max_minutes=max_minutes or None,
        real_repeats=real_repeats,
        init_model=init_model,
        cache_dir=cache_dir,
        width=width,
    )
    with Progress(
        TextColumn("epoch {task.fields[epoch]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}  val {task.fields[val]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("train", total=None, epoch=1, loss=float("nan"), val="-")

        def show(epoch: int, step: int, logs: dict[str, float]) -> None:
            if step < 0:
                val = f"{logs.get('val_sequence_accuracy', float('nan')):.4f}"
                console.log(f"epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f}, validation accuracy {val}")
                bar.update(task, completed=0, val=val)
            else:
                bar.update(task, completed=step, epoch=epoch + 1, loss=logs.get("loss", float("nan")))

        if from_db:
            retrained = _retrain(config, fresh, show)
            result = retrained.training
        else:
            result = run_training(config, progress=show)
    console.print(
        f"model {result.model_path}: best epoch {result.best_epoch} of {result.epochs_run}, "
        f"validation accuracy {result.validation_accuracy:.4f} "
        f"(characters {result.validation_char_accuracy:.4f}; {result.validation_source}), "
        f"{result.training_images} training images, {result.seconds / 60:.1f} min"
    )
    if from_db:
        baseline = (
            f"; {retrained.baseline} read {retrained.baseline_evaluation.accuracy:.1%}"
            if retrained.baseline_evaluation
            else ""
        )
        console.print(
            f"registered model version {retrained.version.name}: {retrained.evaluation.accuracy:.1%} of "
            f"{retrained.evaluation.n} held-out captchas{baseline}; "
            f"promote it with `bsr models promote {retrained.version.name}`"
        )


def _retrain(config: TrainingConfig, fresh: bool, show: ProgressHook) -> Retraining:
    from storage import Store
    from trainer.retrain import retrain

    settings = get_settings()
    with Store.open(settings.resolved_database_url) as store:
        return retrain(store, config, fresh=fresh, progress=show, model=settings.model)


def _model_in_service() -> Path | None:
    """The model file the bot runs (None: nothing named, active or shipped)."""
    from solver.solver import model_in_service
    from storage import Store

    settings = get_settings()
    with Store.open(settings.resolved_database_url) as store:
        in_service = model_in_service(settings.model, store.list_model_versions())
    return in_service.path if in_service else None


def evaluate(
    folder: Path = typer.Argument(None, help="A labelled folder (labels.csv: file,label); default: the real captchas."),
    model: str = typer.Option(
        None,
        "--model",
        help="A model file, folder or version; default: the one the bot runs "
        "(BSR_MODEL, else the active model version, else the newest shipped one).",
    ),
    split: str = typer.Option("all", help="all, or one side of the fixed split: validation (files *0) or training."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
) -> None:
    """Measure a model on a labelled folder: accuracy, latency, throughput, confused characters."""
    from trainer.evaluation import evaluate_folder

    settings = get_settings()
    result = evaluate_folder(folder or settings.captcha_data, model or _model_in_service(), split)
    if json_output:
        print(json.dumps(result.summary(), ensure_ascii=False))
        return
    table = Table(title=f"{result.model} on {folder or settings.captcha_data} ({split})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in [
        ("captchas", f"{result.n}"),
        ("whole-string accuracy", f"{result.accuracy:.4%}"),
        ("character accuracy", f"{result.char_accuracy:.4%}"),
        ("latency p50 / p95", f"{result.p50_ms:.2f} / {result.p95_ms:.2f} ms"),
        ("batch throughput", f"{result.batch_images_per_s:,.0f} images/s"),
    ]:
        table.add_row(name, value)
    Console().print(table)
    if result.confusions:
        pairs = ", ".join(f"{truth}->{read} x{count}" for truth, read, count in result.confusions)
        Console().print(f"most confused (truth->read): {pairs}")
