"""The promotion gate, rollback, the failure export and `bsr relabel`/`bsr models`/`bsr failures` as run."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bsr.cli import app
from bsr.settings import get_settings
from solver.solver import litert_path
from storage import AttemptOutcome, LabelSource, Store
from tests.trainer.loop_fixtures import START, record, save_model_reading
from trainer.dataset import load_folder
from trainer.relabel import save_label
from trainer.versions import TRAINED_UNTIL, PromotionError, promote, rollback


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'bsr.sqlite3'}") as opened:
        yield opened


@pytest.fixture(scope="module")
def reading(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Model files that read ACDEF (right on every stored captcha below) or ZZZZZ (always wrong)."""
    folder = tmp_path_factory.mktemp("models")
    return {text: save_model_reading(text, folder / f"reads-{text}.keras") for text in ("ACDEF", "ZZZZZ")}


def fill(store: Store, count: int = 6) -> None:
    """Accepted captchas of ACDEF, one a minute from START."""
    for minute in range(count):
        record(store, "ACDEF", AttemptOutcome.ACCEPTED, minute)


def register(store: Store, name: str, path: Path, trained_until_minute: int | None = None) -> None:
    metrics = {}
    if trained_until_minute is not None:
        metrics[TRAINED_UNTIL] = START.timestamp() + trained_until_minute * 60
    store.register_model_version(name, path, metrics)


def test_a_worse_candidate_is_refused_unless_forced(store: Store, reading: dict[str, Path]) -> None:
    fill(store)
    register(store, "good", reading["ACDEF"])
    store.activate_model_version("good")
    register(store, "bad", reading["ZZZZZ"], trained_until_minute=2)
    with pytest.raises(PromotionError, match=r"bad not promoted: 0.0% against good 100.0% on 3 held-out"):
        promote(store, "bad")
    assert store.active_model_version().name == "good"
    forced = promote(store, "bad", force=True)
    assert forced.promoted and forced.forced and store.active_model_version().name == "bad"


def test_a_candidate_at_least_as_good_is_promoted_on_captchas_newer_than_its_training(
    store: Store, reading: dict[str, Path]
) -> None:
    fill(store)
    register(store, "bad", reading["ZZZZZ"])
    store.activate_model_version("bad")
    register(store, "good", reading["ACDEF"], trained_until_minute=3)
    promotion = promote(store, "good")
    assert (promotion.promoted, promotion.evaluated, promotion.candidate_accuracy, promotion.baseline_accuracy) == (
        True,
        2,
        1.0,
        0.0,
    )
    assert promotion.baseline == "bad" and store.active_model_version().name == "good"
    register(store, "same", reading["ACDEF"], trained_until_minute=0)
    assert promote(store, "same").promoted  # a tie goes to the newer model


def test_the_gate_needs_captchas_the_candidate_never_saw(store: Store, reading: dict[str, Path]) -> None:
    fill(store)
    register(store, "bad", reading["ZZZZZ"])
    store.activate_model_version("bad")
    register(store, "good", reading["ACDEF"], trained_until_minute=5)
    with pytest.raises(PromotionError, match="no labelled captchas newer than the training data of 'good'"):
        promote(store, "good")
    with pytest.raises(PromotionError, match="no model version 'nope' is registered"):
        promote(store, "nope")
    with pytest.raises(PromotionError, match="'bad' is already the active model version"):
        promote(store, "bad")


def test_rollback_returns_to_the_previous_version(store: Store, reading: dict[str, Path]) -> None:
    fill(store)
    register(store, "first", reading["ZZZZZ"])
    store.activate_model_version("first")
    register(store, "second", reading["ACDEF"], trained_until_minute=1)
    promote(store, "second")
    assert rollback(store).name == "first"
    assert store.active_model_version().name == "first"


def test_the_gate_writes_the_litert_copy_of_a_version_registered_without_one(
    store: Store, reading: dict[str, Path], tmp_path: Path
) -> None:
    fill(store)
    register(store, "bad", reading["ZZZZZ"])
    store.activate_model_version("bad")
    # The model file alone, as versions were kept before the trainer wrote LiteRT copies.
    old = Path(shutil.copy(reading["ACDEF"], tmp_path / "old.keras"))
    register(store, "old", old, trained_until_minute=2)
    assert promote(store, "old").candidate_accuracy == 1.0
    assert litert_path(old).is_file()


def test_bsr_relabel_checks_labels_skips_and_marks_unreadable(configured: str) -> None:
    with Store.open(configured) as store:
        oldest = record(store, "ACDEF", AttemptOutcome.REJECTED, 1)
        middle = record(store, "GHJKL", AttemptOutcome.REJECTED, 2)
        newest = record(store, "NPQRT", AttemptOutcome.REJECTED, 3)
    # newest first: a wrong letter, then the right label; skip the middle one; the oldest is unreadable.
    result = CliRunner().invoke(app, ["relabel"], input="NPQR0\nnpqrt\n\n?\n")
    assert result.exit_code == 0, result.output
    assert "'0' never appears in these captchas" in result.output
    assert "▀" in result.output and "the solver read ZZZZZ" in result.output
    assert "labelled 1, unreadable 1, skipped 1" in result.output
    with Store.open(configured) as store:
        assert (store.get_attempt(newest).label, store.get_attempt(newest).label_source) == ("NPQRT", LabelSource.HUMAN)
        assert store.get_attempt(oldest).unreadable
        assert [attempt.id for attempt in store.failure_queue()] == [middle]


