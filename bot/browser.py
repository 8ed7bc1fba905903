"""Launching Chromium for the bot: a system build with the closed-network flags, else Playwright's own.

One browser per job; each worker gets its own context (cookies, session), dressed as a person's browser in Taipei."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, async_playwright

from storage import TAIPEI

# Without these, Chromium spends its time calling home through a network that may be closed.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # V8 collects garbage sooner instead of letting its heap (the pages' DOM included) grow, which a person would
    # not notice. A cap on the heap (--max-old-space-size, or --enable-low-end-device-mode, which sets one) saves
    # as much but makes a large security's view load far slower (docs/benchmarks.md, the bot's memory).
    "--js-flags=--optimize-for-size",
]
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# What a person's browser in Taipei says of itself: the working scrapers of 2026 all send an ordinary
# Chrome user agent, and a headless one announces itself as HeadlessChrome.
LOCALE = "zh-TW"
TIMEZONE = TAIPEI.key
HEADLESS_MARKER = "HeadlessChrome"


def chromium_executable(configured: str = "") -> str | None:
    """The Chromium to run: the configured one, else a system one, else None for Playwright's build."""
    if configured:
        if not Path(configured).is_file():
            raise FileNotFoundError(f"BSR_CHROMIUM points to {configured}, which does not exist: fix or unset it")
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


async def person_user_agent(browser: Browser) -> str:
    """The browser's own user agent without the headless marker, as a person's Chrome sends it: asked of the
    browser itself (DevTools' Browser.getVersion), which costs no page."""
    session = await browser.new_browser_cdp_session()
    try:
        version = await session.send("Browser.getVersion")
    finally:
        await session.detach()
    return version["userAgent"].replace(HEADLESS_MARKER, "Chrome")


async def person_context(browser: Browser, user_agent: str) -> BrowserContext:
    """A new context that looks like a person's Chrome in Taipei: `user_agent` (see person_user_agent),
    Traditional Chinese, Taipei time."""
    return await browser.new_context(user_agent=user_agent, locale=LOCALE, timezone_id=TIMEZONE)
