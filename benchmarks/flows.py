"""Broker-flows figures for docs/benchmarks.md: the flows questions and pages over 60 days of the full market.
SQLite, PostgreSQL (--pg-url) and DuckDB over the export dataset, medians of --repeat warm runs; --data DIR keeps
the databases and the dataset for the next run. Run from the repository root: python -m benchmarks.flows --help"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bot.browser import launch_browser
from bsr.replica_history import replica_reports, trading_days_before
from dashboard.app import create_app
from flows import (
    ColumnarCopy,
    Window,
    branch_flows,
    position,
    rank_branches,
    rank_stocks,
    resolve_window,
    stock_flows,
)
from flows.columnar import ANSWERS
from flows.concentration import concentration_query
from flows.rankings import branch_ranking_query
from replica.market import Market
from storage import Store, export_day
from storage.engine import parse_url
from storage.export import DATASET_FOLDER, ExportFormat
from testbed.databases import scratch_postgresql_schema
from testbed.serving import served

LAST_DAY = date(2026, 11, 20)  # the replica's day in the tests; the history ends the day before
STOCK = "2330"  # the biggest report: about 6,000 records a day
BRANCH = "1440"  # 美林, a foreign house: among the busiest branches, in hundreds of stocks a day
PG_SCHEMA = "bsr_flows_bench"  # kept between runs when --data is given
TARGETS_MS = {
    "stock": 200,
    "branch": 1000,
    "position": 200,
    "rank stocks": 3000,
    "rank branches": 3000,
    "rank stocks, kept": 3000,
    "rank branches, kept": 3000,
    "rank stocks, SQL": 3000,
    "rank branches, SQL": 3000,
    "page: stock": 1000,
    "page: branch": 1000,
    "page: rankings": 1000,
    "page: rankings, computed": 1000,
}
# The dashboard's pages, each timed to its first contentful paint in Chromium (the page is drawn on the
# server, so that is when the figures show).
PAGES = {
    "page: stock": f"/flows/stocks/{STOCK}",
    "page: branch": f"/flows/branches/{BRANCH}",
    "page: rankings": "/flows",
}
# The rankings page as the first view of a window after a day is stored sees it: no answer kept yet.
COMPUTED_RANKINGS_PAGE = ("page: rankings, computed", "/flows")


@dataclass
class Engine:
    name: str
    queries: dict[str, Callable[[], object]] = field(default_factory=dict)
    load_s_per_day: list[float] = field(default_factory=list)
    bytes_per_day: float = 0.0
    columnar_s_per_day: float = float("nan")


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm: caches, the pool's connection, the query plans
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def load(stores: list[tuple[Engine, Store]], days: list[date], seed: int) -> None:
    """Each day of the replica's market into every store that lacks it, one transaction a day."""
    market = Market(seed)
    for number, day in enumerate(days, start=1):
        missing = [(engine, store) for engine, store in stores if day not in set(store.trade_dates())]
        if not missing:
            continue
        started = time.perf_counter()
        reports = list(replica_reports(market, day))
        generated = time.perf_counter() - started
        for engine, store in missing:
            started = time.perf_counter()
            store.load_reports(reports)
            engine.load_s_per_day.append(time.perf_counter() - started)
        rows = sum(report.rec_count for report in reports)
        print(f"  {day} ({number}/{len(days)}): {rows:,} trades, generated in {generated:.1f} s", flush=True)


def write_dataset(store: Store, folder: Path, days: list[date]) -> tuple[float, float]:
    """Seconds per day to write a missing partition, and bytes per day of the whole dataset."""
    times = []
    for day in days:
        if not (folder / f"trade_date={day.isoformat()}").exists():
            started = time.perf_counter()
            export_day(store, day, ExportFormat.DATASET, folder)
            times.append(time.perf_counter() - started)
    size = sum(path.stat().st_size for path in folder.rglob("*.parquet"))
    return (statistics.median(times) if times else float("nan")), size / len(days)


