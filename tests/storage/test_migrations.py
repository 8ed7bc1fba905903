"""The schema comes from the Alembic migrations only, and they match the models exactly."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, text

from storage import DayFigures, JobCounts, JobStatus, Missing, MissingReason, SchemaError, Store, upgrade_database
from storage.engine import open_engine
from storage.migrations import alembic_config, head_revision
from storage.models import Base


def schema_differences(url: str, metadata: MetaData) -> list[object]:
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    upgrade_database(database_url)
    assert schema_differences(database_url, Base.metadata) == []


def test_a_model_change_without_migration_is_caught(database_url: str) -> None:
    upgrade_database(database_url)
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["reports"].append_column(Column("added_later", Integer, nullable=True))
    differences = schema_differences(database_url, changed)
    assert [diff[0] for diff in differences] == ["add_column"]


def test_upgrade_runs_once_and_then_is_a_no_op(database_url: str) -> None:
    first = upgrade_database(database_url)
    assert (first.before, first.after, first.changed) == (None, head_revision(), True)
    second = upgrade_database(database_url)
    assert (second.before, second.changed) == (head_revision(), False)


def test_store_open_upgrades_a_fresh_database(database_url: str) -> None:
    with Store.open(database_url) as store:
        assert store.stored_codes(date(2026, 11, 20)) == set()
    assert upgrade_database(database_url).changed is False


def test_a_database_from_a_newer_bsr_is_refused(database_url: str) -> None:
    upgrade_database(database_url)
    engine = open_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'fffffffff'"))
    engine.dispose()
    with pytest.raises(SchemaError, match="revision fffffffff, which this bsr does not know.*upgrade bsr"):
        Store.open(database_url)


def test_job_runs_from_before_the_heartbeat_get_their_last_known_sign_of_life(database_url: str) -> None:
    engine = open_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0002")
            connection.execute(
                text(
                    "INSERT INTO job_runs (trade_date, started_at, finished_at, status, counts) VALUES "
                    "('2026-11-19', '2026-11-19 08:35:00', '2026-11-19 08:55:00', 'succeeded', '{}'), "
                    "('2026-11-20', '2026-11-20 08:35:00', NULL, 'running', '{}')"
                )
            )
    finally:
        engine.dispose()
    assert upgrade_database(database_url).changed
    with Store.open(database_url) as store:
        killed, finished = store.list_job_runs()
    assert finished.heartbeat_at == finished.finished_at
    # A run left running before this revision reads as interrupted, at its start: nothing later is known.
    assert (killed.status, killed.finished_at) == (JobStatus.INTERRUPTED, killed.started_at)


def test_branch_days_are_filled_from_the_trades_stored_before_them(database_url: str) -> None:
    from tests.flows.conftest import history_reports

    with Store.open(database_url) as store:
        store.load_reports(history_reports())
    written = branch_days(database_url)
    assert len(written) == 51  # 7 of 2330, 4 of 1101, the 40 of 2454
    assert upgraded_again_from(database_url, "0006")
    # The migration's SQL sums the stored trades to exactly what the Store writes with each report.
    assert branch_days(database_url) == written


def test_stock_days_are_filled_from_the_branch_days_stored_before_them(database_url: str) -> None:
    from tests.flows.conftest import history_reports

    with Store.open(database_url) as store:
        store.load_reports(history_reports())
    written = stock_days(database_url)
    # 2330 on each of the 3 days, 1101 on the 16th and 18th (查無資料 on the 17th), 2454 on the 18th
    assert [(code, str(day)[:10]) for code, day, *_ in written] == [
        ("1101", "2026-11-16"),
        ("1101", "2026-11-18"),
        ("2330", "2026-11-16"),
        ("2330", "2026-11-17"),
        ("2330", "2026-11-18"),
        ("2454", "2026-11-18"),
    ]
    assert upgraded_again_from(database_url, "0008")
    # The migration fills the days with the statement the Store fills each stored report's day with.
    assert stock_days(database_url) == written


def upgraded_again_from(url: str, revision: str) -> bool:
    """Downgrade the database at `url` to `revision`, then upgrade it to the head: whether that changed it."""
    engine = open_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()
    return upgrade_database(url).changed


def stock_days(url: str) -> list[tuple[object, ...]]:
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM stock_days ORDER BY stock_code, trade_date"))
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def branch_days(url: str) -> list[tuple[object, ...]]:
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT stock_code, broker_id, trade_date, broker_name, buy_shares, sell_shares, "
                    "CAST(buy_cents AS BIGINT), CAST(sell_cents AS BIGINT) FROM branch_days"
                )
            )
            return sorted(tuple(row) for row in rows)
    finally:
        engine.dispose()


def test_reports_from_before_both_totals_get_their_sells_and_a_flagged_difference_its_reason(
    database_url: str,
) -> None:
    from tests.storage.test_report_storage import TRADE_DATE, small_report

    unbalanced = small_report("2330")
    last = unbalanced.trades[-1]
    unbalanced = replace(unbalanced, trades=(*unbalanced.trades[:-1], replace(last, sell_shares=last.sell_shares + 7)))
    traded = unbalanced.total_buy_shares + 1000
    figures = DayFigures(TRADE_DATE, 3, 100, traded, None, None, None, Decimal("1040.00"))
    with Store.open(database_url) as store:
        store.save_report(replace(unbalanced, figures=figures, flags=("stored flagged",)))
        store.save_report(small_report("2317", seed=2))
    written = stock_days(database_url)
    assert upgraded_again_from(database_url, "0010")
    with Store.open(database_url) as store:
        summaries = {summary.stock_code: summary for summary in store.report_summaries(TRADE_DATE)}
    assert (summaries["2330"].total_buy_shares, summaries["2330"].total_sell_shares) == (
        unbalanced.total_buy_shares,
        unbalanced.total_sell_shares,
    )
    assert summaries["2330"].flags == (
        f"the view's 成交股數 {traded:,} is not the buys {unbalanced.total_buy_shares:,} "
        "(stored before both totals were kept)",
    )
    assert summaries["2317"].flags == ()
    # The volume of a day with the view's figures is its 成交股數, refilled as the Store fills it.
    assert stock_days(database_url) == written and written[1][2] == traded


def test_missing_reasons_stored_as_sentences_before_become_reasons_and_details(database_url: str) -> None:
    missing = {
        "2330": Missing(MissingReason.FAILED, "the site said wrong_captcha"),
        "2317": Missing(MissingReason.ROLLED_OVER, "2026-11-21"),
        "1101": Missing(MissingReason.STOPPED),
    }
    with Store.open(database_url) as store:
        run = store.start_job_run(date(2026, 11, 20))
        store.finish_job_run(run, JobStatus.FAILED, JobCounts(failed=1), missing=missing)
    engine = open_engine(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0013")
            (before,) = connection.execute(text("SELECT missing FROM job_runs")).scalars()
    finally:
        engine.dispose()
    # What the job wrote before 0014: one sentence a security, the last error alone for a failed one.
    assert (json.loads(before) if isinstance(before, str) else before) == {
        "2330": "the site said wrong_captcha",
        "2317": "not asked: the site serves 2026-11-21 now",
        "1101": "not asked: the run was stopped",
    }
    assert upgrade_database(database_url).changed
    with Store.open(database_url) as store:
        (stored,) = store.list_job_runs()
    assert stored.missing == missing
    assert str(stored.missing["2330"]) == "failed: the site said wrong_captcha"
