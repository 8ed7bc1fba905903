"""One query of the broker-report form, as a page object named after the site's steps.

open_form -> read_captcha -> submit -> outcome -> download_csv; each answer page already carries the
next captcha, so a worker goes on from `outcome` to the next `read_captcha` without reloading."""

from __future__ import annotations

import asyncio
import enum
import re
import time
from collections.abc import Awaitable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

from playwright.async_api import BrowserContext, Page, Response, Route
from playwright.async_api import Error as PlaywrightError

from bot.errors import BlockedError, SiteChangedError, TransientSiteError

FIREWALL_MARKERS = ("THE PAGE CANNOT BE ACCESSED", "FOR SECURITY REASONS", "頁面無法執行")
FORM_SELECTORS = ("#TextBox_Stkno", "#CaptchaControl1", "#btnOK", "#Label_ErrorMsg")
CAPTCHA_PATH = "CaptchaImage.aspx"
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG")
# Logos, styles and icons are not needed to query: leaving them out halves the requests per query, which
# is kinder to the site and keeps the bot further from its firewall's limit.
NONESSENTIAL = re.compile(r"\.(?:png|gif|jpe?g|ico|css|woff2?)(?:\?.*)?$", re.IGNORECASE)


class Outcome(enum.Enum):
    """What the site answered to one submitted captcha."""

    REPORT = "report"  # the captcha was right and the report is ready to download
    WRONG_CAPTCHA = "wrong_captcha"  # 驗證碼錯誤!
    EXPIRED_CAPTCHA = "expired_captcha"  # 驗證碼已逾期!
    NO_DATA = "no_data"  # 查無資料: the security did not trade (or is unknown)