def flows_queries(
    store: Store, columnar: ColumnarCopy, window: Window, rank_window: Window
) -> dict[str, Callable[[], object]]:
    return {
        "stock": lambda: stock_flows(store, STOCK, window),
        "branch": lambda: branch_flows(store, BRANCH, window),
        "position": lambda: position(store, BRANCH, STOCK, window),
        "rank stocks": computed(columnar, lambda: rank_stocks(columnar, rank_window)),
        "rank branches": computed(columnar, lambda: rank_branches(columnar, rank_window)),
        "rank stocks, kept": lambda: rank_stocks(columnar, rank_window),
        "rank branches, kept": lambda: rank_branches(columnar, rank_window),
        # The same statements as SQL on the database: what the columnar copy was chosen against.
        "rank stocks, SQL": lambda: store.read(concentration_query(rank_window)),
        "rank branches, SQL": lambda: store.read(branch_ranking_query(rank_window)),
    }


def computed(columnar: ColumnarCopy, ranking: Callable[[], object]) -> Callable[[], object]:
    """`ranking` as the first question of its window asks it: the copy's kept answers dropped first."""

    def run() -> object:
        forget_answers(columnar)
        return ranking()

    return run


def forget_answers(columnar: ColumnarCopy) -> None:
    shutil.rmtree(columnar.folder / ANSWERS, ignore_errors=True)


def columnar_build_s(columnar: ColumnarCopy, window: Window) -> float:
    """Seconds for a columnar copy to write the window's days (what the first ranking after a day's run
    pays for that one day)."""
    started = time.perf_counter()
    columnar.day_files(window)
    return time.perf_counter() - started


# Resolves once the page has painted its first content (at once where it already has).
FIRST_CONTENTFUL_PAINT = """new Promise(resolve => new PerformanceObserver((entries, observer) => {
    const paint = entries.getEntriesByName('first-contentful-paint')[0];
    if (paint) { observer.disconnect(); resolve(paint.startTime); }
}).observe({type: 'paint', buffered: true}))"""


def first_paint_ms(base_url: str, days: int, repeat: int, columnar: ColumnarCopy) -> dict[str, float]:
    """Median milliseconds from navigation to first contentful paint of each page, in Chromium."""

    async def measure() -> dict[str, float]:
        async with launch_browser() as browser:
            page = await browser.new_page()
            figures = {}
            for name, path in [*PAGES.items(), COMPUTED_RANKINGS_PAGE]:
                times = []
                for run in range(repeat + 1):  # the first warms the caches and the copy
                    if (name, path) == COMPUTED_RANKINGS_PAGE:
                        forget_answers(columnar)
                    response = await page.goto(f"{base_url}{path}?days={days}", wait_until="load", timeout=0)
                    assert response is not None and response.status == 200, (path, response)
                    paint = await page.evaluate(FIRST_CONTENTFUL_PAINT)
                    if run:
                        times.append(paint)
                figures[name] = statistics.median(times)
            return figures

    return asyncio.run(measure())


