"""The SQLAlchemy 2 models of the database; Alembic migrations in alembic/ must match them exactly.

Timestamps are stored as naive UTC on both databases and come back aware (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.records import AlertKind, AttemptOutcome, JobStatus, LabelSource, ReportSource

# Fixed constraint names, so both databases and every migration agree on them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC; SQLite keeps no zone and PostgreSQL's would follow the session."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(enum_class: type[Any], name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SecurityRow(Base):
    __tablename__ = "securities"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    listed_on: Mapped[date | None] = mapped_column(Date)
    # The first and the last day the exchange's list was read with this code on it (None: never read so).
    first_seen: Mapped[date | None] = mapped_column(Date)
    last_seen: Mapped[date | None] = mapped_column(Date, index=True)


class JobRunRow(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_date: Mapped[date] = mapped_column(Date, index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The running job refreshes it; a run that stops doing so was killed (see Store.list_job_runs).
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"))
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    # Securities the run did not store, by code, with why (failed, or never asked for once it stopped).
    # code -> {"reason": a MissingReason's value, "detail": ...}
    missing: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, server_default=text("'{}'"))


class ReportRow(Base):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("trade_date", "stock_code"),
        # flows asks for one stock over a window of days (the unique constraint leads with the day).
        Index("ix_reports_stock_code_trade_date", "stock_code", "trade_date"),
        # What the columnar copy of flows compares each day by, read from the index alone.
        Index("ix_reports_day_fingerprint", "trade_date", "fetched_at", "rec_count", "total_buy_shares"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_date: Mapped[date] = mapped_column(Date)
    stock_code: Mapped[str] = mapped_column(String(16))
    rec_count: Mapped[int]
    # A real report's buys and sells need not be equal (SITE.md, "The report"): both totals are kept.
    total_buy_shares: Mapped[int] = mapped_column(BigInteger)
    # The default served only the rows migration 0011 then summed; every report stored since sets it.
    total_sell_shares: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    total_value: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    no_trades: Mapped[bool]
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Identical downloads hash alike, so saving one again is a no-op.
    content_sha256: Mapped[str] = mapped_column(String(64))
    raw_csv_zlib: Mapped[bytes] = mapped_column(LargeBinary)
    # The report view's figures (bsContent.aspx?v=t); None for no-trades answers and older reports.
    trade_count: Mapped[int | None] = mapped_column(BigInteger)
    turnover: Mapped[int | None] = mapped_column(BigInteger)
    traded_shares: Mapped[int | None] = mapped_column(BigInteger)
    open_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    high_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    low_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    close_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Why the report was stored although a soft sign kept doubting it (storage.report_checks); [] for none.
    flags: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))
    # Fetched by the bot, or imported from a saved file (bsr import): an imported one has no view figures.
    source: Mapped[ReportSource] = mapped_column(_enum(ReportSource, "report_source"), server_default=text("'fetched'"))


class BrokerTradeRow(Base):
    __tablename__ = "broker_trades"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    broker_id: Mapped[str] = mapped_column(String(8), index=True)
    broker_name: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    buy_shares: Mapped[int] = mapped_column(BigInteger)
    sell_shares: Mapped[int] = mapped_column(BigInteger)


class BranchDayRow(Base):
    """One branch's trading in one stock on one day: its records of that day's report summed.

    Written with the report, in the same transaction; what flows aggregates over windows of days, since
    a report's records per branch (one per price) are many more rows (docs/benchmarks.md). Clustered by
    stock and branch on SQLite (no rowid), so that one stock over any window is one range of the table.
    By branch and day with every column a branch's questions read, so that one branch over any window is
    one range of that index and never a lookup into the table per stock and day (flows.branch). By day
    for the columnar copy (flows.columnar), which reads each stored day once."""

    __tablename__ = "branch_days"
    __table_args__ = (
        Index(
            "ix_branch_days_broker_covering",
            "broker_id",
            "trade_date",
            "stock_code",
            "broker_name",
            "buy_shares",
            "sell_shares",
            "buy_cents",
            "sell_cents",
        ),
        Index("ix_branch_days_trade_date", "trade_date"),
        {"sqlite_with_rowid": False},
    )

    stock_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    broker_id: Mapped[str] = mapped_column(String(8), primary_key=True)  # case-sensitive, as on the site
    trade_date: Mapped[date] = mapped_column(Date, primary_key=True)
    broker_name: Mapped[str] = mapped_column(String(64))
    buy_shares: Mapped[int] = mapped_column(BigInteger)
    sell_shares: Mapped[int] = mapped_column(BigInteger)
    # Price times shares summed, in whole cents: exact integers on both databases (SQLite keeps any value
    # that fits 64 bits as an integer; only absurd ones beyond NT$ 92 quadrillion would turn REAL there).
    buy_cents: Mapped[Decimal] = mapped_column(Numeric(30, 0))
    sell_cents: Mapped[Decimal] = mapped_column(Numeric(30, 0))


class StockDayRow(Base):
    """One stock's figures of one day under 主力集中度's rule (storage.stock_days), from its branch days.

    Written with the report, in the same transaction, since each is a function of that day's report alone:
    a stock's daily concentration over a window is then a range of this table (clustered by stock on
    SQLite), not a window function per day. A day the stock did not trade has no row."""

    __tablename__ = "stock_days"
    __table_args__ = ({"sqlite_with_rowid": False},)

    stock_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    trade_date: Mapped[date] = mapped_column(Date, primary_key=True)
    volume: Mapped[int] = mapped_column(BigInteger)
    top_buy_shares: Mapped[int] = mapped_column(BigInteger)
    top_sell_shares: Mapped[int] = mapped_column(BigInteger)
    buying_branches: Mapped[int]
    selling_branches: Mapped[int]


class SolveAttemptRow(Base):
    __tablename__ = "solve_attempts"
    __table_args__ = (Index("ix_solve_attempts_queue", "outcome", "label_source", "unreadable"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id", ondelete="SET NULL"), index=True)
    stock_code: Mapped[str] = mapped_column(String(16))
    # Deferred: lists, labels and figures never need the bytes; only calls that ask for images load them.
    image: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    image_sha256: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[str] = mapped_column(String(64), index=True)
    guess: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[float] = mapped_column(Float)
    outcome: Mapped[AttemptOutcome] = mapped_column(_enum(AttemptOutcome, "attempt_outcome"))
    label: Mapped[str | None] = mapped_column(String(16))
    label_source: Mapped[LabelSource] = mapped_column(_enum(LabelSource, "label_source"))
    labelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unreadable: Mapped[bool]


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    # At most one active version: a partial unique index over the active rows.
    __table_args__ = (
        Index(
            "uq_model_versions_one_active",
            "active",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    path: Mapped[str] = mapped_column(String(1024))
    metrics: Mapped[dict[str, float]] = mapped_column(JSON)
    active: Mapped[bool]
    # When it last became active, and when a rollback took it out: what a rollback goes back to.
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rolled_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AlertRow(Base):
    """One alert sent, or to be sent, to one notification URL: a message to two URLs is two rows."""

    __tablename__ = "alerts"
    # What the next run retries: the undelivered alerts of each URL.
    __table_args__ = (Index("ix_alerts_pending", "delivered", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, "alert_kind"))
    trade_date: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    # The apprise URL with its secrets (tokens, passwords) masked: the database never holds them.
    target: Mapped[str] = mapped_column(String(512))
    delivered: Mapped[bool]
    tries: Mapped[int]
    last_tried_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the last try failed; None once delivered.
    error: Mapped[str | None] = mapped_column(Text)


# The tables themselves, for bulk statements that bypass the ORM's per-row work.
SECURITIES = cast(Table, SecurityRow.__table__)
REPORTS = cast(Table, ReportRow.__table__)
BRANCH_DAYS = cast(Table, BranchDayRow.__table__)
STOCK_DAYS = cast(Table, StockDayRow.__table__)