class ReportForm:
    """bsMenu.aspx in one browser page."""

    def __init__(self, page: Page, base_url: str, evidence_dir: Path, timeout_s: float = 30.0) -> None:
        self.page = page
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.evidence_dir = evidence_dir
        self._captcha: Response | None = None
        self._captcha_loaded_at = 0.0
        self.site_s = 0.0  # time spent waiting for the site, so that the bot's own overhead can be told apart
        page.set_default_timeout(timeout_s * 1000)
        page.on("response", self._remember_captcha)

    @classmethod
    async def open_in(
        cls, context: BrowserContext, base_url: str, evidence_dir: Path, timeout_s: float = 30.0
    ) -> ReportForm:
        """A form on a new page of `context`, which fetches only what a query needs."""
        await context.route(NONESSENTIAL, _skip)
        return cls(await context.new_page(), base_url, evidence_dir, timeout_s)

    def _remember_captcha(self, response: Response) -> None:
        if CAPTCHA_PATH in response.url:
            self._captcha = response
            self._captcha_loaded_at = time.monotonic()

    @property
    def has_captcha(self) -> bool:
        return self._captcha is not None

    def discard_captcha(self) -> None:
        """After trouble, the next try starts from a freshly loaded form."""
        self._captcha = None

    async def read_trade_date(self) -> date:
        """The trade date the site serves now, from bsWelcome.aspx's Label_Date."""
        await self._navigate(self.page.goto(urljoin(self.base_url, "bsWelcome.aspx")))
        label = self.page.locator("#Label_Date")
        if await label.count() == 0:
            raise await self._site_changed("no Label_Date on bsWelcome.aspx")
        text = (await label.inner_text()).strip()
        try:
            return datetime.strptime(text, "%Y/%m/%d").date()
        except ValueError as error:
            raise await self._site_changed(f"Label_Date reads {text!r}") from error

    async def open_form(self) -> None:
        """Load a fresh bsMenu.aspx, with a new captcha and viewstate."""
        self._captcha = None
        await self._navigate(self.page.goto(urljoin(self.base_url, "bsMenu.aspx")))
        await self._check_form()

    async def read_captcha(self) -> bytes:
        """The captcha image the page already loaded: no second request, which would spend it."""
        if self._captcha is None:
            raise await self._site_changed("no captcha image loaded with the form")
        response = self._captcha
        try:
            body = await response.body()
        except PlaywrightError as error:
            raise TransientSiteError(f"the captcha image did not load: {error.message}") from error
        if response.status >= 400 or not body.startswith(IMAGE_MAGIC):
            raise TransientSiteError(
                f"the captcha answered HTTP {response.status} without an image (site busy)"
            )
        return body

    async def submit(self, stock_code: str, answer: str, answer_delay_s: float = 0.0) -> None:
        """Fill the security code and the captcha answer and press 查詢, not before `answer_delay_s`
        after the captcha loaded: the site's captcha control can refuse answers typed faster than that."""
        await asyncio.sleep(self._captcha_loaded_at + answer_delay_s - time.monotonic())
        await self.page.fill("#TextBox_Stkno", stock_code)
        await self.page.fill("#CaptchaControl1", answer)
        self._captcha = None
        await self._navigate(self._click_and_wait())

    async def _click_and_wait(self) -> Response | None:
        async with self.page.expect_navigation(wait_until="load") as navigation:
            await self.page.click("#btnOK")
        return await navigation.value

    async def outcome(self) -> Outcome:
        """Classify the answer page: a download link, or the error label's message."""
        await self._check_form()
        if await self.page.locator("#HyperLink_DownloadCSV").count():
            return Outcome.REPORT
        message = (await self.page.locator("#Label_ErrorMsg").inner_text()).strip()
        if "驗證碼錯誤" in message:
            return Outcome.WRONG_CAPTCHA
        if "驗證碼已逾期" in message:
            return Outcome.EXPIRED_CAPTCHA
        if "查無資料" in message:
            return Outcome.NO_DATA
        raise await self._site_changed(f"unknown answer {message!r}")

    async def download_csv(self) -> tuple[bytes, int]:
        """Follow the download link's href in the same browser context; the CSV and its RecCount."""
        href = await self.page.locator("#HyperLink_DownloadCSV").get_attribute("href")
        if not href:
            raise await self._site_changed("a download link without href")
        url = urljoin(self.page.url, href)
        rec_count = parse_qs(urlparse(url).query).get("RecCount", [""])[0]
        if not rec_count.isdigit():
            raise await self._site_changed(f"a download link without RecCount ({href})")
        started = time.perf_counter()
        try:
            response = await self.page.context.request.get(url)
            body = await response.body()
        except PlaywrightError as error:
            raise TransientSiteError(f"the report download failed: {error.message}") from error
        finally:
            self.site_s += time.perf_counter() - started
        if response.status >= 500:
            raise TransientSiteError(f"the report download answered HTTP {response.status}")
        if any(marker.encode() in body for marker in FIREWALL_MARKERS):
            raise BlockedError(url)
        return body, int(rec_count)

    async def _navigate(self, navigation: Awaitable[Response | None]) -> None:
        started = time.perf_counter()
        try:
            response = await navigation
        except PlaywrightError as error:
            raise TransientSiteError(f"the site did not answer: {error.message.splitlines()[0]}") from error
        finally:
            self.site_s += time.perf_counter() - started
        content = await self.page.content()
        if any(marker in content for marker in FIREWALL_MARKERS):
            raise BlockedError(self.page.url)
        if response is not None and response.status >= 500:
            raise TransientSiteError(f"the site answered HTTP {response.status} at {self.page.url}")

    async def _check_form(self) -> None:
        for selector in FORM_SELECTORS:
            if await self.page.locator(selector).count() == 0:
                raise await self._site_changed(f"no {selector} on the form")

    async def _site_changed(self, what: str) -> SiteChangedError:
        """The error, with the page's HTML and a screenshot saved for the user."""
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        stem = self.evidence_dir / datetime.now().strftime("site-changed-%Y%m%d-%H%M%S-%f")
        saved = [stem.with_suffix(".html"), stem.with_suffix(".png")]
        try:
            saved[0].write_text(await self.page.content(), encoding="utf-8")
            await self.page.screenshot(path=str(saved[1]), full_page=True)
        except PlaywrightError:
            saved = [path for path in saved if path.exists()]
        return SiteChangedError(what, self.page.url, saved)


async def _skip(route: Route) -> None:
    await route.abort()
