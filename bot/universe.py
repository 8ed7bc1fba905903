"""Which securities a job fetches: those on the exchange's list on the day, or a file of codes.

When the list cannot be read, the codes it listed at its last successful read, else twstock's bundled table."""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from bot.listing import KINDS, ListingError, fetch_listing, listing_date
from storage.async_store import AsyncStore
from storage.records import Security
from storage.store import Store

UniverseSource = Literal["exchange", "stored", "twstock", "file"]
# A read of the list with fewer codes than this share of the last read's is taken for a cut-off page.
SHRINK_LIMIT = 0.5


class UniverseError(ValueError):
    """The universe asked for cannot be read."""


@dataclass(frozen=True)
class Universe:
    """The securities of a run, where they came from, and a line for the run to say so."""

    securities: tuple[Security, ...]
    source: UniverseSource
    note: str


async def resolve_universe(spec: str, listing_url: str, store: AsyncStore, seen_on: date) -> Universe:
    """`all`: the securities on the exchange's list at `listing_url` on `seen_on` (the list read is stored,
    with the day each code was first and last seen); failing that the stored list of the last successful
    read, failing that twstock's table. Anything else names a file of codes."""
    if spec != "all":
        path = Path(spec)
        securities = _file_securities(path)
        return Universe(tuple(securities), "file", f"{len(securities)} codes from {path}")
    try:
        listing = await fetch_listing(listing_url)
        # The list may carry a listing announced for a later day: that code is asked for from its first day.
        securities = tuple(item for item in listing.securities if _listed_by(item, seen_on))
        _, stored = await store.run(Store.last_listing)
        if len(securities) < len(stored) * SHRINK_LIMIT:
            # Listings and delistings move a handful of codes a day: a list this much shorter was cut off.
            reason = f"it lists {len(securities)} securities where its last read listed {len(stored)}"
            raise ListingError(listing_url, reason)
    except ListingError as error:
        return await _fallback(error, store, seen_on)
    await store.run(Store.record_listing, securities, seen_on)
    updated = f", updated {listing.updated_on:%Y/%m/%d}" if listing.updated_on else ""
    return Universe(securities, "exchange", f"{len(securities)} securities on the exchange's list{updated}")


async def _fallback(error: ListingError, store: AsyncStore, seen_on: date) -> Universe:
    last_read, stored = await store.run(Store.last_listing)
    if stored:
        note = (
            f"the exchange's list could not be read ({error.reason}): using the {len(stored)} securities "
            f"it listed on {last_read:%Y-%m-%d}"
        )
        return Universe(tuple(stored), "stored", note)
    securities = tuple(item for item in twstock_securities() if _listed_by(item, seen_on))
    await store.run(Store.upsert_securities, securities)
    note = (
        f"the exchange's list could not be read ({error.reason}) and none is stored: using twstock's "
        f"bundled table ({len(securities)} securities, as old as the installed twstock)"
    )
    return Universe(securities, "twstock", note)


def _listed_by(security: Security, day: date) -> bool:
    return security.listed_on is None or security.listed_on <= day


def parse_stock_codes(text: str) -> list[str]:
    """`2330,2317` -> ['2330', '2317'], refusing what cannot be a TWSE code."""
    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    bad = [code for code in codes if not (code.isalnum() and 4 <= len(code) <= 6)]
    if bad or not codes:
        raise UniverseError(f"not security codes: {', '.join(bad) or repr(text)}; give codes like 2330,0050,00878")
    return codes


def twstock_securities() -> list[Security]:
    """The listed securities but the warrants in the exchange's list as twstock's release bundles it."""
    spec = importlib.util.find_spec("twstock")
    if spec is None or spec.origin is None:
        raise UniverseError("the twstock package is missing: run `make setup`")
    table = Path(spec.origin).parent / "codes" / "twse_equities.csv"
    with table.open(encoding="utf-8") as rows:
        return [
            Security(row["code"], row["name"], KINDS[row["type"]], listing_date(row["start"]))
            for row in csv.DictReader(rows)
            if row["type"] in KINDS
        ]


def _file_securities(path: Path) -> list[Security]:
    """One code per line, or a CSV whose first column is the code (a header line is skipped)."""
    if not path.is_file():
        raise UniverseError(f"no universe file at {path}: give --universe all or a file of codes, one per line")
    securities = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        code = line.split(",")[0].strip()
        if code and code.isalnum() and code.lower() != "code":
            securities.append(Security(code=code, name="", kind="unknown"))
    if not securities:
        raise UniverseError(f"{path} lists no security codes: write one code per line")
    return securities
