"""The failure queue written out as a labelled folder (images + labels.csv) that any other tool can read.

Waiting failures get an empty label for someone to fill in; relabelled ones carry what a person read."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from storage import AttemptOutcome, LabelSource, Store, StoredAttempt
from trainer.attempt_dataset import stored_labels
from trainer.dataset import LABELS_FILE

COLUMNS = ("file", "label", "attempt_id", "stock_code", "attempted_at", "model_version", "guess", "confidence")
QUEUE_LIMIT = 1_000_000
PNG_SIGNATURE = b"\x89PNG"


class ExportError(ValueError):
    """The folder cannot take the export; the message says what to do."""


@dataclass(frozen=True)
class FailuresExport:
    folder: Path
    written: int
    labelled: bool


def export_failures(store: Store, folder: Path, labelled: bool = False) -> FailuresExport:
    """Writes the waiting failure queue (newest first), or with `labelled` the rejected captchas people
    have labelled since, as `folder`/images/attempt-<id>.jpg and `folder`/labels.csv."""
    folder = Path(folder)
    if (folder / LABELS_FILE).exists():
        raise ExportError(f"{folder / LABELS_FILE} exists already; export into a new or empty folder")
    attempts = _relabelled(store) if labelled else store.failure_queue(limit=QUEUE_LIMIT)
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    rows = []
    for attempt in attempts:
        suffix = "png" if attempt.image.startswith(PNG_SIGNATURE) else "jpg"
        file = f"images/attempt-{attempt.id}.{suffix}"
        (folder / file).write_bytes(attempt.image)
        rows.append(
            (
                file,
                attempt.label or "",
                attempt.id,
                attempt.stock_code,
                attempt.attempted_at.isoformat(),
                attempt.model_version,
                attempt.guess,
                f"{attempt.confidence:.4f}",
            )
        )
    # labels.csv last, so a folder with one is always complete.
    partial = folder / f".{LABELS_FILE}.partial"
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    partial.replace(folder / LABELS_FILE)
    return FailuresExport(folder, len(rows), labelled)


def _relabelled(store: Store) -> list[StoredAttempt]:
    return [
        attempt
        for attempt in stored_labels(store)
        if attempt.outcome is AttemptOutcome.REJECTED and attempt.label_source is LabelSource.HUMAN
    ]
