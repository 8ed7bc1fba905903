"""The report page and its JSON say where a report came from: fetched by the bot, or imported from a file."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from storage import ReportSource, Store
from tests.dashboard.conftest import CODES, FINISHED_DATES


def test_the_report_page_shows_an_imported_report_as_imported(client: TestClient, store: Store) -> None:
    day, code = FINISHED_DATES[0], CODES[0]
    fetched = client.get(f"/reports?date={day.isoformat()}&code={code}").text
    assert 'id="report-source">fetched from the site<' in fetched and 'id="imported-note"' not in fetched

    report = store.load_report(day, code)
    other = replace(report.trades[0], buy_shares=report.trades[0].buy_shares + 1000)
    imported = replace(
        report, trades=(other, *report.trades[1:]), rec_count=0, figures=None, source=ReportSource.IMPORTED
    )
    store.import_report(imported, replace=True)
    page = client.get(f"/reports?date={day.isoformat()}&code={code}").text
    assert 'id="report-source">imported from a file<' in page and 'id="imported-note"' in page
    assert 'id="day-figures"' not in page and 'id="trades"' in page
    api = client.get(f"/api/reports/{day.isoformat()}/{code}").json()
    assert (api["source"], api["rec_count"], api["figures"]) == ("imported", 0, None)
    assert api["total_buy_shares"] == report.total_buy_shares + 1000