def test_bsr_failures_export_writes_a_folder_other_tools_read(configured: str, tmp_path: Path) -> None:
    with Store.open(configured) as store:
        waiting = record(store, "ACDEF", AttemptOutcome.REJECTED, 1)
        done = record(store, "GHJKL", AttemptOutcome.REJECTED, 2)
        save_label(store, done, "GHJKL")
    runner = CliRunner()
    result = runner.invoke(app, ["failures", "export", str(tmp_path / "queue")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "queue" / "labels.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["attempt_id"], row["label"], row["guess"]) for row in rows] == [(str(waiting), "", "ZZZZZ")]
    with Store.open(configured) as store:
        assert (tmp_path / "queue" / rows[0]["file"]).read_bytes() == store.get_attempt(waiting).image
    assert runner.invoke(app, ["failures", "export", str(tmp_path / "done"), "--labelled"]).exit_code == 0
    assert load_folder(tmp_path / "done").texts == ["GHJKL"]
    again = runner.invoke(app, ["failures", "export", str(tmp_path / "queue")])
    assert again.exit_code != 0 and "exists already" in str(again.exception)


def test_bsr_models_list_promote_and_rollback(configured: str, reading: dict[str, Path]) -> None:
    with Store.open(configured) as store:
        fill(store)
        register(store, "first", reading["ZZZZZ"])
        store.activate_model_version("first")
        register(store, "second", reading["ACDEF"], trained_until_minute=1)
    runner = CliRunner()
    promoted = runner.invoke(app, ["models", "promote", "second"])
    assert promoted.exit_code == 0, promoted.output
    assert "second promoted: 100.0% against first 0.0% on 4 held-out captchas" in promoted.output
    listed = runner.invoke(app, ["models", "list"])
    assert "second" in listed.output and "yes" in listed.output
    rolled = runner.invoke(app, ["models", "rollback"])
    assert "first is active again" in rolled.output
    with Store.open(configured) as store:
        assert store.active_model_version().name == "first"


def test_bsr_models_promote_judges_against_the_model_bsr_model_names(
    configured: str, reading: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(configured) as store:
        fill(store)
        register(store, "first", reading["ZZZZZ"])
        store.activate_model_version("first")
        register(store, "second", reading["ZZZZZ"], trained_until_minute=1)
    monkeypatch.setenv("BSR_MODEL", str(reading["ACDEF"]))
    get_settings.cache_clear()
    refused = CliRunner().invoke(app, ["models", "promote", "second"])
    assert refused.exit_code != 0
    assert "second not promoted: 0.0% against reads-ACDEF 100.0% on 4 held-out captchas" in str(refused.exception)
    forced = CliRunner().invoke(app, ["models", "promote", "second", "--force"])
    assert forced.exit_code == 0, forced.output
    assert f"the bot keeps running {reading['ACDEF']} while BSR_MODEL names it" in " ".join(forced.output.split())


def test_bsr_eval_measures_the_model_the_bot_runs(
    configured: str, reading: dict[str, Path], labelled_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def evaluated(*options: str) -> str:
        result = CliRunner().invoke(app, ["eval", str(labelled_folder), "--json", *options])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.strip().splitlines()[-1])["model"]

    with Store.open(configured) as store:
        register(store, "first", reading["ZZZZZ"])
        store.activate_model_version("first")
    assert evaluated() == "reads-ZZZZZ"  # the active version, not the shipped model
    assert evaluated("--model", str(reading["ACDEF"])) == "reads-ACDEF"
    monkeypatch.setenv("BSR_MODEL", str(reading["ACDEF"]))
    get_settings.cache_clear()
    assert evaluated() == "reads-ACDEF"


def test_bsr_models_rollback_with_nothing_to_go_back_to_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "BSR_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-m", "bsr", "models", "rollback"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "bsr: error: no model version is active, so there is nothing to roll back"
    )
    assert "Traceback" not in result.stderr


def test_bsr_train_from_db_registers_a_new_version_in_the_data_folder(
    configured: str, reading: dict[str, Path], tmp_path: Path
) -> None:
    texts = ["ACDEF", "GHJKL", "NPQRT", "UVXYZ", "23467"]
    with Store.open(configured) as store:
        register(store, "first", reading["ZZZZZ"])
        store.activate_model_version("first")
        for minute in range(10):
            record(store, texts[minute % 5], AttemptOutcome.ACCEPTED, minute)
    result = CliRunner().invoke(app, ["train", "--from-db", "--epochs", "1", "--batch-size", "16"])
    assert result.exit_code == 0, result.output
    with Store.open(configured) as store:
        (version,) = [version for version in store.list_model_versions() if version.name != "first"]
        assert store.active_model_version().name == "first"  # registered, not promoted
    assert Path(version.path).parent == tmp_path / "data" / "models"
    assert version.name.startswith("db-") and version.metrics["evaluated"] == 2
    assert f"promote it with `bsr models promote {version.name}`" in " ".join(result.output.split())
    missing = CliRunner().invoke(app, ["train", "--epochs", "1"])
    assert missing.exit_code != 0 and "--output" in missing.output
