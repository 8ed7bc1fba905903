"""A real Chromium on the flows pages over the hand-worked history: every page drawn, from the rankings to a
stock, from the stock to a branch by its name, and back to the stock by its code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser

from dashboard.app import create_app
from storage import Store
from testbed.serving import served
from tests.dashboard.test_dashboard_browser import charts_drawn
from tests.flows.conftest import history_reports


@pytest.fixture
def flows_url(tmp_path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'bsr.sqlite3'}"
    with Store.open(url) as store:
        store.load_reports(history_reports())
    with served(create_app(url)) as base:
        yield base


async def test_flows_pages_in_chromium_linked_both_ways(flows_url: str, browser: Browser) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: None if request.url.startswith(flows_url) else problems.append(request.url))

    await page.goto(f"{flows_url}/")
    async with page.expect_navigation():
        await page.click("#nav-flows")
    async with page.expect_navigation():
        await page.click("#window-5")
    assert "2026-11-16 to 2026-11-18, 3 trading days" in await page.inner_text("#window-shown")
    assert await page.locator("#net-buyers tbody tr").count() == 15
    async with page.expect_navigation():
        await page.click("#concentrated-buying a.stock-link >> text=2454")
    assert (await page.inner_text("#stock-title")).startswith("2454")
    await charts_drawn(page, "chart-concentration")
    assert await page.inner_text("#stock-concentration") == "17.9%"

    await page.goto(f"{flows_url}/flows/stocks/2330?days=3")
    await charts_drawn(page, "chart-daily-net", "chart-close")
    assert await page.inner_text("#stock-volume") == "7,000"
    async with page.expect_navigation():
        await page.click("#top-sellers a.branch-link >> text=台新五權")
    assert await page.inner_text("#branch-title") == "9B2Z 台新五權"
    assert await page.locator("#net-bought tbody tr").count() == 1
    async with page.expect_navigation():
        await page.click("#net-sold a.stock-link >> text=2330")
    assert await page.inner_text("#stock-title") == "2330"
    assert "3 trading days" in await page.inner_text("#window-shown")

    await page.goto(f"{flows_url}/flows/branches/9B2z?days=3")
    await charts_drawn(page, "chart-stock-net")
    assert await page.locator("#streaks tbody tr").count() == 1
    assert problems == []
