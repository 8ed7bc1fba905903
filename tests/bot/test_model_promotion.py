"""The bot switches to a newly promoted model version at its next job, and back after a rollback; the
promotion gate judges a candidate against the very model the bot runs, BSR_MODEL included."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.console import load_solver
from bot.job import FetchJob, FetchOptions
from bsr.settings import get_settings
from storage import AsyncStore, AttemptOutcome, Store
from tests.fetching import QUICK
from tests.trainer.loop_fixtures import record, save_model_reading
from trainer.versions import PromotionError, promote, rollback


async def test_the_next_job_uses_the_newly_promoted_version(replica, store: Store, tmp_path: Path) -> None:
    for name in ("first", "second"):
        store.register_model_version(name, save_model_reading("ZZZZZ", tmp_path / "models" / f"{name}.keras"))
    store.activate_model_version("first")
    async_store = AsyncStore(store)
    options = FetchOptions(
        base_url=replica.base_url,
        evidence_dir=tmp_path / "evidence",
        stock_codes=("2330",),
        max_attempts=1,
        rate=0,
        policy=QUICK,
    )

    async def job_model_versions() -> list[str]:
        """Runs one job as `bsr fetch` does (solver loaded per job) and says which versions answered."""
        before = {attempt.id for attempt in store.failure_queue()}
        await FetchJob(options, await load_solver("", async_store), async_store).run()
        return [attempt.model_version for attempt in store.failure_queue() if attempt.id not in before]

    assert await job_model_versions() == ["first"]
    promote(store, "second", force=True)
    assert await job_model_versions() == ["second"]
    rollback(store)
    assert await job_model_versions() == ["first"]
    # A named model still wins, by its file or by its registered name.
    named = str(tmp_path / "models" / "second.keras")
    assert (await load_solver(named, async_store)).model_version == "second"
    assert (await load_solver("second", async_store)).model_version == "second"


async def test_with_bsr_model_set_the_gate_judges_against_the_model_the_bot_runs(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    store.register_model_version("weak", save_model_reading("ZZZZZ", models / "weak.keras"))
    store.activate_model_version("weak")
    store.register_model_version("candidate", save_model_reading("ZZZZZ", models / "candidate.keras"))
    for minute in range(4):
        record(store, "ACDEF", AttemptOutcome.ACCEPTED, minute)
    # BSR_MODEL names a model that reads every stored captcha right, registered nowhere.
    monkeypatch.setenv("BSR_MODEL", str(save_model_reading("ACDEF", models / "strong.keras")))
    get_settings.cache_clear()
    try:
        named = get_settings().model
    finally:
        get_settings.cache_clear()
    assert (await load_solver(named, AsyncStore(store))).model_version == "strong"
    # The gate measures the candidate against that model, not the active version the bot does not run...
    with pytest.raises(PromotionError, match=r"candidate not promoted: 0.0% against strong 100.0% on 4 held-out"):
        promote(store, "candidate", model=named)
    # ...which the candidate would tie, and so pass.
    promotion = promote(store, "candidate")
    assert (promotion.baseline, promotion.promoted) == ("weak", True)
