"""The report page's figures: one stored report's totals, its top net buying and selling branches and every
trade."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from storage import (
    TAIPEI,
    BrokerTrade,
    DayFigures,
    Report,
    ReportSource,
    Store,
)

TOP_BRANCHES = 10


@dataclass(frozen=True)
class BranchTotals:
    """One broker branch's trading in one report, all prices together."""

    broker_id: str
    broker_name: str
    buy_shares: int
    sell_shares: int
    net_shares: int
    net_value: Decimal
    buy_price: Decimal | None  # average, weighted by shares
    sell_price: Decimal | None


@dataclass(frozen=True)
class ReportFigures:
    trade_date: date
    stock_code: str
    security_name: str | None
    rec_count: int  # the download link's RecCount, as the site gave it: not the number of records
    no_trades: bool
    fetched_at: datetime  # Taipei time; for an imported report, when it was imported
    figures: DayFigures | None  # the site's own view of the day: 成交筆數, 成交金額, 成交股數, prices
    flags: tuple[str, ...]  # why it was stored flagged; () for none
    source: ReportSource  # fetched by the bot, or imported from a saved file (no view figures)
    total_buy_shares: int
    total_sell_shares: int  # a real report's need not equal its buys
    total_value: Decimal
    branches: int
    top_buyers: list[BranchTotals]
    top_sellers: list[BranchTotals]
    trades: list[BrokerTrade]


def report_figures(store: Store, trade_date: date, stock_code: str) -> ReportFigures | None:
    """One stored report: totals, the top net buying and selling branches, and every trade."""
    report = store.load_report(trade_date, stock_code)
    if report is None:
        return None
    branches = branch_totals(report)
    names = {security.code: security.name for security in store.list_securities()}
    return ReportFigures(
        trade_date=report.trade_date,
        stock_code=report.stock_code,
        security_name=names.get(report.stock_code),
        rec_count=report.rec_count,
        no_trades=report.no_trades,
        fetched_at=report.fetched_at.astimezone(TAIPEI),
        figures=report.figures,
        flags=report.flags,
        source=report.source,
        total_buy_shares=report.total_buy_shares,
        total_sell_shares=report.total_sell_shares,
        total_value=report.total_value,
        branches=len(branches),
        top_buyers=[branch for branch in branches if branch.net_shares > 0][:TOP_BRANCHES],
        top_sellers=[branch for branch in reversed(branches) if branch.net_shares < 0][:TOP_BRANCHES],
        trades=list(report.trades),
    )


def branch_totals(report: Report) -> list[BranchTotals]:
    """Each branch's buys and sells over all prices (storage's sum, Report.branch_days), largest net buyer
    first; values in NT$ with the cents the prices have."""
    branches = []
    for day in report.branch_days():
        buy_value, sell_value = Decimal(day.buy_cents).scaleb(-2), Decimal(day.sell_cents).scaleb(-2)
        bought, sold = day.buy_shares, day.sell_shares
        branches.append(
            BranchTotals(
                broker_id=day.broker_id,
                broker_name=day.broker_name,
                buy_shares=bought,
                sell_shares=sold,
                net_shares=bought - sold,
                net_value=buy_value - sell_value,
                buy_price=(buy_value / bought).quantize(Decimal("0.01")) if bought else None,
                sell_price=(sell_value / sold).quantize(Decimal("0.01")) if sold else None,
            )
        )
    # Ties by branch id, so that equal nets list the same way every time.
    return sorted(branches, key=lambda branch: (-branch.net_shares, branch.broker_id))
