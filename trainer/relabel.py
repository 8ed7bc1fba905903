"""Relabelling the failure queue: rejected captchas a human reads, labels or marks unreadable.

The dashboard's failure page and the terminal command share these steps, so both check labels alike."""

from __future__ import annotations

from solver.alphabet import ALPHABET, TEXT_LENGTH
from storage import LabelSource, Store, StoredAttempt, normal_label

# What a person is asked to type, e.g. under the dashboard's label field.
LABEL_HELP = f"{TEXT_LENGTH} characters of {ALPHABET}, any case."


class RelabelError(ValueError):
    """A label that no captcha of the site could read; the message says what to type instead."""


def normalize_label(text: str) -> str:
    """The label in the form storage keeps it (trimmed, upper case), checked against the solver's alphabet:
    the one check of a label, for what people type and for labelled folders alike."""
    label = normal_label(text)
    if not label:
        raise RelabelError(f"type the {TEXT_LENGTH} characters the image shows, or mark it unreadable if nobody can")
    if len(label) > 4 * TEXT_LENGTH:
        # Checked first, so that a pasted page of text is neither scanned nor echoed back.
        raise RelabelError(f"that label has {len(label)} characters; every captcha has exactly {TEXT_LENGTH}")
    foreign = sorted({char for char in label if char not in ALPHABET})
    if foreign:
        shown = ", ".join(f"'{char}'" for char in foreign)
        raise RelabelError(
            f"{shown} never appear{'s' if len(foreign) == 1 else ''} in these captchas; "
            f"type only {ALPHABET} (no 0 1 5 B I M O S W)"
        )
    if len(label) != TEXT_LENGTH:
        raise RelabelError(f"'{label}' has {len(label)} characters; every captcha has exactly {TEXT_LENGTH}")
    return label


def save_label(store: Store, attempt_id: int, text: str) -> str:
    """Stores what a human read in the attempt's image; returns the label as stored."""
    label = normalize_label(text)
    store.label_attempt(attempt_id, label, LabelSource.HUMAN)
    return label


def mark_unreadable(store: Store, attempt_id: int) -> None:
    """Takes an image nobody can read out of the queue and out of training."""
    store.mark_unreadable(attempt_id)


def next_failure(store: Store, after_id: int | None = None) -> StoredAttempt | None:
    """The newest rejected attempt still waiting for a label, or the next one behind a skipped `after_id`."""
    queue = store.failure_queue(limit=1, after=after_id)
    return queue[0] if queue else None
