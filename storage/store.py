"""The Store: every read and write the other rooms make to the database, each one a transaction of its own.
Open one with Store.open(url); threads may share one (AsyncStore runs it off the event loop). Its concerns live in
modules of their own: reports, securities, job_runs, attempts, attempt_queries, model_versions and alerts."""

from __future__ import annotations

from types import TracebackType

from storage.alerts import Alerts
from storage.attempt_queries import AttemptFigures
from storage.attempts import Attempts
from storage.engine import open_engine
from storage.job_runs import JobRuns
from storage.migrations import upgrade_engine
from storage.model_versions import ModelVersions
from storage.reports import Reports
from storage.securities import Securities


class Store(Reports, Securities, JobRuns, Attempts, AttemptFigures, ModelVersions, Alerts):
    """The database of reports, solve attempts, job runs, securities, model versions and alerts."""

    @classmethod
    def open(cls, url: str) -> Store:
        """Connects to `url`, bringing its schema up to date first (SQLite: the file and folder are made)."""
        engine = open_engine(url)
        try:
            upgrade_engine(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
