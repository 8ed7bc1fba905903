"""The errors storage raises, each with a message that says what happened and what to do.

Anything already stored is left as it was when one of these is raised."""

from __future__ import annotations

from datetime import date


class StorageError(Exception):
    """Base of every storage error."""


class ReportMismatchError(StorageError):
    """A report that fails the checks of a complete download: record count or buy/sell totals."""

    def __init__(self, trade_date: date, stock_code: str, detail: str) -> None:
        self.trade_date = trade_date
        self.stock_code = stock_code
        self.detail = detail
        super().__init__(
            f"report {stock_code} of {trade_date.isoformat()} refused: {detail}; "
            "the download was incomplete and will be retried, nothing was stored"
        )


class StoredReportDiffersError(StorageError):
    """A report read from a file whose trades differ from those of the report stored for its day and code."""

    def __init__(self, trade_date: date, stock_code: str, stored_source: str, stored: int, offered: int) -> None:
        self.trade_date = trade_date
        self.stock_code = stock_code
        super().__init__(
            f"a different report of {stock_code} for {trade_date.isoformat()} is stored ({stored_source}, "
            f"{stored:,} records; this one {offered:,}); it was left as it was: replace it on purpose to store this one"
        )


class InvalidReportError(StorageError):
    """A report that cannot be a report of the site at all (duplicate sequence numbers, odd prices...)."""


class DatabaseUnavailableError(StorageError):
    """The database URL is malformed, or the database cannot be reached or opened."""

    def __init__(self, url: str, reason: str, hint: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot use database {url}: {reason}; {hint}")


class SchemaError(StorageError):
    """The database schema cannot be brought to this version's (migrations missing or from a newer bsr)."""


class UnknownRecordError(StorageError):
    """An id or name that names nothing stored (an attempt, a job run, a report, a model version)."""


class NothingToExportError(StorageError):
    """No report is stored for the day asked for."""
