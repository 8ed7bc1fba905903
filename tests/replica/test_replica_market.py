"""The replica's market data: the universe of securities, the broker branches, and each day's reports."""

from __future__ import annotations

from collections import Counter
from datetime import date

from bot.listing import KINDS as READ_KINDS
from bot.universe import twstock_securities
from replica.market import (
    KINDS,
    LISTED_SINCE_TWSTOCK,
    UNBALANCED_SHARE,
    Market,
    brokers,
    fund_tick_cents,
    securities,
    stock_tick_cents,
)

TRADE_DATE = date(2026, 11, 20)


def test_universe_is_the_listed_securities_without_warrants() -> None:
    listed = securities()
    kinds = Counter(security.kind for security in listed)
    assert len(listed) >= 1300 and len({security.code for security in listed}) == len(listed)
    assert kinds["stock"] > 1000 and kinds["etf"] > 200 and kinds["preferred"] and kinds["tdr"]
    names = {security.code: security.name for security in listed}
    assert names["2330"] == "台積電" and names["2317"] == "鴻海" and names["2454"] == "聯發科"
    assert names["2412"] == "中華電" and names["00878"] == "國泰永續高股息" and "2881A" in names
    assert any(code.startswith("91") and len(code) == 6 for code in names)


def test_the_replica_lists_what_the_bot_reads_from_twstock_and_the_lists_sections() -> None:
    # The bot and the replica may not import each other, so each reads twstock's table and knows the list's
    # sections itself: the bot's reading is the one the daily job relies on, and the replica is held to it.
    assert KINDS == READ_KINDS
    served = {
        item.code: (item.name, item.kind, item.listed_on) for item in securities() if item not in LISTED_SINCE_TWSTOCK
    }
    read = {item.code: (item.name, item.kind, item.listed_on) for item in twstock_securities()}
    assert served == read and len(read) >= 1300


def test_branches_have_case_sensitive_ids_and_names_big5_can_carry() -> None:
    branches = brokers()
    ids = [branch.broker_id for branch in branches]
    assert 850 <= len(branches) <= 1000 and len(set(ids)) == len(ids)
    assert {"9B2z", "9B2Z", "1020", "1030", "9200"} <= set(ids)
    assert ids == sorted(ids)
    labels = {branch.broker_id: branch.label for branch in branches}
    assert labels["1020"] == "1020合\u3000\u3000庫" and labels["9B2z"] == "9B2z台新文心"
    for label in labels.values():
        assert label.encode("cp950").decode("cp950") == label
        assert len(label) >= 8


def test_every_report_stays_on_the_tick_grid_and_some_are_unbalanced_as_real_ones() -> None:
    market = Market(seed=1)
    sizes, quiet, differences = [], [], []
    for security in securities():
        report = market.report(TRADE_DATE, security.code)
        if report is None:
            quiet.append(security.code)
            continue
        tick = fund_tick_cents if security.kind in {"etf", "etn", "reit"} else stock_tick_cents
        sizes.append(len(report.records))
        assert report.total_buy > 0 and report.total_sell > 0, security.code
        differences.append(report.total_buy - report.total_sell)
        assert all(record.price_cents % tick(record.price_cents) == 0 for record in report.records), security.code
        assert report.low_cents <= report.open_cents <= report.high_cents
        assert report.low_cents <= report.last_cents <= report.high_cents
        keys = [(record.broker.broker_id, record.price_cents) for record in report.records]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert 3 <= len(quiet) <= 40
    unbalanced = [difference for difference in differences if difference]
    assert 0.85 * UNBALANCED_SHARE <= len(unbalanced) / len(differences) <= 1.15 * UNBALANCED_SHARE
    assert all(0 < abs(difference) < 100 or abs(difference) in (1_000, 2_000) for difference in unbalanced)
    assert min(sizes) <= 5 and 5_000 <= max(sizes) <= 6_500
    assert 50 <= sorted(sizes)[len(sizes) // 2] <= 300
    big = market.report(TRADE_DATE, "2330")
    assert 5_000 <= len(big.records) and 700 <= len({record.broker for record in big.records})
    shares = [share for record in big.records for share in (record.buy, record.sell) if share]
    assert sum(share % 1000 == 0 for share in shares) > 0.8 * len(shares)
    assert any(share % 1000 for share in shares), "some odd lots"


def test_the_view_shows_buys_for_some_securities_and_sells_for_others() -> None:
    market = Market(seed=1)
    reports = [report for security in securities()[:300] if (report := market.report(TRADE_DATE, security.code))]
    sides = Counter(report.traded_side for report in reports)
    assert min(sides["buy"], sides["sell"]) > 0.35 * len(reports)
    for report in reports:
        total = report.total_buy if report.traded_side == "buy" else report.total_sell
        assert report.traded_shares == total
        assert report.low_cents * total <= report.turnover * 100 <= report.high_cents * total
    later = [market.report(date(2026, 11, 19), report.stock_code) for report in reports]
    same_side = [same.traded_side == report.traded_side for report, same in zip(reports, later, strict=True) if same]
    assert all(same_side) and len(same_side) > 250, "a security's side is the same every day"
