"""A real Chromium on the dashboard served by uvicorn: every page, charts drawn, the failure queue by keyboard.

Nothing may be fetched from anywhere but the dashboard itself (no CDN), and no script may fail."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from dashboard.app import create_app
from storage import LabelSource, Store
from testbed.serving import served
from tests.dashboard.conftest import FINISHED_DATES, NOW, TRADES_PER_REPORT, FilledStore

# For each chart: how many non-zero values it holds and how many of its pixels are painted.
CHART_FIGURES_JS = """
(ids) => ids.map((id) => {
  const canvas = document.getElementById(id);
  const chart = canvas && Chart.getChart(canvas);
  if (!chart) return { id, values: 0, painted: 0 };
  const values = chart.data.datasets.flatMap((set) => set.data).filter((v) => v !== null && v !== 0);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let alpha = 3; alpha < pixels.length; alpha += 4) if (pixels[alpha]) painted += 1;
  return { id, values: values.length, painted };
})
"""


@pytest.fixture
def dashboard_url(filled_store: FilledStore) -> Iterator[str]:
    with served(create_app(filled_store.url, clock=lambda: NOW)) as url:
        yield url


async def charts_drawn(page: Page, *ids: str) -> list[dict[str, Any]]:
    figures: list[dict[str, Any]] = await page.evaluate(CHART_FIGURES_JS, list(ids))
    for chart in figures:
        assert chart["values"] > 0, f"{chart['id']} holds no data"
        assert chart["painted"] > 2000, f"{chart['id']} painted only {chart['painted']} pixels"
    return figures


async def shown_attempt(page: Page) -> int:
    return int((await page.inner_text("#attempt-id")).lstrip("#"))


async def submit_with(page: Page, key: str) -> None:
    async with page.expect_navigation():
        await page.keyboard.press(key)


async def test_every_page_in_chromium_and_three_failures_labelled_by_keyboard(
    dashboard_url: str, browser: Browser, filled_store: FilledStore, store: Store
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # The refused label answers 422 on purpose; Chromium logs any such status as a console error.
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if message.type == "error" and "status of 422" not in message.text else None
        ),
    )
    page.on(
        "request",
        lambda request: None if request.url.startswith(dashboard_url) else problems.append(request.url),
    )

    await page.goto(f"{dashboard_url}/")
    await charts_drawn(page, "chart-runs")
    assert await page.locator("#job-runs tbody tr").count() == 4
    assert "1 of 4 securities" in await page.inner_text("#running-job")

    await page.goto(f"{dashboard_url}/solver")
    await charts_drawn(page, "chart-acceptance", "chart-attempts", "chart-attempts-trend", "chart-calibration")
    assert await page.locator("#confusions tbody tr").count() == 1

    await page.goto(f"{dashboard_url}/reports")
    await charts_drawn(page, "chart-net")
    async with page.expect_navigation():
        await page.select_option("#date-select", FINISHED_DATES[0].isoformat())
    assert FINISHED_DATES[0].isoformat() in await page.inner_text("#report-title")
    assert await page.locator("#trades tbody tr").count() == TRADES_PER_REPORT
    code = await page.input_value("#code-input")
    async with page.expect_download() as download_info:
        await page.click("#csv-link")
    download = await download_info.value
    assert download.suggested_filename == f"bsr-{code}-{FINISHED_DATES[0].isoformat()}.csv"
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8-sig")
    lines = text.splitlines()
    assert len(lines) == 1 + TRADES_PER_REPORT

    # The failure queue, keyboard only: the answer box has the focus and the solver's guess selected.
    queue = filled_store.queue
    await page.goto(f"{dashboard_url}/failures")
    assert await page.evaluate("document.activeElement.id") == "label-input"
    assert await shown_attempt(page) == queue[0]
    await page.keyboard.type(filled_store.truths[queue[0]].lower())
    await submit_with(page, "Enter")
    assert f"#{queue[0]} saved as {filled_store.truths[queue[0]]}" in await page.inner_text("#notice")

    assert await shown_attempt(page) == queue[1]
    await page.keyboard.type("b0")
    await submit_with(page, "Enter")
    assert "never appear in these captchas" in await page.inner_text("#label-error")
    assert await shown_attempt(page) == queue[1]
    await page.keyboard.type(filled_store.truths[queue[1]])
    await submit_with(page, "Enter")

    assert await shown_attempt(page) == queue[2]
    await submit_with(page, "Escape")  # skip
    assert await shown_attempt(page) == queue[3]
    await page.keyboard.type(filled_store.truths[queue[3]])
    await submit_with(page, "Enter")
    assert await shown_attempt(page) == queue[4]
    await submit_with(page, "?")  # unreadable
    assert "Nothing left behind the ones you skipped" in await page.inner_text("#queue-end")
    assert await page.inner_text("#remaining") == "1"

    for attempt_id in (queue[0], queue[1], queue[3]):
        stored = store.get_attempt(attempt_id)
        assert (stored.label, stored.label_source) == (filled_store.truths[attempt_id], LabelSource.HUMAN)
    assert store.get_attempt(queue[4]).unreadable
    assert [attempt.id for attempt in store.failure_queue()] == [queue[2]]
    assert problems == []
