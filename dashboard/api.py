"""The JSON API under /api/: the same figures the pages show, and the failure queue's relabel actions.

POSTs need the X-CSRF-Token header of a dashboard page (the token is in its forms' csrf_token field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from dashboard.dependencies import get_now, get_store
from dashboard.figures.failures import FailureFigures, failure_figures
from dashboard.figures.overview import (
    DayCoverage,
    JobRunFigures,
    Overview,
    day_coverage,
    job_run_figures,
    overview,
)
from dashboard.figures.reports import ReportFigures, report_figures
from dashboard.figures.solver import SolverFigures, solver_figures
from storage import ReportSummary, Store
from trainer.relabel import mark_unreadable, next_failure, save_label

router = APIRouter(tags=["api"])


@dataclass(frozen=True)
class FailureQueue:
    remaining: int
    attempts: list[FailureFigures]


@dataclass(frozen=True)
class RelabelResult:
    """What a relabel action stored, and what comes next in the queue."""

    attempt_id: int
    label: str | None  # None: marked unreadable
    remaining: int
    next: FailureFigures | None


class LabelRequest(BaseModel):
    label: str
    after: int | None = None  # the last attempt skipped, so that `next` comes from behind it


class SkipRequest(BaseModel):
    after: int | None = None


@router.get("/overview")
def get_overview(store: Store = Depends(get_store), now: datetime = Depends(get_now)) -> Overview:
    return overview(store, now)


@router.get("/job-runs")
def get_job_runs(
    limit: int = Query(50, ge=1, le=1000), store: Store = Depends(get_store), now: datetime = Depends(get_now)
) -> list[JobRunFigures]:
    return [job_run_figures(run, now) for run in store.list_job_runs(limit)]


@router.get("/coverage/{trade_date}")
def get_coverage(trade_date: date, store: Store = Depends(get_store)) -> DayCoverage:
    """A trade date against the exchange's list: stored, without trades, and missing with why."""
    return day_coverage(store, trade_date, store.list_job_runs(1000))


@router.get("/solver")
def get_solver(store: Store = Depends(get_store), now: datetime = Depends(get_now)) -> SolverFigures:
    return solver_figures(store, now)


@router.get("/failures")
def get_failures(
    limit: int = Query(20, ge=1, le=500), after: int | None = None, store: Store = Depends(get_store)
) -> FailureQueue:
    return FailureQueue(
        remaining=store.failure_queue_size(),
        attempts=[failure_figures(attempt) for attempt in store.failure_queue(limit, after, images=False)],
    )


@router.post("/failures/{attempt_id}/label")
def post_label(attempt_id: int, request: LabelRequest, store: Store = Depends(get_store)) -> RelabelResult:
    label = save_label(store, attempt_id, request.label)
    return _relabel_result(store, attempt_id, label, request.after)


@router.post("/failures/{attempt_id}/unreadable")
def post_unreadable(
    attempt_id: int, request: SkipRequest | None = None, store: Store = Depends(get_store)
) -> RelabelResult:
    mark_unreadable(store, attempt_id)
    return _relabel_result(store, attempt_id, None, request.after if request else None)


def _relabel_result(store: Store, attempt_id: int, label: str | None, after: int | None) -> RelabelResult:
    following = next_failure(store, after)
    return RelabelResult(
        attempt_id=attempt_id,
        label=label,
        remaining=store.failure_queue_size(),
        next=failure_figures(following) if following else None,
    )


@router.get("/reports")
def get_trade_dates(store: Store = Depends(get_store)) -> list[date]:
    """The trade dates with stored reports, newest first."""
    return store.trade_dates()


@router.get("/reports/{trade_date}")
def get_report_summaries(trade_date: date, store: Store = Depends(get_store)) -> list[ReportSummary]:
    return store.report_summaries(trade_date)


@router.get("/reports/{trade_date}/{stock_code}")
def get_report(trade_date: date, stock_code: str, store: Store = Depends(get_store)) -> ReportFigures:
    report = report_figures(store, trade_date, stock_code)
    if report is None:
        raise HTTPException(
            404, f"no report of {stock_code} for {trade_date.isoformat()} is stored; see /api/reports/{trade_date}"
        )
    return report
