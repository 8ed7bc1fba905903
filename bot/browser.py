"""Launching Chromium for the bot: a system build with the closed-network flags, else Playwright's own.

One browser per job; each worker gets its own context (cookies, session) and recycles it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, async_playwright

# Without these, Chromium spends its time calling home through a network that may be closed.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_executable(configured: str = "") -> str | None:
    """The Chromium to run: the configured one, else a system one, else None for Playwright's build."""
    if configured:
        if not Path(configured).is_file():
            raise FileNotFoundError(
                f"BSR_CHROMIUM points to {configured}, which does not exist: fix or unset it"
            )
        return configured
    for candidate in SYSTEM_CHROMIUMS:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


@asynccontextmanager
async def launch_browser(chromium: str = "", headless: bool = True) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_executable(chromium), headless=headless, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            await browser.close()
