"""`bsr relabel`, `bsr models list|promote|rollback` and `bsr failures export`: the learning loop's commands.

The rooms are imported inside the commands, so that `bsr --help` does not load TensorFlow."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bsr.settings import get_settings

console = Console()
models_app = typer.Typer(
    help="Model versions: list them, promote one through the gate, roll back.", no_args_is_help=True
)
failures_app = typer.Typer(help="The failure queue: rejected captchas waiting for a label.", no_args_is_help=True)


def models_dir() -> Path:
    """Where `bsr train --from-db` writes new model versions."""
    return get_settings().data_dir / "models"


def relabel(
    open_images: bool = typer.Option(False, "--open", help="Also open each image in the system's viewer."),
    limit: int = typer.Option(0, min=0, help="Stop after this many answers (0: until the queue is empty)."),
) -> None:
    """Label rejected captchas in the terminal: type what the image reads, ? if nobody can, Enter to skip."""
    from storage import Store
    from trainer.relabel_console import relabel_in_terminal

    with Store.open(get_settings().resolved_database_url) as store:
        tally = relabel_in_terminal(store, console, console.input, open_images, limit)
    console.print(f"labelled {tally.labelled}, unreadable {tally.unreadable}, skipped {tally.skipped}")


@models_app.command("list")
def list_models() -> None:
    """Every registered model version, its figures, and which one the bot uses."""
    from storage import Store

    with Store.open(get_settings().resolved_database_url) as store:
        versions = store.list_model_versions()
    if not versions:
        console.print(
            "no model version registered; the bot uses the newest shipped model. Train one with `bsr train --from-db`."
        )
        return
    table = Table(title="Model versions (oldest first)")
    for column in (
        "version",
        "created (UTC)",
        "active",
        "accuracy",
        "baseline accuracy",
        "held out",
        "stored labels",
        "path",
    ):
        table.add_column(column)
    for version in versions:
        figures = version.metrics
        table.add_row(
            version.name,
            f"{version.created_at:%Y-%m-%d %H:%M}",
            "yes" if version.active else ("rolled back" if version.rolled_back_at else ""),
            _percent(figures.get("accuracy")),
            _percent(figures.get("baseline_accuracy")),
            f"{figures['evaluated']:.0f}" if "evaluated" in figures else "",
            f"{figures['stored_labels']:.0f}" if "stored_labels" in figures else "",
            version.path,
        )
    console.print(table)


@models_app.command("promote")
def promote(
    version: str = typer.Argument(..., help="The version to make active, as `bsr models list` shows it."),
    force: bool = typer.Option(False, "--force", help="Promote even if it reads worse than the active model."),
    eval_folder: Path = typer.Option(None, help="Also judge on this labelled folder's validation split (*0)."),
) -> None:
    """Make a version active if it reads the newest held-out captchas at least as well as the model in service
    (BSR_MODEL if set, else the active version)."""
    from storage import Store
    from trainer.versions import promote as run_promotion

    settings = get_settings()
    with Store.open(settings.resolved_database_url) as store:
        promotion = run_promotion(store, version, force, eval_folder, settings.model)
    if settings.model:
        console.print(f"{promotion.summary()}; the bot keeps running {settings.model} while BSR_MODEL names it")
    else:
        console.print(f"{promotion.summary()}; the bot uses it from its next job")


@models_app.command("rollback")
def rollback() -> None:
    """Reactivate the version that was active before the current one."""
    from storage import Store
    from trainer.versions import rollback as run_rollback

    with Store.open(get_settings().resolved_database_url) as store:
        restored = run_rollback(store)
    console.print(f"rolled back: {restored.name} is active again; the bot uses it from its next job")


@failures_app.command("export")
def export_failures(
    folder: Path = typer.Argument(..., help="A new or empty folder for images/ and labels.csv."),
    labelled: bool = typer.Option(False, "--labelled", help="The relabelled failures instead of the waiting ones."),
) -> None:
    """Write the failure queue as a labelled folder (labels.csv: file,label,...) for any other tool."""
    from storage import Store
    from trainer.failures_export import export_failures as run_export

    with Store.open(get_settings().resolved_database_url) as store:
        result = run_export(store, folder, labelled)
    what = "relabelled failures" if labelled else "waiting failures (label empty)"
    console.print(f"{result.written} {what} written to {result.folder / 'labels.csv'}")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"
