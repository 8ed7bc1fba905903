"""SQL storage for reports, solve attempts, job runs and model versions.

SQLAlchemy 2 models, the engine from a URL, and the queries the other rooms use."""

from storage.async_store import AsyncStore
from storage.attempts import normal_label
from storage.errors import (
    DatabaseUnavailableError,
    InvalidReportError,
    NothingToExportError,
    ReportMismatchError,
    SchemaError,
    StorageError,
    StoredReportDiffersError,
    UnknownRecordError,
)
from storage.export import ExportFormat, ExportResult, ExportTable, export_dataset, export_day, export_reports
from storage.exported_trades import ExportedReport, ExportedTradesError, read_exported_trades
from storage.migrations import UpgradeResult, upgrade_database
from storage.records import (
    Attempt,
    AttemptOutcome,
    BrokerTrade,
    CharConfusion,
    ConfidenceBucket,
    DailyAcceptance,
    DayFigures,
    JobCounts,
    JobProgress,
    JobRun,
    JobStatus,
    LabelSource,
    LatencyPercentiles,
    ModelVersion,
    Report,
    ReportAttempts,
    ReportSource,
    ReportSummary,
    SaveResult,
    Security,
    StoredAttempt,
)
from storage.store import Store

__all__ = [
    "AsyncStore",
    "Attempt",
    "AttemptOutcome",
    "BrokerTrade",
    "CharConfusion",
    "ConfidenceBucket",
    "DailyAcceptance",
    "DayFigures",
    "DatabaseUnavailableError",
    "ExportFormat",
    "ExportResult",
    "ExportTable",
    "ExportedReport",
    "ExportedTradesError",
    "InvalidReportError",
    "JobCounts",
    "JobProgress",
    "JobRun",
    "JobStatus",
    "LabelSource",
    "LatencyPercentiles",
    "ModelVersion",
    "NothingToExportError",
    "Report",
    "ReportAttempts",
    "ReportMismatchError",
    "ReportSource",
    "ReportSummary",
    "SaveResult",
    "SchemaError",
    "Security",
    "Store",
    "StorageError",
    "StoredAttempt",
    "StoredReportDiffersError",
    "UnknownRecordError",
    "UpgradeResult",
    "export_dataset",
    "export_day",
    "export_reports",
    "normal_label",
    "read_exported_trades",
    "upgrade_database",
]
