"""The exchange's list of securities as stored: listing dates, the first and last day each code was seen,
and the list of the last successful read."""

from __future__ import annotations

from datetime import date

from storage import Security, Store

MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
TSMC = Security("2330", "台積電", "stock", date(1994, 9, 5))
TAIWAN_CEMENT = Security("1101", "台泥", "stock", date(1962, 2, 9))
ACTIVE_ETF = Security("00400A", "主動國泰動能高息", "etf", date(2026, 8, 3))


def test_codes_are_first_seen_once_and_last_seen_on_every_read(store: Store) -> None:
    assert store.last_listing() == (None, [])
    assert store.record_listing([TSMC, TAIWAN_CEMENT], MONDAY) == 2
    assert store.record_listing([TSMC, ACTIVE_ETF], TUESDAY) == 2
    assert store.security_sightings("2330") == (MONDAY, TUESDAY)
    assert store.security_sightings("1101") == (MONDAY, MONDAY), "off the list since Tuesday"
    assert store.security_sightings("00400A") == (TUESDAY, TUESDAY)
    assert store.security_sightings("9999") == (None, None)
    assert store.last_listing() == (TUESDAY, [ACTIVE_ETF, TSMC])


def test_a_code_back_on_the_list_keeps_its_first_sighting(store: Store) -> None:
    store.record_listing([TAIWAN_CEMENT], MONDAY)
    store.record_listing([TSMC], TUESDAY)
    store.record_listing([TAIWAN_CEMENT, TSMC], WEDNESDAY)
    assert store.security_sightings("1101") == (MONDAY, WEDNESDAY)
    assert store.last_listing() == (WEDNESDAY, [TAIWAN_CEMENT, TSMC])


def test_securities_from_elsewhere_are_never_seen_on_the_list(store: Store) -> None:
    store.upsert_securities([Security("2317", "鴻海", "stock")])
    assert store.last_listing() == (None, [])
    store.record_listing([TSMC], MONDAY)
    store.upsert_securities([Security("2330", "台積電", "unknown")])  # a file of codes knows no dates
    assert store.list_securities() == [
        Security("2317", "鴻海", "stock"),
        Security("2330", "台積電", "unknown", TSMC.listed_on),
    ]
    assert store.security_sightings("2330") == (MONDAY, MONDAY)
    assert store.last_listing() == (MONDAY, [Security("2330", "台積電", "unknown", TSMC.listed_on)])


def test_the_securities_listed_on_a_day_are_those_seen_before_and_after_it(store: Store) -> None:
    store.record_listing([TSMC, TAIWAN_CEMENT], MONDAY)
    store.record_listing([TSMC, ACTIVE_ETF], WEDNESDAY)
    assert store.listed_securities(MONDAY) == [TAIWAN_CEMENT, TSMC]
    assert store.listed_securities(TUESDAY) == [TSMC], "1101 was gone by Wednesday, 00400A not yet seen"
    assert store.listed_securities(WEDNESDAY) == [ACTIVE_ETF, TSMC]