def duckdb_queries(dataset: Path, window: Window, rank_window: Window) -> dict[str, Callable[[], object]]:
    """The same questions in DuckDB's SQL over the Parquet dataset: the engine flows was measured against."""
    import duckdb

    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW trades AS SELECT * FROM read_parquet('{dataset}/*/*.parquet', hive_partitioning = true)"
    )
    sides = (
        "sum(buy_shares) AS buy_shares, sum(sell_shares) AS sell_shares, "
        "sum(price * buy_shares) AS buy_value, sum(price * sell_shares) AS sell_value"
    )

    def between(chosen: Window) -> str:
        return f"trade_date BETWEEN DATE '{chosen.first}' AND DATE '{chosen.last}'"

    def run(sql: str) -> Callable[[], object]:
        return lambda: connection.execute(sql).df()

    def concentration(where: str) -> str:
        return f"""
        WITH per AS (SELECT stock_code, broker_id, sum(buy_shares) AS bought, sum(buy_shares - sell_shares) AS net
                     FROM trades WHERE {where} GROUP BY stock_code, broker_id),
        ranked AS (SELECT *, row_number() OVER (PARTITION BY stock_code ORDER BY net DESC) AS buy_rank,
                             row_number() OVER (PARTITION BY stock_code ORDER BY net) AS sell_rank FROM per)
        SELECT stock_code, sum(bought) AS volume,
               sum(CASE WHEN buy_rank <= 15 AND net > 0 THEN net ELSE 0 END) AS top_buy,
               sum(CASE WHEN sell_rank <= 15 AND net < 0 THEN -net ELSE 0 END) AS top_sell
        FROM ranked GROUP BY stock_code ORDER BY (top_buy - top_sell) / volume DESC"""

    def stock() -> object:
        # What stock_flows asks: the branches, the stock's concentration, the daily net of its leaders.
        branches = connection.execute(
            f"SELECT broker_id, max(broker_name), {sides}, sum(buy_shares - sell_shares) AS net FROM trades "
            f"WHERE stock_code = '{STOCK}' AND {between(window)} GROUP BY broker_id ORDER BY net DESC"
        ).df()
        connection.execute(concentration(f"stock_code = '{STOCK}' AND {between(window)}")).df()
        leaders = ", ".join(f"'{broker}'" for broker in [*branches["broker_id"][:10], *branches["broker_id"][-10:]])
        return connection.execute(
            f"SELECT trade_date, broker_id, sum(buy_shares - sell_shares) FROM trades WHERE stock_code = '{STOCK}' "
            f"AND {between(window)} AND broker_id IN ({leaders}) GROUP BY trade_date, broker_id"
        ).df()

    return {
        "stock": stock,
        "branch": run(
            f"SELECT stock_code, {sides} FROM trades "
            f"WHERE broker_id = '{BRANCH}' AND {between(window)} GROUP BY stock_code"
        ),
        "position": run(
            f"SELECT trade_date, {sides} FROM trades WHERE broker_id = '{BRANCH}' AND stock_code = '{STOCK}' "
            f"AND {between(window)} GROUP BY trade_date ORDER BY trade_date"
        ),
        "rank stocks": run(concentration(between(rank_window))),
        "rank branches": run(
            f"SELECT broker_id, max(broker_name), count(DISTINCT stock_code), {sides} FROM trades "
            f"WHERE {between(rank_window)} GROUP BY broker_id ORDER BY buy_value - sell_value DESC"
        ),
    }


def sqlite_bytes(url: str) -> int:
    path = Path(parse_url(url).database or "")
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path.stat().st_size


def postgresql_bytes(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        ).scalar_one()
    engine.dispose()
    return int(size)


@contextmanager
def postgresql_url(base: str, keep: bool) -> Iterator[str]:
    """A schema of its own: kept (and reused) between runs with --data, a scratch one otherwise."""
    if not keep:
        with scratch_postgresql_schema(base) as url:
            yield url
        return
    engine = create_engine(parse_url(base), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{PG_SCHEMA}"')
    engine.dispose()
    yield (
        parse_url(base)
        .update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
        .render_as_string(hide_password=False)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60, help="trading days of history (default 60)")
    parser.add_argument("--rank-days", type=int, default=20, help="days of the market rankings (default 20)")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per figure (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="the replica's market seed (default 1)")
    parser.add_argument(
        "--until",
        type=date.fromisoformat,
        default=LAST_DAY,
        help=f"the history ends the trading day before this (default {LAST_DAY})",
    )
    parser.add_argument("--data", type=Path, help="keep the databases and dataset here (default: a temp folder)")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BSR_TEST_PG_URL", ""), help="PostgreSQL URL (default BSR_TEST_PG_URL)"
    )
    args = parser.parse_args()
    days = trading_days_before(args.until, args.days)

    with ExitStack() as stack:
        folder = args.data or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        urls = {"sqlite": f"sqlite:///{folder / 'flows.sqlite3'}"}
        if args.pg_url:
            urls["postgresql"] = stack.enter_context(postgresql_url(args.pg_url, keep=args.data is not None))
        engines = {name: Engine(name) for name in urls}
        stores = {name: stack.enter_context(Store.open(url)) for name, url in urls.items()}
        print(f"loading {args.days} trading days, {days[0]} to {days[-1]}, of the replica's market (seed {args.seed})")
        load([(engines[name], store) for name, store in stores.items()], days, args.seed)
        engines["sqlite"].bytes_per_day = sqlite_bytes(urls["sqlite"]) / len(days)
        if "postgresql" in urls:
            engines["postgresql"].bytes_per_day = postgresql_bytes(urls["postgresql"]) / len(days)
        dataset = folder / DATASET_FOLDER
        write_s, dataset_bytes = write_dataset(stores["sqlite"], dataset, days)

        pages: dict[tuple[str, str], float] = {}
        for name, store in stores.items():
            window = resolve_window(store, days=args.days)
            rank_window = resolve_window(store, days=args.rank_days)
            columnar = ColumnarCopy(store, folder / "columnar")
            shutil.rmtree(columnar.folder, ignore_errors=True)  # timed from scratch, then used by what follows
            engines[name].columnar_s_per_day = columnar_build_s(columnar, rank_window) / rank_window.days
            engines[name].queries = flows_queries(store, columnar, window, rank_window)
            with served(create_app(urls[name], columnar_dir=folder / "columnar")) as base_url:
                painted = first_paint_ms(base_url, args.rank_days, args.repeat, columnar)
            pages |= {(name, page): ms for page, ms in painted.items()}
        window = resolve_window(stores["sqlite"], days=args.days)
        duckdb = Engine("duckdb/parquet", bytes_per_day=dataset_bytes)
        duckdb.queries = duckdb_queries(dataset, window, resolve_window(stores["sqlite"], days=args.rank_days))
        engines["duckdb"] = duckdb

        figures = pages | {
            (name, query): median_ms(run, args.repeat)
            for name, engine in engines.items()
            for query, run in engine.queries.items()
        }
    report(engines, figures, args, write_s)


