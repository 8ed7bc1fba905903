"""The relabel steps the failure page and the terminal share: label checks, human labels, unreadable, next."""

from __future__ import annotations

import pytest

from storage import LabelSource, Store
from tests.dashboard.conftest import FilledStore
from trainer.relabel import RelabelError, mark_unreadable, next_failure, normalize_label, save_label


@pytest.mark.parametrize(("typed", "stored"), [("acdef", "ACDEF"), ("  2346q ", "2346Q"), ("XyZ79", "XYZ79")])
def test_labels_are_trimmed_and_upper_cased(typed: str, stored: str) -> None:
    assert normalize_label(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "type the 5 characters the image shows, or mark it unreadable if nobody can"),
        ("   ", "type the 5 characters the image shows, or mark it unreadable if nobody can"),
        ("ACDE", "'ACDE' has 4 characters; every captcha has exactly 5"),
        ("ACDEFG", "'ACDEFG' has 6 characters; every captcha has exactly 5"),
        ("AC DE", "' ' never appears in these captchas"),
        ("ACDE1", "'1' never appears in these captchas"),
        ("ob5ms", "'5', 'B', 'M', 'O', 'S' never appear in these captchas"),
    ],
)
def test_labels_no_captcha_could_show_are_refused_with_what_to_type(typed: str, message: str) -> None:
    with pytest.raises(RelabelError) as refused:
        normalize_label(typed)
    assert str(refused.value).startswith(message)


def test_save_label_stores_a_human_label_and_the_queue_moves_on(filled_store: FilledStore, store: Store) -> None:
    first, second = filled_store.queue[:2]
    assert next_failure(store).id == first
    assert save_label(store, first, "acdef") == "ACDEF"
    stored = store.get_attempt(first)
    assert (stored.label, stored.label_source, stored.unreadable) == ("ACDEF", LabelSource.HUMAN, False)
    assert next_failure(store).id == second

    with pytest.raises(RelabelError):
        save_label(store, second, "ACD")
    assert store.get_attempt(second).label_source is LabelSource.NONE

    mark_unreadable(store, second)
    assert store.get_attempt(second).unreadable
    assert next_failure(store).id == filled_store.queue[2]
    assert next_failure(store, after_id=filled_store.queue[2]).id == filled_store.queue[3]
    assert next_failure(store, after_id=filled_store.queue[-1]) is None
