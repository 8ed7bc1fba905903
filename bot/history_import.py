"""`bsr import`: the site's CSVs that users and other tools saved (every layout bot.report_csv parses) and the
Parquet `bsr export` writes, into the store as imported reports: each checked as a download is, stored whole or
not at all, and once; a different report already stored is left as it was unless the import may replace it."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import structlog
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.errors import ReportFormatError
from bot.report_csv import parse_report, report_stock_code
from storage import (
    BrokerTrade,
    ExportedTradesError,
    InvalidReportError,
    Report,
    ReportMismatchError,
    ReportSource,
    SaveResult,
    Store,
    StoredReportDiffersError,
    read_exported_trades,
)

log = structlog.get_logger(__name__)

CSV_SUFFIX = ".csv"
PARQUET_SUFFIX = ".parquet"
# No link gave an imported report a RecCount: 0 says so, as the bot stores a link whose RecCount it cannot read.
# ceil(records / 100) would pass an inference from two points off as the site's figure in every export.
IMPORTED_REC_COUNT = 0
# A day in a file's or folder's name: 20260729_2330_twse_broker_trades.csv, 2026-07-29/2330.csv,
# trade_date=2026-07-29/part-0.parquet. Digits on either side make it something else (a longer number).
_DAY_IN_NAME = re.compile(r"(?<!\d)(?:(\d{4})(\d{2})(\d{2})|(\d{4})-(\d{2})-(\d{2}))(?!\d)")
_PARTITION = re.compile(r"trade_date=(\d{4}-\d{2}-\d{2})")
# What a regenerated CSV looks like: the site's layout of September 2026 (replica/report_csv.py, "2026-09").
_TITLE = "券商買賣股票成交價量資訊"
_HEADER = "序號,券商,價格,買進股數,賣出股數,,序號,券商,價格,買進股數,賣出股數"


class ImportStatus(StrEnum):
    """What importing one report (or one file that held none) came to."""

    IMPORTED = "imported"
    REPLACED = "replaced"  # a different report of its day and code was stored, and --replace was given
    ALREADY_STORED = "already stored"  # the same trades were stored (fetched or imported): nothing changed
    REFUSED = "refused"


@dataclass(frozen=True)
class ImportOutcome:
    """One report of one file, or a file refused whole (`stock_code` None where it was never known)."""

    path: Path
    status: ImportStatus
    trade_date: date | None = None
    stock_code: str | None = None
    reason: str = ""  # why it was refused
    records: int = 0  # the report's broker trades, where it was read

    def describe(self) -> str:
        what = " ".join(part for part in (self.stock_code, self.trade_date and self.trade_date.isoformat()) if part)
        return f"{self.path}{f' ({what})' if what else ''}{f': {self.reason}' if self.reason else ''}"


@dataclass
class ImportSummary:
    """What an import did, file by file and report by report."""

    files: int = 0
    outcomes: list[ImportOutcome] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def records(self) -> int:
        """Broker trades of the reports imported or replaced."""
        stored = (ImportStatus.IMPORTED, ImportStatus.REPLACED)
        return sum(outcome.records for outcome in self.outcomes if outcome.status in stored)

    @property
    def counts(self) -> Counter[ImportStatus]:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def refused(self) -> list[ImportOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status is ImportStatus.REFUSED]


class ImportRefusedError(Exception):
    """Why one file cannot be imported, in one line; its outcome names the file."""


def import_history(
    paths: Sequence[Path], database_url: str, console: Console, trade_date: date | None = None, replace: bool = False
) -> ImportSummary:
    """`bsr import`: every CSV and Parquet file under `paths` into the database, with a progress bar and a
    summary; `trade_date` is the day of every file, else each file's or folder's name says it."""
    with Store.open(database_url) as store:
        importer = HistoryImport(store, trade_date, replace)
        files = list(importer.find_files(paths))
        progress = Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[last]}"),
            TimeElapsedColumn(),
            console=console,
        )
        task = progress.add_task("importing", total=len(files), last="")
        with progress:
            summary = importer.run(files, on_file=lambda path: progress.update(task, advance=1, last=escape(path.name)))
    print_summary(summary, console)
    return summary


def print_summary(summary: ImportSummary, console: Console) -> None:
    counts = summary.counts
    table = Table(title="Imported history", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for what, value in (
        ("files", summary.files),
        ("reports imported", counts[ImportStatus.IMPORTED]),
        ("reports replaced (--replace)", counts[ImportStatus.REPLACED]),
        ("already stored, unchanged", counts[ImportStatus.ALREADY_STORED]),
        ("refused", counts[ImportStatus.REFUSED]),
        ("broker trades stored", f"{summary.records:,}"),
        ("duration", f"{summary.duration_s:.1f} s"),
    ):
        table.add_row(what, str(value))
    console.print(table)
    for outcome in summary.outcomes:
        if outcome.status is ImportStatus.REPLACED:
            console.print(f"[yellow]replaced[/] {escape(outcome.describe())}")
    for outcome in summary.refused:
        console.print(f"[red]refused[/] {escape(outcome.describe())}")


class HistoryImport:
    """One import into `store`: finds the files, reads each, and stores its reports one transaction each."""

    def __init__(self, store: Store, trade_date: date | None = None, replace: bool = False) -> None:
        self.store = store
        self.trade_date = trade_date
        self.replace = replace
        # The folder each file was found under: a day is looked for in names up to it, never above.
        self._roots: dict[Path, Path] = {}

    def find_files(self, paths: Iterable[Path]) -> Iterator[Path]:
        """Each file named, and every CSV and Parquet file under each folder named (hidden ones left out),
        in order; a path that does not exist, or a folder without such files, is refused when run."""
        for given in paths:
            if given.is_dir():
                root = given.absolute()
                found = (
                    path
                    for path in given.rglob("*")
                    if path.suffix.lower() in (CSV_SUFFIX, PARQUET_SUFFIX)
                    and not any(part.startswith(".") for part in path.relative_to(given).parts)
                    and path.is_file()
                )
                files = sorted(found)
                for path in files:
                    self._roots[path] = root
                yield from files or [given]
            else:
                self._roots[given] = given.absolute().parent
                yield given

    def run(self, files: Sequence[Path], on_file: Callable[[Path], object] = lambda path: None) -> ImportSummary:
        started = time.monotonic()
        summary = ImportSummary(files=len(files))
        for path in files:
            for outcome in self.import_file(path):
                summary.outcomes.append(outcome)
                if outcome.status is ImportStatus.REFUSED:
                    log.warning("import refused", path=str(path), reason=outcome.reason)
            on_file(path)
        summary.duration_s = time.monotonic() - started
        return summary

    def import_file(self, path: Path) -> list[ImportOutcome]:
        """The outcome of each report of one file; a file that cannot be read is one refused outcome."""
        try:
            if path.is_dir():
                raise ImportRefusedError("the folder holds no CSV or Parquet file")
            if not path.exists():
                raise ImportRefusedError("no such file or folder")
            if path.suffix.lower() == PARQUET_SUFFIX:
                return list(self._import_parquet(path))
            return [self._import_csv(path)]
        except ImportRefusedError as error:
            return [ImportOutcome(path, ImportStatus.REFUSED, reason=str(error))]

    def _import_csv(self, path: Path) -> ImportOutcome:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ImportRefusedError(f"it cannot be read ({error.strerror or error})") from error
        try:
            stock_code = report_stock_code(raw)
        except ReportFormatError as error:
            raise ImportRefusedError(str(error)) from error
        try:
            trade_date = self._day_of(path)
        except ImportRefusedError as error:
            return ImportOutcome(path, ImportStatus.REFUSED, None, stock_code, str(error))
        try:
            report = parse_report(raw, stock_code, trade_date, IMPORTED_REC_COUNT, datetime.now(UTC))
        except ReportFormatError as error:
            return ImportOutcome(path, ImportStatus.REFUSED, trade_date, stock_code, f"not a whole report: {error}")
        return self._store(path, replace(report, source=ReportSource.IMPORTED))

    def _import_parquet(self, path: Path) -> Iterator[ImportOutcome]:
        try:
            exported = list(read_exported_trades(path))
        except ExportedTradesError as error:
            raise ImportRefusedError(str(error)) from error
        if not exported:
            raise ImportRefusedError("it holds no broker trades")
        # A file's own day (its trade_date column, else its dataset partition's folder) is the day of its trades.
        partition_day = dataset_partition_day(path)
        named_day = None
        if partition_day is None and any(found.trade_date is None for found in exported):
            named_day = self._day_of(path)
        for found in exported:
            own_day = found.trade_date or partition_day
            if own_day is not None and self.trade_date is not None and own_day != self.trade_date:
                yield ImportOutcome(
                    path,
                    ImportStatus.REFUSED,
                    own_day,
                    found.stock_code,
                    f"its trades are of {own_day.isoformat()}, not of --date {self.trade_date.isoformat()}",
                )
                continue
            trade_date = own_day or named_day
            assert trade_date is not None
            report = Report(
                trade_date=trade_date,
                stock_code=found.stock_code,
                rec_count=IMPORTED_REC_COUNT,
                trades=found.trades,
                raw_csv=site_csv_bytes(found.stock_code, found.trades),
                fetched_at=datetime.now(UTC),
                source=ReportSource.IMPORTED,
            )
            yield self._store(path, report)

    def _store(self, path: Path, report: Report) -> ImportOutcome:
        def outcome(status: ImportStatus, reason: str = "") -> ImportOutcome:
            return ImportOutcome(path, status, report.trade_date, report.stock_code, reason, len(report.trades))

        try:
            result = self.store.import_report(report, replace=self.replace)
        except ReportMismatchError as error:
            return outcome(ImportStatus.REFUSED, f"not a whole report: {error.detail}")
        except InvalidReportError as error:
            return outcome(ImportStatus.REFUSED, f"not a report of the site: {error}")
        except StoredReportDiffersError as error:
            return outcome(ImportStatus.REFUSED, f"{error} (bsr import --replace)")
        if result is SaveResult.UNCHANGED:
            return outcome(ImportStatus.ALREADY_STORED)
        return outcome(ImportStatus.IMPORTED if result is SaveResult.INSERTED else ImportStatus.REPLACED)

    def _day_of(self, path: Path) -> date:
        """--date, else the day in the file's name, else in its folders' names up to the folder it was found
        under (the nearest wins)."""
        if self.trade_date is not None:
            return self.trade_date
        # Absolute, not resolved: a link's own name is the one its user gave it.
        absolute = path.absolute()
        root = self._roots.get(path, absolute.parent)
        for part in (absolute, *absolute.parents):
            found = days_in_name(part.name)
            if len(found) > 1:
                days = " and ".join(day.isoformat() for day in sorted(found))
                raise ImportRefusedError(f"the name {part.name!r} holds two days, {days}: give the day with --date")
            if found:
                return found.pop()
            if part == root:
                break
        raise ImportRefusedError(
            "no trade date: neither --date nor the name of the file or its folders gives one (YYYYMMDD or YYYY-MM-DD)"
        )


def dataset_partition_day(path: Path) -> date | None:
    """The day of a Hive partition's folder (`trade_date=YYYY-MM-DD`, as bsr export writes it) a file lies in."""
    match = _PARTITION.fullmatch(path.absolute().parent.name)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def days_in_name(name: str) -> set[date]:
    """The calendar days written in a file's or folder's name as YYYYMMDD or YYYY-MM-DD."""
    days = set()
    for match in _DAY_IN_NAME.finditer(name):
        year, month, day = (int(group) for group in match.groups() if group is not None)
        try:
            days.add(date(year, month, day))
        except ValueError:  # eight digits that are no day: part of something else
            continue
    return days


def site_csv_bytes(stock_code: str, trades: Sequence[BrokerTrade]) -> bytes:
    """A report's CSV in the site's layout of September 2026 (UTF-8 with a BOM, every value quoted, two
    records a line, odd numbers on the left), which parse_report reads back to the same trades. Written for
    reports restored from exported trades, whose own CSV was not kept: the branch names come unpadded."""

    def half(trade: BrokerTrade | None) -> str:
        if trade is None:
            return ",".join(['""'] * 5)
        fields = (
            str(trade.seq),
            trade.broker_id + trade.broker_name,
            f"{trade.price:.2f}",
            str(trade.buy_shares),
            str(trade.sell_shares),
        )
        return ",".join('"' + value.replace('"', '""') + '"' for value in fields)

    ordered = sorted(trades, key=lambda trade: trade.seq)
    lines = [f"{_TITLE}\r\n", f'股票代碼,="{stock_code}"\r\n', f"{_HEADER}\r\n"]
    for index in range(0, len(ordered), 2):
        right = ordered[index + 1] if index + 1 < len(ordered) else None
        lines.append(f"{half(ordered[index])},,{half(right)} \r\n")
    return "\ufeff".encode() + "".join(lines).encode("utf-8")
