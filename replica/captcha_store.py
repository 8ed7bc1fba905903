"""The captchas the replica has issued, keyed by guid, and the two places their images come from.

Synthetic captchas are drawn by replica.captcha; replayed ones are the real labelled images of a folder."""

from __future__ import annotations

import csv
import enum
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from replica import captcha
from replica.config import ReplicaConfig


class ReplayDataError(ValueError):
    """The replay folder is missing or malformed; the message says what it must hold."""


class AnswerCheck(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    TOO_FAST = "too_fast"
    EXPIRED = "expired"


class CaptchaSource(Protocol):
    def new_answer(self) -> tuple[str, str]:
        """A new captcha's answer and the key its image is drawn from."""
        ...

    def image(self, answer: str, image_key: str) -> bytes:
        """The JPEG bytes of a captcha."""
        ...


class SyntheticCaptchas:
    """Captchas drawn by the replica's renderer; each fetch redraws the same text with new warp and noise."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def new_answer(self) -> tuple[str, str]:
        text = captcha.random_text(self._rng)
        return text, text

    def image(self, answer: str, image_key: str) -> bytes:
        return captcha.render(answer, self._rng)


class ReplayCaptchas:
    """The real captchas of a folder with `labels.csv` (`file,label`), served byte for byte."""

    def __init__(self, folder: Path, rng: random.Random) -> None:
        self._folder = folder
        self._rng = rng
        self._labelled = _read_labels(folder)

    def new_answer(self) -> tuple[str, str]:
        file, label = self._rng.choice(self._labelled)
        return label, file

    def image(self, answer: str, image_key: str) -> bytes:
        return (self._folder / image_key).read_bytes()


def _read_labels(folder: Path) -> list[tuple[str, str]]:
    labels = folder / "labels.csv"
    if not labels.is_file():
        raise ReplayDataError(
            f"no labels.csv in {folder}: give --replay-dir a folder of captchas with labels.csv (file,label)"
        )
    with labels.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        if reader.fieldnames is None or not {"file", "label"} <= set(reader.fieldnames):
            raise ReplayDataError(f"{labels} must start with the header `file,label`")
        rows = [(row["file"], row["label"].strip()) for row in reader]
    if not rows:
        raise ReplayDataError(f"{labels} lists no captchas")
    for line, (file, label) in enumerate(rows, start=2):
        if not label or not file:
            raise ReplayDataError(f"{labels} line {line}: every row needs a file and a label")
    missing = next((file for file, _ in rows if not (folder / file).is_file()), None)
    if missing is not None:
        raise ReplayDataError(f"{labels} lists {missing}, which is not in {folder}")
    return rows


@dataclass
class IssuedCaptcha:
    answer: str
    image_key: str
    issued_at: float


class CaptchaStore:
    """Issued captchas by guid. Each allows one answer, right or wrong, and expires after the configured TTL.

    TTL and minimum answer delay are read from the live config, so tests can change them while it runs;
    time is read from `clock`, so tests can move it on instead of waiting."""

    def __init__(
        self, source: CaptchaSource, config: ReplicaConfig, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.source = source
        self._config = config
        self._clock = clock
        self._issued: OrderedDict[str, IssuedCaptcha] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new captcha's guid."""
        answer, image_key = self.source.new_answer()
        guid = str(uuid.uuid4())
        with self._lock:
            self._forget_expired()
            self._issued[guid] = IssuedCaptcha(answer, image_key, self._clock())
        return guid

    def image(self, guid: str) -> bytes | None:
        """The captcha's image, or None when the guid is unknown, answered or expired (the site's 404)."""
        with self._lock:
            issued = self._live(guid)
        return None if issued is None else self.source.image(issued.answer, issued.image_key)

    def check(self, guid: str, answer: str) -> AnswerCheck:
        """Compare an answer case-insensitively; any answer uses the captcha up."""
        with self._lock:
            issued = self._live(guid)
            self._issued.pop(guid, None)
        if issued is None:
            return AnswerCheck.EXPIRED
        if self._clock() - issued.issued_at < self._config.min_answer_delay_s:
            return AnswerCheck.TOO_FAST
        return AnswerCheck.RIGHT if answer.strip().upper() == issued.answer.upper() else AnswerCheck.WRONG

    def answer_of(self, guid: str) -> str | None:
        """The answer of a live captcha: lets tests of the replica and of its clients play a perfect solver."""
        with self._lock:
            issued = self._live(guid)
        return None if issued is None else issued.answer

    def clear(self) -> None:
        with self._lock:
            self._issued.clear()

    def _live(self, guid: str) -> IssuedCaptcha | None:
        issued = self._issued.get(guid)
        if issued is None or self._clock() - issued.issued_at >= self._config.captcha_ttl_s:
            return None
        return issued

    def _forget_expired(self) -> None:
        # Guids are kept in issue order, so the expired ones are all at the front.
        now = self._clock()
        while self._issued:
            guid, oldest = next(iter(self._issued.items()))
            if now - oldest.issued_at < self._config.captcha_ttl_s:
                break
            del self._issued[guid]
