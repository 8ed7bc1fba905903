"""The watchlist (BSR_WATCHLIST, a TOML file): stocks and branches to watch and the rules to check on each stored
day. Reading it refuses a bad file with the rule and the key at fault; flows.signals answers every rule."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from alerts.digest import page_url, quoted
from alerts.errors import WatchlistError
from flows import (
    CONCENTRATION_TOP,
    FlowsError,
    Signal,
    SignalKind,
    among_top,
    concentration_streak,
    day_trade_flips,
    net_buying,
    window_to,
)
from storage import Alert, AlertKind, Store

TOP_KEYS = {"stocks", "branches", "rules"}
MAX_DAYS = 250  # about a year of trading days: a longer window is a typo, not a watch
# Per kind of rule: the keys it must have and those it may have, besides `kind`.
RULE_KEYS: dict[SignalKind, tuple[set[str], set[str]]] = {
    SignalKind.NET_BUY: ({"lots"}, {"days", "stocks", "branches"}),
    SignalKind.CONCENTRATION: ({"percent", "days"}, {"stocks"}),
    SignalKind.TOP_BRANCH: (set(), {"top", "days", "stocks", "branches"}),
    SignalKind.DAY_TRADE_FLIP: (set(), {"lots", "stocks", "branches"}),
}
# What a kind of rule cannot do without: watched branches, watched stocks, or both.
NEEDS = {
    SignalKind.NET_BUY: ("branches",),
    SignalKind.CONCENTRATION: ("stocks",),
    SignalKind.TOP_BRANCH: ("stocks", "branches"),
    SignalKind.DAY_TRADE_FLIP: ("branches",),
}


@dataclass(frozen=True)
class Rule:
    kind: SignalKind
    number: int  # its place in the file, from 1: how errors and signals name it
    stocks: tuple[str, ...]
    branches: tuple[str, ...]
    lots: int = 1
    days: int = 1
    percent: float = 0.0
    top: int = CONCENTRATION_TOP

    @property
    def where(self) -> str:
        return f"rule {self.number} ({self.kind.value})"


@dataclass(frozen=True)
class Watchlist:
    path: Path
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Watch:
    """A watchlist checked on one day: the signals met, and the rules that could not be checked, with why."""

    trade_date: date
    signals: tuple[Signal, ...]
    problems: tuple[str, ...]


def load_watchlist(path: Path) -> Watchlist:
    """The watchlist at `path`, or a WatchlistError naming the file, the rule and what is wrong."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WatchlistError(path, "the file", "not found", "create it or unset BSR_WATCHLIST") from None
    except (OSError, UnicodeDecodeError) as error:
        raise WatchlistError(path, "the file", f"cannot be read ({error})", "check the path") from None
    except tomllib.TOMLDecodeError as error:
        raise WatchlistError(path, "TOML", str(error)) from None
    _known_keys(path, "the top level", document, TOP_KEYS)
    stocks = _codes(path, "the top level", document, "stocks")
    branches = _codes(path, "the top level", document, "branches")
    tables = document.get("rules", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise WatchlistError(path, "rules", "write each rule as a [[rules]] table")
    if not tables:
        raise WatchlistError(path, "rules", "no [[rules]] table: nothing to watch")
    return Watchlist(
        path, tuple(_rule(path, number, table, stocks, branches) for number, table in enumerate(tables, 1))
    )


def check_watchlist(store: Store, watchlist: Watchlist, trade_date: date) -> Watch:
    """Every rule of `watchlist` on `trade_date`, a stored day, each answered by flows.signals."""
    signals: list[Signal] = []
    problems: list[str] = []
    for rule in watchlist.rules:
        try:
            signals += CHECKS[rule.kind](store, rule, trade_date)
        except FlowsError as error:
            problems.append(f"{rule.where}: {error}")
    return Watch(trade_date, tuple(signals), tuple(problems))


def watch_alert(watch: Watch, dashboard_url: str) -> Alert | None:
    """One alert with every signal of the day, each with its dashboard page; None when no rule was met."""
    if not watch.signals:
        return None
    day = watch.trade_date.isoformat()
    lines = [f"{signal.text}\n  {signal_url(signal, dashboard_url)}" for signal in watch.signals]
    return Alert(
        AlertKind.WATCH,
        f"bsr {day}: {len(watch.signals)} watchlist signal(s)",
        "\n".join(lines),
        watch.trade_date,
    )


def signal_url(signal: Signal, dashboard_url: str) -> str:
    """The dashboard's flows page of the signal, over the signal's own window: a branch's, or a stock's."""
    window = f"?from={signal.window.first.isoformat()}&to={signal.window.last.isoformat()}"
    if signal.kind in (SignalKind.NET_BUY, SignalKind.DAY_TRADE_FLIP) and signal.broker_id is not None:
        return page_url(dashboard_url, f"/flows/branches/{quoted(signal.broker_id)}{window}")
    return page_url(dashboard_url, f"/flows/stocks/{quoted(signal.stock_code)}{window}")


def _net_buy(store: Store, rule: Rule, day: date) -> list[Signal]:
    window = window_to(store, day, rule.days)
    return [signal for broker in rule.branches for signal in net_buying(store, broker, window, rule.lots, rule.stocks)]


def _concentration(store: Store, rule: Rule, day: date) -> list[Signal]:
    window = window_to(store, day, rule.days)
    if window.days < rule.days:  # fewer days stored than the streak asks for
        return []
    found = (concentration_streak(store, code, window, rule.percent) for code in rule.stocks)
    return [signal for signal in found if signal is not None]


def _top_branch(store: Store, rule: Rule, day: date) -> list[Signal]:
    window = window_to(store, day, rule.days)
    return [signal for code in rule.stocks for signal in among_top(store, code, rule.branches, window, rule.top)]


def _day_trade_flip(store: Store, rule: Rule, day: date) -> list[Signal]:
    window = window_to(store, day, 2)
    if window.days < 2:  # the first stored day has no day before it
        return []
    return [
        signal for broker in rule.branches for signal in day_trade_flips(store, broker, window, rule.lots, rule.stocks)
    ]


CHECKS: dict[SignalKind, Callable[[Store, Rule, date], list[Signal]]] = {
    SignalKind.NET_BUY: _net_buy,
    SignalKind.CONCENTRATION: _concentration,
    SignalKind.TOP_BRANCH: _top_branch,
    SignalKind.DAY_TRADE_FLIP: _day_trade_flip,
}


def _rule(path: Path, number: int, table: dict[str, Any], stocks: tuple[str, ...], branches: tuple[str, ...]) -> Rule:
    kinds = ", ".join(kind.value for kind in SignalKind)
    try:
        kind = SignalKind(table.get("kind"))
    except ValueError:
        raise WatchlistError(path, f"rule {number}", f"kind {table.get('kind')!r} is none of {kinds}") from None
    where = f"rule {number} ({kind.value})"
    required, optional = RULE_KEYS[kind]
    _known_keys(path, where, table, {"kind", *required, *optional})
    for key in sorted(required - table.keys()):
        raise WatchlistError(path, where, f"'{key}' is missing")
    values: dict[str, Any] = {
        "stocks": _codes(path, where, table, "stocks") or stocks,
        "branches": _codes(path, where, table, "branches") or branches,
    }
    for needed in NEEDS[kind]:
        if not values[needed]:
            raise WatchlistError(path, where, f"no {needed} to watch: list them in the rule or at the top level")
    if "lots" in table:
        values["lots"] = _whole(path, where, table, "lots", 1, 10_000_000)
    if "days" in table:
        values["days"] = _whole(path, where, table, "days", 1, MAX_DAYS)
    if "top" in table:
        values["top"] = _whole(path, where, table, "top", 1, 100)
    if "percent" in table:
        percent = table["percent"]
        if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent < 100:
            raise WatchlistError(path, where, f"'percent' is {percent!r}: give a number from 0 to below 100")
        values["percent"] = float(percent)
    if kind is SignalKind.CONCENTRATION:  # a stock's own figure: the watched branches play no part
        values["branches"] = ()
    return Rule(kind, number, **values)


def _known_keys(path: Path, where: str, table: dict[str, Any], known: set[str]) -> None:
    for key in sorted(table.keys() - known):
        raise WatchlistError(path, where, f"unknown key '{key}' (known: {', '.join(sorted(known))})")


def _codes(path: Path, where: str, table: dict[str, Any], key: str) -> tuple[str, ...]:
    codes = table.get(key, [])
    if not isinstance(codes, list) or not all(isinstance(code, str) and code.strip() for code in codes):
        raise WatchlistError(path, where, f'\'{key}\' must be a list of codes in quotes, e.g. ["2330", "9A00"]')
    return tuple(dict.fromkeys(code.strip() for code in codes))


def _whole(path: Path, where: str, table: dict[str, Any], key: str, least: int, most: int) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise WatchlistError(path, where, f"'{key}' is {value!r}: give a whole number from {least} to {most:,}")
    return value
