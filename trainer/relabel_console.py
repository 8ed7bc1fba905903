"""`bsr relabel` as a person sees it: each waiting failure drawn in the terminal (or opened), an answer typed.

The steps themselves (check, store, mark unreadable, page on) are trainer.relabel's, shared with the dashboard."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from PIL import Image
from rich.console import Console
from rich.text import Text

from storage import Store, StoredAttempt
from trainer.relabel import RelabelError, mark_unreadable, next_failure, save_label

SKIP, UNREADABLE, QUIT = "", "?", "q"
PROMPT = "label (Enter: skip, ?: unreadable, q: quit): "
TERMINAL_WIDTH = 100  # characters; each shows two pixel rows, so a 200x60 captcha becomes 100x15


@dataclass
class RelabelTally:
    labelled: int = 0
    unreadable: int = 0
    skipped: int = 0


def terminal_picture(image: bytes, width: int = TERMINAL_WIDTH) -> Text:
    """The image as rows of half blocks: each character's top and bottom half are one pixel each."""
    picture = Image.open(io.BytesIO(image)).convert("L")
    height = max(2, round(picture.height * width / picture.width / 2) * 2)
    pixels = picture.resize((width, height), Image.Resampling.LANCZOS).load()
    text = Text()
    for row in range(0, height, 2):
        for column in range(width):
            top, bottom = pixels[column, row], pixels[column, row + 1]
            text.append("▀", style=f"rgb({top},{top},{top}) on rgb({bottom},{bottom},{bottom})")
        text.append("\n")
    return text


def relabel_in_terminal(
    store: Store, console: Console, ask: Callable[[str], str], open_images: bool = False, limit: int = 0
) -> RelabelTally:
    """Walks the failure queue newest first until it is empty, `limit` answers are given, or `q`."""
    tally = RelabelTally()
    after: int | None = None
    while not limit or tally.labelled + tally.unreadable < limit:
        attempt = next_failure(store, after)
        if attempt is None:
            console.print("the failure queue is empty")
            break
        _show(attempt, store.failure_queue_size(), console, open_images)
        answer = _answer(attempt, store, console, ask)
        if answer is None:
            break
        if answer == SKIP:
            tally.skipped += 1
            after = attempt.id
        elif answer == UNREADABLE:
            tally.unreadable += 1
        else:
            tally.labelled += 1
    return tally


def _show(attempt: StoredAttempt, waiting: int, console: Console, open_images: bool) -> None:
    console.print(terminal_picture(attempt.image))
    console.print(
        f"attempt {attempt.id} ({attempt.stock_code}, {attempt.attempted_at:%Y-%m-%d %H:%M:%S} UTC): "
        f"the solver read {attempt.guess} ({attempt.confidence:.0%} sure) and the site said no; "
        f"{waiting} waiting"
    )
    if open_images:
        with tempfile.NamedTemporaryFile(suffix=".jpg", prefix=f"attempt-{attempt.id}-", delete=False) as file:
            file.write(attempt.image)
        click.launch(str(Path(file.name)))


def _answer(attempt: StoredAttempt, store: Store, console: Console, ask: Callable[[str], str]) -> str | None:
    """What was done with the attempt: SKIP, UNREADABLE or the stored label; None to stop."""
    while True:
        try:
            typed = ask(PROMPT).strip()
        except EOFError:
            return None
        if typed.lower() == QUIT:
            return None
        if typed in (SKIP, UNREADABLE):
            if typed == UNREADABLE:
                mark_unreadable(store, attempt.id)
            return typed
        try:
            return save_label(store, attempt.id, typed)
        except RelabelError as error:
            console.print(f"[red]{error}[/]")
