"""The bot switches to a newly promoted model version at its next job, and back after a rollback."""

from __future__ import annotations

from pathlib import Path

from bot.console import load_solver
from bot.job import FetchJob, FetchOptions
from storage import AsyncStore, Store
from tests.fetching import QUICK
from tests.trainer.loop_fixtures import save_model_reading
from trainer.versions import promote, rollback


async def test_the_next_job_uses_the_newly_promoted_version(replica, store: Store, tmp_path: Path) -> None:
    for name in ("first", "second"):
        store.register_model_version(name, save_model_reading("ZZZZZ", tmp_path / "models" / f"{name}.keras"))
    store.activate_model_version("first")
    async_store = AsyncStore(store)
    options = FetchOptions(base_url=replica.base_url, evidence_dir=tmp_path / "evidence", stock_codes=("2330",),
                           max_attempts=1, rate=0, policy=QUICK)

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
