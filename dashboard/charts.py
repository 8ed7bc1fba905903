"""Chart specifications for the browser: labels, series and axis formats, as plain JSON-ready dicts.

The pages embed them as JSON data blocks; static/charts.js draws each with the vendored Chart.js."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.figures.overview import JobRunFigures
from dashboard.figures.reports import ReportFigures
from dashboard.figures.solver import SolverFigures

Spec = dict[str, Any]
FEW_ANSWERS = 30


def job_runs_chart(runs: list[JobRunFigures]) -> Spec:
    """Securities per job run by result, oldest run first."""
    ordered = list(reversed(runs))
    return {
        "type": "bar",
        "stacked": True,
        "labels": [run.trade_date.isoformat() for run in ordered],
        "datasets": [
            {"label": "stored", "data": [run.stored for run in ordered], "color": "blue"},
            {"label": "no trades", "data": [run.no_trades for run in ordered], "color": "grey"},
            {"label": "failed", "data": [run.failed for run in ordered], "color": "red"},
        ],
        "y": {"title": "securities"},
    }


def acceptance_chart(figures: SolverFigures) -> Spec:
    """The share of judged answers the site accepted, per day and model version."""
    return {
        "type": "line",
        "labels": [day.isoformat() for day in figures.days],
        "datasets": [{"label": series.model_version, "data": series.rates} for series in figures.acceptance],
        "y": {"format": "percent", "title": "accepted by the site"},
    }


def attempts_histogram_chart(figures: SolverFigures) -> Spec:
    top = len(figures.attempts_histogram)
    return {
        "type": "bar",
        "labels": [str(count) for count in range(1, top)] + [f"{top}+"],
        "datasets": [{"label": "reports", "data": figures.attempts_histogram, "color": "blue"}],
        "x": {"title": "captcha answers per report"},
        "y": {"title": "reports"},
    }


def attempts_trend_chart(figures: SolverFigures) -> Spec:
    return {
        "type": "line",
        "labels": [row.trade_date.isoformat() for row in figures.attempts_by_trade_date],
        "datasets": [
            {
                "label": "mean answers per report",
                "data": [round(row.mean_attempts, 3) for row in figures.attempts_by_trade_date],
                "color": "teal",
            }
        ],
        "y": {"title": "answers per report", "min": 1},
    }


def calibration_chart(figures: SolverFigures) -> Spec:
    """Accuracy in each confidence bucket against the bucket's middle: a calibrated model follows it."""
    return {
        "type": "bar",
        "labels": [f"{bucket.low:.1f}–{bucket.high:.1f}" for bucket in figures.calibration],
        "datasets": [
            {
                "label": "accepted share",
                "data": [bucket.accuracy for bucket in figures.calibration],
                "counts": [bucket.judged for bucket in figures.calibration],
                # A bucket of a few answers says little: its bar is drawn pale.
                "colors": ["blue" if bucket.judged >= FEW_ANSWERS else "pale" for bucket in figures.calibration],
            },
            {
                "label": "perfect calibration",
                "type": "line",
                "data": [round((bucket.low + bucket.high) / 2, 4) for bucket in figures.calibration],
                "color": "grey",
                "dashed": True,
            },
        ],
        "x": {"title": "solver confidence"},
        "y": {"format": "percent", "min": 0, "max": 1},
        "legend": False,
    }


def net_branches_chart(report: ReportFigures) -> Spec:
    """The top net buying and selling branches, net shares, buyers first."""
    branches = report.top_buyers + list(reversed(report.top_sellers))
    return {
        "type": "bar",
        "horizontal": True,
        "labels": [f"{branch.broker_id} {branch.broker_name}" for branch in branches],
        "datasets": [
            {
                "label": "net shares",
                "data": [branch.net_shares for branch in branches],
                "colors": ["blue" if branch.net_shares > 0 else "orange" for branch in branches],
            }
        ],
        "x": {"title": "net shares (bought − sold)"},
    }


def daily_net_chart(daily_net: pd.DataFrame, names: dict[str, str]) -> Spec:
    """Net shares per day of the window's top net buyers and sellers, one line per branch."""
    return {
        "type": "line",
        "labels": [day.isoformat() for day in daily_net.index],
        "datasets": [
            {"label": f"{broker_id} {names.get(broker_id, '')}", "data": [int(value) for value in daily_net[broker_id]]}
            for broker_id in daily_net.columns
        ],
        "y": {"title": "net shares (bought − sold)"},
    }


def concentration_chart(days: list[dict[str, Any]]) -> Spec:
    """Each day's concentration: what its top 15 net buyers bought beyond what its top 15 sellers sold."""
    return {
        "type": "bar",
        "labels": [day["trade_date"] for day in days],
        "datasets": [
            {
                "label": "concentration (top 15)",
                "data": [day["concentration"] for day in days],
                "colors": ["blue" if (day["concentration"] or 0) >= 0 else "orange" for day in days],
            }
        ],
        "y": {"format": "percent", "title": "of the day's volume"},
        "legend": False,
    }


def close_chart(days: list[dict[str, Any]]) -> Spec:
    """The close as the report view gave it; a day without one is a gap in the line (null), not a guess."""
    return {
        "type": "line",
        "labels": [day["trade_date"] for day in days],
        "datasets": [{"label": "close", "data": [day["close_price"] for day in days], "color": "teal"}],
        "y": {"title": "close (NT$)"},
        "legend": False,
    }


def stock_net_value_chart(stocks: list[dict[str, Any]]) -> Spec:
    """A branch's biggest net purchases and sales by value, one bar per stock."""
    return {
        "type": "bar",
        "horizontal": True,
        "labels": [stock["stock_code"] for stock in stocks],
        "datasets": [
            {
                "label": "net value (NT$)",
                "data": [stock["net_value"] for stock in stocks],
                "colors": ["blue" if stock["net_value"] > 0 else "orange" for stock in stocks],
            }
        ],
        "x": {"title": "NT$ bought − sold"},
        "legend": False,
    }