def report(engines: dict[str, Engine], figures: dict[tuple[str, str], float], args: Any, write_s: float) -> None:
    names = list(engines)
    print(f"\nmedian of {args.repeat} warm runs, ms ({args.days} days; rankings over {args.rank_days} days)")
    print(f"{'question':<34}" + "".join(f"{engines[name].name:>16}" for name in names) + f"{'target':>10}")
    labels = {
        "stock": f"one stock ({STOCK}) over {args.days} days",
        "branch": f"one branch ({BRANCH}) over {args.days} days",
        "position": f"its position in {STOCK}, {args.days} days",
        "rank stocks": f"stocks by concentration, {args.rank_days} d",
        "rank branches": f"branches by net value, {args.rank_days} d",
        "rank stocks, kept": "  stocks, the copy's kept answer",
        "rank branches, kept": "  branches, the copy's kept answer",
        "rank stocks, SQL": "  the same as SQL on the database",
        "rank branches, SQL": "  the same as SQL on the database",
        **{name: f"{name}, {args.rank_days} d (first paint)" for name in PAGES},
        COMPUTED_RANKINGS_PAGE[0]: "  the same, no answer kept yet",
    }
    for query, label in labels.items():
        cells = "".join(
            f"{figures[(name, query)]:>16,.0f}" if (name, query) in figures else f"{'-':>16}" for name in names
        )
        print(f"{label:<34}{cells}{TARGETS_MS[query]:>10,}")
    print(f"{'MB stored per trading day':<34}" + "".join(f"{engines[n].bytes_per_day / 1e6:>16.1f}" for n in names))
    loads = [engines[name].load_s_per_day for name in names if engines[name].load_s_per_day]
    if loads:
        print(
            f"{'bulk load, s per day (median)':<34}"
            + "".join(
                f"{statistics.median(engines[n].load_s_per_day):>16.1f}" if engines[n].load_s_per_day else f"{'-':>16}"
                for n in names
            )
        )
    print(
        f"{'columnar copy, s to write a day':<34}"
        + "".join(f"{engines[n].columnar_s_per_day:>16.2f}" if n != "duckdb" else f"{'-':>16}" for n in names)
    )
    if math.isnan(write_s):
        print("Parquet dataset: every partition was there already, none written (delete it to time the writes)")
    else:
        print(f"Parquet dataset: {write_s:.1f} s to write a day's partition (median)")


if __name__ == "__main__":
    main()
