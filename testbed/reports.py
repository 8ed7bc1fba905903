"""Synthetic, well-formed broker reports (seeded), with their CSV as the site writes it, for tests and benchmarks.

Reports are shaped like the site's: ordered by broker then price, case-sensitive broker ids, buys equal sells."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from replica import market
from replica.report_csv import report_csv_bytes
from storage.records import BrokerTrade, Report

BROKER_ID_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz"
RECORDS_PER_BROKER = 8
PRICE_TICKS = 41


def synthetic_report(
    stock_code: str = "2330",
    trade_date: date = date(2026, 11, 20),
    records: int = 6000,
    seed: int = 0,
    base_price: Decimal = Decimal("1040.00"),
    tick: Decimal = Decimal("5.00"),
) -> Report:
    """A complete report of `records` trades (records >= 2), with its CSV as the site writes it."""
    rng = random.Random(seed)
    broker_ids = _broker_ids(rng, max(2, -(-records // RECORDS_PER_BROKER)))
    per_broker = _spread(rng, records, len(broker_ids), PRICE_TICKS)
    prices = [base_price + tick * (step - PRICE_TICKS // 2) for step in range(PRICE_TICKS)]
    trades: list[BrokerTrade] = []
    for broker_id, count in zip(sorted(broker_ids), per_broker, strict=True):
        name = f"券商{broker_id}"
        for price in sorted(rng.sample(prices, count)):
            side = rng.random()
            buy = rng.randint(1, 50) * 1000 if side < 0.7 else 0
            sell = rng.randint(1, 50) * 1000 if side > 0.3 else 0
            trades.append(BrokerTrade(len(trades) + 1, broker_id, name, price, buy, sell))
    trades[-1] = _balanced(trades[-1], sum(t.buy_shares for t in trades) - sum(t.sell_shares for t in trades))
    return Report(
        trade_date=trade_date,
        stock_code=stock_code,
        rec_count=len(trades),
        trades=tuple(trades),
        raw_csv=site_csv(stock_code, trades),
        fetched_at=datetime.combine(trade_date, datetime.min.time(), UTC).replace(hour=9),
    )


def site_csv(stock_code: str, trades: list[BrokerTrade]) -> bytes:
    """The report's CSV as the site writes it (the replica's writer): UTF-8 with a BOM, two records a line."""
    records = tuple(
        market.Record(
            market.Broker(trade.broker_id, trade.broker_name),
            int(trade.price * 100),
            trade.buy_shares,
            trade.sell_shares,
        )
        for trade in trades
    )
    return report_csv_bytes(market.Report(date.min, stock_code, records, len(records), 0, 0, 0, 0), "utf-8-sig")


def _broker_ids(rng: random.Random, count: int) -> list[str]:
    # Ids differing only in case are different branches; the pair is always there to catch a lower().
    ids = {"9B2z", "9B2Z"}
    while len(ids) < count:
        ids.add("".join(rng.choice(BROKER_ID_CHARS) for _ in range(4)))
    return sorted(ids)


def _spread(rng: random.Random, total: int, buckets: int, cap: int) -> list[int]:
    counts = [1] * buckets
    for _ in range(total - buckets):
        bucket = rng.randrange(buckets)
        while counts[bucket] >= cap:
            bucket = (bucket + 1) % buckets
        counts[bucket] += 1
    return counts


def _balanced(trade: BrokerTrade, excess_bought: int) -> BrokerTrade:
    if excess_bought > 0:
        return replace(trade, sell_shares=trade.sell_shares + excess_bought)
    return replace(trade, buy_shares=trade.buy_shares - excess_bought)
