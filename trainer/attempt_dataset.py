"""Stored solve attempts as training data: what counts as a label, one example per image, split by time.

Labels are answers the site accepted and what people read in rejected captchas; unreadable ones never count."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from storage import LabelSource, Store, StoredAttempt
from trainer.dataset import CaptchaSet, DatasetError, check_label

# The newest fifth of the stored labels judges a model trained on the older rest.
EVALUATION_FRACTION = 0.2
PAGE_SIZE = 1000


@dataclass(frozen=True)
class LabelledImage:
    """One captcha image as the database knows it: the earliest attempt that showed it and what it reads."""

    attempt_id: int
    attempted_at: datetime
    image: bytes
    image_sha256: str
    label: str
    source: LabelSource

    @property
    def name(self) -> str:
        return f"attempt-{self.attempt_id}"


@dataclass(frozen=True)
class TimeSplit:
    """Older images to train on, the newest to evaluate on; `trained_until` is the newest training image's time."""

    training: list[LabelledImage]
    evaluation: list[LabelledImage]
    trained_until: datetime | None


def stored_labels(store: Store) -> list[StoredAttempt]:
    """Every readable attempt with a label from the site or a person, oldest id first."""
    attempts: list[StoredAttempt] = []
    while page := store.labelled_attempts(
        (LabelSource.SITE, LabelSource.HUMAN),
        after_id=attempts[-1].id if attempts else 0,
        limit=PAGE_SIZE,
    ):
        attempts.extend(page)
    return attempts


def deduplicate(attempts: Iterable[StoredAttempt]) -> tuple[list[LabelledImage], int]:
    """One example per image hash, oldest first, and how many labels were dropped as unusable.

    The earliest attempt dates the image, so an image trained on never reappears as a newer test. The site's
    verdict beats a person's reading of the same image; among people, the newest attempt's label wins."""
    by_hash: dict[str, list[StoredAttempt]] = {}
    for attempt in attempts:
        if attempt.unreadable or attempt.label is None or attempt.label_source is LabelSource.NONE:
            continue
        by_hash.setdefault(attempt.image_sha256, []).append(attempt)
    images, dropped = [], 0
    for same_image in by_hash.values():
        same_image.sort(key=lambda attempt: (attempt.attempted_at, attempt.id))
        site = [attempt for attempt in same_image if attempt.label_source is LabelSource.SITE]
        chosen = site[0] if site else same_image[-1]
        try:
            label = check_label(chosen.label or "", f"attempt {chosen.id}")
        except DatasetError:
            # An accepted 查無資料 answer or a stray label that no captcha can read teaches nothing.
            dropped += 1
            continue
        first = same_image[0]
        images.append(
            LabelledImage(first.id, first.attempted_at, first.image, first.image_sha256, label, chosen.label_source)
        )
    images.sort(key=lambda image: (image.attempted_at, image.attempt_id))
    return images, dropped


def split_by_time(images: Sequence[LabelledImage], evaluation_fraction: float = EVALUATION_FRACTION) -> TimeSplit:
    """The newest `evaluation_fraction` of the images (at least one, once there are two) to evaluate on."""
    if not 0 < evaluation_fraction < 1:
        raise ValueError(f"evaluation fraction {evaluation_fraction} must lie between 0 and 1, e.g. 0.2")
    ordered = sorted(images, key=lambda image: (image.attempted_at, image.attempt_id))
    held_out = max(1, round(len(ordered) * evaluation_fraction)) if len(ordered) >= 2 else 0
    training, evaluation = ordered[: len(ordered) - held_out], ordered[len(ordered) - held_out :]
    return TimeSplit(training, evaluation, training[-1].attempted_at if training else None)


def newer_than(images: Sequence[LabelledImage], trained_until: datetime | None) -> list[LabelledImage]:
    """The images a model trained on everything up to `trained_until` has never seen."""
    if trained_until is None:
        return list(images)
    return [image for image in images if image.attempted_at > trained_until]


def as_captcha_set(images: Sequence[LabelledImage]) -> CaptchaSet:
    """The images preprocessed like any other training data, named attempt-<id>, original bytes kept."""
    return CaptchaSet.from_pairs(((image.image, image.label) for image in images), [image.name for image in images])


def timestamp(moment: datetime | None) -> float | None:
    """A time as POSIX seconds, the form model-version figures store it in."""
    return None if moment is None else moment.timestamp()


def from_timestamp(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
