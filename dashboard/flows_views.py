"""The broker-flows pages and their JSON (/api/flows/): a stock, a branch, the market's rankings, over a window
of days, ?days=N (the N latest stored days) or ?from=YYYY-MM-DD&to=YYYY-MM-DD. Routes are thin: each resolves the
window, asks the flows room one question and renders it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dashboard import charts
from dashboard.dependencies import get_columnar, get_store
from dashboard.pages import render
from flows import (
    ColumnarCopy,
    Window,
    as_records,
    branch_flows,
    rankings,
    resolve_window,
    stock_flows,
)
from storage import Store

pages = APIRouter(default_response_class=HTMLResponse)
api = APIRouter(tags=["flows"])
DEFAULT_DAYS = 20  # about a month of trading
WINDOW_CHOICES = (1, 5, 20, 60)
TOP = 15
CHART_BRANCHES = 5  # branches each way in the daily-net chart: more lines would be unreadable


@dataclass(frozen=True)
class WindowQuery:
    days: int | None
    start: date | None
    end: date | None

    def resolve(self, store: Store) -> Window:
        if self.days is None and self.start is None and self.end is None:
            return resolve_window(store, DEFAULT_DAYS)
        return resolve_window(store, self.days, self.start, self.end)


def window_query(
    days: int | None = Query(None, ge=1, le=2000),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
) -> WindowQuery:
    return WindowQuery(days, start, end)


def _stock(store: Store, code: str, window: WindowQuery, top: int) -> dict[str, Any]:
    flows = stock_flows(store, code, window.resolve(store), top)
    return {
        "flows": flows,
        "name": _security_names(store).get(code),
        "summary": {
            "stock_code": code,
            "trade_dates": [day.isoformat() for day in flows.window.trade_dates],
            "volume": flows.volume,
            "concentration": None if math.isnan(flows.concentration) else flows.concentration,
            "buying_branches": flows.buying_branches,
            "selling_branches": flows.selling_branches,
        },
    }


@pages.get("/flows/stocks/{code}")
def stock_page(
    request: Request, code: str, window: WindowQuery = Depends(window_query), store: Store = Depends(get_store)
) -> HTMLResponse:
    answer = _stock(store, code, window, TOP)
    flows = answer["flows"]
    leaders = [*flows.top_buyers(CHART_BRANCHES)["broker_id"], *flows.top_sellers(CHART_BRANCHES)["broker_id"]]
    names = dict(zip(flows.branches["broker_id"], flows.branches["broker_name"], strict=True))
    return render(
        request,
        "flows_stock.html",
        {
            "page": "flows",
            "code": code,
            "name": answer["name"],
            "flows": flows,
            "summary": answer["summary"],
            "buyers": as_records(flows.top_buyers(TOP)),
            "sellers": as_records(flows.top_sellers(TOP)),
            "choices": WINDOW_CHOICES,
            "net_chart": charts.daily_net_chart(flows.daily_net[leaders], names) if leaders else None,
            "concentration_chart": charts.concentration_chart(as_records(flows.days)),
            "close_chart": charts.close_chart(as_records(flows.days)),
        },
    )


@pages.get("/flows/branches/{broker_id}")
def branch_page(
    request: Request,
    broker_id: str,
    window: WindowQuery = Depends(window_query),
    store: Store = Depends(get_store),
) -> HTMLResponse:
    flows = branch_flows(store, broker_id, window.resolve(store))
    stocks = flows.stocks
    bought = stocks[stocks["net_value"] > 0].head(TOP)
    sold = stocks[stocks["net_value"] < 0].iloc[::-1].head(TOP)
    return render(
        request,
        "flows_branch.html",
        {
            "page": "flows",
            "flows": flows,
            "bought": as_records(bought),
            "sold": as_records(sold),
            "streaks": as_records(flows.streaks.head(TOP)),
            "traded": len(stocks),
            "choices": WINDOW_CHOICES,
            "net_chart": charts.stock_net_value_chart(as_records(bought.head(10)) + as_records(sold.head(10))),
        },
    )


@pages.get("/flows")
def rankings_page(
    request: Request,
    window: WindowQuery = Depends(window_query),
    store: Store = Depends(get_store),
    columnar: ColumnarCopy = Depends(get_columnar),
) -> HTMLResponse:
    if not store.trade_dates():
        return render(request, "flows_rankings.html", {"page": "flows", "trade_dates": []})
    answer = _rankings(columnar, window.resolve(store), TOP)
    return render(request, "flows_rankings.html", {"page": "flows", "choices": WINDOW_CHOICES, **answer})


def _security_names(store: Store) -> dict[str, str]:
    return {security.code: security.name for security in store.list_securities()}


def _rankings(columnar: ColumnarCopy, window: Window, top: int) -> dict[str, Any]:
    stocks, branches = rankings(columnar, window)
    stocks = stocks[stocks["concentration"].notna()]
    stocks.insert(1, "stock_name", stocks["stock_code"].map(_security_names(columnar.store)))
    return {
        "trade_dates": [day.isoformat() for day in window.trade_dates],
        "window": str(window),
        "concentrated_buying": as_records(stocks[stocks["concentration"] > 0].head(top)),
        "concentrated_selling": as_records(stocks[stocks["concentration"] < 0].iloc[::-1].head(top)),
        "net_buyers": as_records(branches[branches["net_value"] > 0].head(top)),
        "net_sellers": as_records(branches[branches["net_value"] < 0].iloc[::-1].head(top)),
    }


@api.get("/flows/stocks/{code}")
def get_stock(
    code: str,
    window: WindowQuery = Depends(window_query),
    top: int = Query(TOP, ge=1, le=1000),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """The stock's top net buyers and sellers over the window, and its days (volume, concentration, close)."""
    answer = _stock(store, code, window, top)
    flows = answer["flows"]
    return {
        **answer["summary"],
        "name": answer["name"],
        "branches": as_records(flows.top_buyers(top)) + as_records(flows.top_sellers(top)),
        "days": as_records(flows.days),
    }


@api.get("/flows/branches/{broker_id}")
def get_branch(
    broker_id: str, window: WindowQuery = Depends(window_query), store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Every stock the branch traded over the window, and its net-buying streaks."""
    flows = branch_flows(store, broker_id, window.resolve(store))
    return {
        "broker_id": flows.broker_id,
        "broker_name": flows.broker_name,
        "trade_dates": [day.isoformat() for day in flows.window.trade_dates],
        "stocks": as_records(flows.stocks),
        "streaks": as_records(flows.streaks),
    }


@api.get("/flows/rankings")
def get_rankings(
    window: WindowQuery = Depends(window_query),
    top: int = Query(TOP, ge=1, le=1000),
    store: Store = Depends(get_store),
    columnar: ColumnarCopy = Depends(get_columnar),
) -> dict[str, Any]:
    """Stocks by concentration and branches by net value, the top of each end."""
    return _rankings(columnar, window.resolve(store), top)
