"""The universe of a run against the replica's ISIN list over HTTP: the list's reader, codes that come and
go by date, and the fallbacks (the stored list, then twstock's table) when the list cannot be read."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from bot.job import FetchJob, FetchOptions
from bot.listing import ListingError, fetch_listing, read_listing
from bot.universe import resolve_universe, twstock_securities
from replica.market import securities
from storage import AsyncStore, Security, Store
from tests.fetching import QUICK

TODAY = date(2026, 11, 20)  # the replica's trade date in tests


@pytest.fixture
async def async_store(tmp_path: Path) -> AsyncIterator[AsyncStore]:
    async with await AsyncStore.open(f"sqlite:///{tmp_path / 'bsr.sqlite3'}") as opened:
        yield opened


def closed_port_url() -> str:
    """A loopback URL nothing listens on: the connection is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/isin/C_public.jsp?strMode=2"


def list_security(replica, code: str, name: str, listed_on: date, delisted_on: date | None = None) -> None:
    body = {
        "code": code,
        "name": name,
        "kind": "stock",
        "listed_on": listed_on.isoformat(),
        "delisted_on": delisted_on and delisted_on.isoformat(),
    }
    assert httpx.post(replica.root_url + "/replica/api/listings", json=body).status_code == 200


async def test_reads_the_exchanges_list_without_warrants(replica) -> None:
    listing = await fetch_listing(replica.listing_url)
    assert listing.updated_on == TODAY
    by_code = {security.code: security for security in listing.securities}
    assert by_code["1101"] == Security("1101", "台泥", "stock", date(1962, 2, 9))
    assert by_code["00400A"] == Security("00400A", "主動國泰動能高息", "etf", date(2026, 8, 3))
    assert by_code["2881A"].kind == "preferred" and by_code["00980A"].kind == "etf"
    kinds = Counter(security.kind for security in listing.securities)
    assert set(kinds) == {"stock", "etf", "etn", "preferred", "innovation", "tdr", "reit"}
    assert not any(code.startswith("03") for code in by_code), "warrants are left out"
    assert len(by_code) == len(listing.securities) == len(twstock_securities()) + 1


async def test_a_list_that_cannot_be_read_is_a_typed_error(replica) -> None:
    with pytest.raises(ListingError, match="HTTP 404"):
        await fetch_listing(replica.listing_url.replace("strMode=2", "strMode=4"))
    with pytest.raises(ListingError, match="no table of securities"):
        await fetch_listing(replica.base_url + "bsWelcome.aspx")
    with pytest.raises(ListingError, match="BSR_LISTING_URL"):
        await fetch_listing(closed_port_url())
    with pytest.raises(ValueError):
        read_listing("<TABLE class='h4'><tr><td>有價證券代號及名稱</td></tr></table>")


async def test_codes_listed_today_are_in_and_codes_delisted_yesterday_are_out(replica, async_store) -> None:
    list_security(replica, "6999", "新上市", listed_on=TODAY)
    list_security(replica, "7999", "明日上市", listed_on=TODAY + timedelta(days=3))
    list_security(replica, "1101", "台泥", listed_on=date(1962, 2, 9), delisted_on=TODAY - timedelta(days=1))
    universe = await resolve_universe("all", replica.listing_url, async_store, TODAY)
    codes = {security.code for security in universe.securities}
    assert universe.source == "exchange" and "updated 2026/11/20" in universe.note
    assert {"6999", "2330", "00400A"} <= codes and "1101" not in codes and "7999" not in codes
    assert await async_store.run(Store.security_sightings, "6999") == (TODAY, TODAY)
    assert await async_store.run(Store.security_sightings, "1101") == (None, None)


async def test_a_code_that_leaves_the_list_keeps_its_last_sighting(replica, async_store) -> None:
    yesterday = TODAY - timedelta(days=1)
    replica.config.trade_date = yesterday
    await resolve_universe("all", replica.listing_url, async_store, yesterday)
    replica.config.trade_date = TODAY
    list_security(replica, "1102", "亞泥", listed_on=date(1962, 6, 8), delisted_on=TODAY)
    today = await resolve_universe("all", replica.listing_url, async_store, TODAY)
    assert "1102" not in {security.code for security in today.securities}
    assert await async_store.run(Store.security_sightings, "1102") == (yesterday, yesterday)
    assert await async_store.run(Store.security_sightings, "2330") == (yesterday, TODAY)


async def test_an_unreachable_list_falls_back_to_the_stored_one_then_to_twstock(replica, async_store) -> None:
    unreachable = closed_port_url()
    first = await resolve_universe("all", unreachable, async_store, TODAY)
    assert first.source == "twstock" and "none is stored" in first.note and "twstock" in first.note
    assert {security.code for security in first.securities} == {security.code for security in twstock_securities()}

    list_security(replica, "6999", "新上市", listed_on=TODAY)
    read = await resolve_universe("all", replica.listing_url, async_store, TODAY)
    later = await resolve_universe("all", unreachable, async_store, TODAY + timedelta(days=3))
    assert later.source == "stored" and "2026-11-20" in later.note and "could not be read" in later.note
    assert {security.code for security in later.securities} == {security.code for security in read.securities}
    assert "6999" in {security.code for security in later.securities}


async def test_a_file_of_codes_is_its_own_universe(tmp_path: Path, async_store) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text("code\n2330\n0050\n", encoding="utf-8")
    universe = await resolve_universe(str(codes), closed_port_url(), async_store, TODAY)
    assert universe.source == "file" and [security.code for security in universe.securities] == ["2330", "0050"]


async def test_a_list_cut_short_is_not_taken_for_a_wave_of_delistings(replica, async_store) -> None:
    await resolve_universe("all", replica.listing_url, async_store, TODAY)
    for security in securities()[:1000]:  # in-process: a thousand calls of the control API take long
        replica.state.market.add_listing(replace(security, delisted_on=TODAY))
    universe = await resolve_universe("all", replica.listing_url, async_store, TODAY)
    assert universe.source == "stored" and "where its last read listed" in universe.note
    assert len(universe.securities) == len(twstock_securities()) + 1


async def test_a_run_asks_for_a_code_listed_today_and_not_for_one_delisted_yesterday(
    replica, solver, store, tmp_path: Path
) -> None:
    list_security(replica, "1000", "新上市", listed_on=TODAY)
    list_security(replica, "1101", "台泥", listed_on=date(1962, 2, 9), delisted_on=TODAY - timedelta(days=1))
    options = FetchOptions(
        base_url=replica.base_url, listing_url=replica.listing_url, evidence_dir=tmp_path, rate=0, policy=QUICK
    )
    job = FetchJob(options, solver, AsyncStore(store))
    # Stopped as soon as it has planned the day: every code it would ask for is left in its queue.
    summary = await job.run(on_start=lambda planned: job.request_stop())
    assert summary.universe.startswith(f"{len(twstock_securities()) + 1} securities on the exchange's list")
    assert summary.planned == len(summary.not_asked) == len(twstock_securities()) + 1
    assert "1000" in summary.not_asked and "1101" not in summary.not_asked
    assert store.security_sightings("1000") == (TODAY, TODAY)
