"""The dashboard's HTML pages: overview, solver, failure queue, reports, alerts, and the images and CSV they link.

Routes are thin: they ask dashboard.figures or trainer.relabel for one thing and render a template."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dashboard import charts
from dashboard.dependencies import get_now, get_store
from dashboard.figures.failures import failure_figures
from dashboard.figures.overview import overview
from dashboard.figures.reports import report_figures
from dashboard.figures.solver import solver_figures
from storage import Store
from storage.export import write_trades_csv
from trainer.relabel import LABEL_HELP, RelabelError, mark_unreadable, next_failure, save_label

router = APIRouter(default_response_class=HTMLResponse)
UPCOMING_SHOWN = 4  # thumbnails of the failures after the one being labelled
ALERTS_SHOWN = 200

# Magic numbers of the image formats a captcha has been seen in; anything else is sent as opaque bytes.
IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page with the CSRF token its forms need and the failure count the menu shows."""
    state = request.app.state
    context = {
        **context,
        "csrf_token": state.csrf.token(request),
        "queue_size": state.store.failure_queue_size(),
    }
    response = state.templates.TemplateResponse(request, template, context, status_code=status_code)
    state.csrf.remember(request, response)
    return response


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error as a page of its own; it asks nothing of the database, which may be what failed."""
    context = {"page": "", "status_code": status_code, "message": message, "queue_size": None}
    return request.app.state.templates.TemplateResponse(request, "error.html", context, status_code=status_code)


# Three bars of a chart, in the dashboard's blue: the browser tab's icon.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0f172a"/>'
    '<rect x="3" y="8" width="2.5" height="5" fill="#60a5fa"/><rect x="6.75" y="5" width="2.5" height="8" fill="#60a5fa"/>'
    '<rect x="10.5" y="3" width="2.5" height="10" fill="#60a5fa"/></svg>'
)


@router.get("/favicon.svg", include_in_schema=False)
def favicon() -> Response:
    return Response(FAVICON_SVG, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/")
def overview_page(
    request: Request, store: Store = Depends(get_store), now: datetime = Depends(get_now)
) -> HTMLResponse:
    figures = overview(store, now)
    return render(
        request,
        "overview.html",
        {"page": "overview", "overview": figures, "runs_chart": charts.job_runs_chart(figures.runs)},
    )


@router.get("/solver")
def solver_page(request: Request, store: Store = Depends(get_store), now: datetime = Depends(get_now)) -> HTMLResponse:
    figures = solver_figures(store, now)
    return render(
        request,
        "solver.html",
        {
            "page": "solver",
            "solver": figures,
            "acceptance_chart": charts.acceptance_chart(figures),
            "histogram_chart": charts.attempts_histogram_chart(figures),
            "trend_chart": charts.attempts_trend_chart(figures),
            "calibration_chart": charts.calibration_chart(figures),
        },
    )


@router.get("/failures")
def failures_page(
    request: Request,
    after: int | None = None,
    saved: int | None = None,
    unreadable: int | None = None,
    store: Store = Depends(get_store),
) -> HTMLResponse:
    attempt = next_failure(store, after)
    done = saved or unreadable
    notice = None
    if done is not None:
        previous = store.get_attempt(done, image=False)
        notice = f"#{done} saved as {previous.label}" if saved else f"#{done} marked unreadable"
    return _failure_page(request, store, attempt.id if attempt else None, after, notice=notice)


@router.post("/failures/{attempt_id}/label", response_model=None)
def label_failure(
    request: Request,
    attempt_id: int,
    label: str = Form(""),
    after: int | None = Form(None),
    store: Store = Depends(get_store),
) -> Response:
    try:
        save_label(store, attempt_id, label)
    except RelabelError as error:
        return _failure_page(request, store, attempt_id, after, error=str(error), typed=label, status_code=422)
    return RedirectResponse(_queue_url(after, saved=attempt_id), status_code=303)


@router.post("/failures/{attempt_id}/unreadable")
def unreadable_failure(
    attempt_id: int, after: int | None = Form(None), store: Store = Depends(get_store)
) -> RedirectResponse:
    mark_unreadable(store, attempt_id)
    return RedirectResponse(_queue_url(after, unreadable=attempt_id), status_code=303)


def _failure_page(
    request: Request,
    store: Store,
    attempt_id: int | None,
    after: int | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    typed: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    attempt = failure_figures(store.get_attempt(attempt_id, image=False)) if attempt_id is not None else None
    upcoming = store.failure_queue(UPCOMING_SHOWN, after=attempt_id, images=False) if attempt_id is not None else []
    return render(
        request,
        "failures.html",
        {
            "page": "failures",
            "attempt": attempt,
            "upcoming": [failure_figures(item) for item in upcoming],
            "after": after,
            "notice": notice,
            "error": error,
            "typed": attempt.guess if typed is None and attempt else typed,
            "label_help": LABEL_HELP,
        },
        status_code=status_code,
    )


def _queue_url(after: int | None, **done: int) -> str:
    query = [f"after={after}"] if after is not None else []
    query += [f"{name}={attempt_id}" for name, attempt_id in done.items()]
    return "/failures" + ("?" + "&".join(query) if query else "")


@router.get("/attempts/{attempt_id}/image", response_model=None)
def attempt_image(attempt_id: int, store: Store = Depends(get_store)) -> Response:
    """The captcha image of one attempt, as stored, with the content type its bytes say."""
    attempt = store.get_attempt(attempt_id)
    media_type = next(
        (kind for magic, kind in IMAGE_TYPES if attempt.image.startswith(magic)), "application/octet-stream"
    )
    return Response(
        attempt.image,
        media_type=media_type,
        headers={"Cache-Control": "private, max-age=86400", "ETag": f'"{attempt.image_sha256}"'},
    )


@router.get("/reports")
def reports_page(
    request: Request,
    day: str = Query("", alias="date"),
    code: str = "",
    store: Store = Depends(get_store),
) -> HTMLResponse:
    trade_dates = store.trade_dates()
    trade_date = _parse_trade_date(day) if day else (trade_dates[0] if trade_dates else None)
    summaries = store.report_summaries(trade_date) if trade_date else []
    if not code and summaries:
        # The day's most traded security is the natural first look.
        code = max(summaries, key=lambda summary: summary.total_value).stock_code
    report = report_figures(store, trade_date, code.strip()) if trade_date and code else None
    context = {
        "page": "reports",
        "trade_dates": trade_dates,
        "trade_date": trade_date,
        "summaries": summaries,
        "code": code,
        "report": report,
        "net_chart": charts.net_branches_chart(report) if report and not report.no_trades else None,
    }
    missing = bool(code) and report is None and trade_date is not None
    return render(request, "reports.html", context, status_code=404 if missing else 200)


@router.get("/alerts")
def alerts_page(request: Request, store: Store = Depends(get_store)) -> HTMLResponse:
    alerts = store.list_alerts(ALERTS_SHOWN)
    undelivered = sum(not stored.delivered for stored in alerts)
    return render(request, "alerts.html", {"page": "alerts", "alerts": alerts, "undelivered": undelivered})


@router.get("/reports/{trade_date}/{stock_code}.csv")
def report_csv(trade_date: date, stock_code: str, store: Store = Depends(get_store)) -> Response:
    """The report's trades as a CSV file, one row per broker and price (UTF-8 with a BOM for spreadsheets)."""
    trades = store.report_trades(trade_date, stock_code)
    text = io.StringIO()
    write_trades_csv(text, trade_date, ((stock_code, trade) for trade in trades))
    filename = f"bsr-{stock_code}-{trade_date.isoformat()}.csv"
    return Response(
        ("\ufeff" + text.getvalue()).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _parse_trade_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"'{text}' is no date; pick a trade date from the list (YYYY-MM-DD)") from None
