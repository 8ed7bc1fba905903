"""One query of the broker-report site in a person's browser, as a page object named after the site's steps.

open_form -> read_captcha -> submit -> outcome -> read_report_view -> download_csv. The form lives in the
frameset's frame page1; each answer page carries the next captcha, so a worker goes on without reloading."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

from playwright.async_api import BrowserContext, Frame, Page, Response
from playwright.async_api import Error as PlaywrightError

from bot.errors import BlockedError, SiteChangedError, ThrottledError, TransientSiteError

# SITE.md: match the firewall's block page on these, whatever its wording of the year.
FIREWALL_MARKERS = ("FOR SECURITY REASONS", "頁面無法")
# The live page of 2026: the captcha box has a name and no id.
STOCK_FIELD = "#TextBox_Stkno"
CAPTCHA_FIELD = "input[name='CaptchaControl1']"
FORM_SELECTORS = (STOCK_FIELD, CAPTCHA_FIELD, "#btnOK", "#Label_ErrorMsg")
DOWNLOAD_LINK = "#HyperLink_DownloadCSV"
MENU_FRAME = "page1"
CONTENT_FRAME = "page2"
MENU_PATH = "bsMenu.aspx"
WELCOME_PATH = "bsWelcome.aspx"
CAPTCHA_PATH = "CaptchaImage.aspx"
REPORT_VIEW_PATH = "bsContent.aspx"
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG")
FORBIDDEN = 403
# What read_report_view takes from the view: every cell with an id, and whether the page is the firewall's.
READ_VIEW = """markers => [
    Array.from(document.querySelectorAll("td[id]"), cell => cell.outerHTML).join("\\n"),
    markers.some(marker => (document.documentElement?.textContent ?? "").includes(marker)),
]"""
# The live form page is about 15 KB and a throttled blank answer about 236 bytes: a page shorter than this,
# or not ending its html, was cut or blanked, not redesigned.
WHOLE_PAGE_MIN_BYTES = 1024


class Outcome(enum.Enum):
    """What the site answered to one submitted captcha."""

    REPORT = "report"  # the captcha was right and the report is ready to download
    WRONG_CAPTCHA = "wrong_captcha"  # 驗證碼錯誤!
    EXPIRED_CAPTCHA = "expired_captcha"  # 驗證碼已逾期!
    NO_DATA = "no_data"  # 查無資料: the security did not trade (or is unknown)


class ReportForm:
    """The site's frameset in one browser page: the form in frame page1, what it shows in frame page2."""

    def __init__(self, page: Page, base_url: str, evidence_dir: Path, timeout_s: float = 30.0) -> None:
        self.page = page
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.evidence_dir = evidence_dir
        self.timeout_s = timeout_s
        self._captcha: Response | None = None
        self._captcha_loaded_at = 0.0
        self._menu_answer: Response | None = None  # the document frame page1 shows now
        self._form_checked = False  # whether that document was found a whole form (see _check_form)
        self._welcome_answer: Response | None = None
        self._view_answer: Response | None = None  # the report view frame page2 loaded since the last submit
        self._view_loaded = asyncio.Event()
        self._stock_code = ""
        self.site_s = 0.0  # time spent waiting for the site, so that the bot's own overhead can be told apart
        page.set_default_timeout(timeout_s * 1000)
        page.on("response", self._on_response)
        page.on("framenavigated", self._on_frame_navigated)

    @classmethod
    async def open_in(
        cls, context: BrowserContext, base_url: str, evidence_dir: Path, timeout_s: float = 30.0
    ) -> ReportForm:
        """A form on a new page of `context`."""
        return cls(await context.new_page(), base_url, evidence_dir, timeout_s)

    def _on_response(self, response: Response) -> None:
        request = response.request
        if CAPTCHA_PATH in response.url:
            self._captcha = response
            self._captcha_loaded_at = time.monotonic()
        if request.resource_type != "document":
            return
        # Told apart by their pages, not by frame names: a frame has no name yet at its first response.
        if MENU_PATH in response.url:
            self._menu_answer = response
        elif WELCOME_PATH in response.url:
            self._welcome_answer = response
        elif self._is_report_view(response.url):
            self._view_answer = response

    def _on_frame_navigated(self, frame: Frame) -> None:
        # A new document committed, even at the same URL as the last: the view of this submit, not an older one.
        if frame.name == CONTENT_FRAME and self._view_answer is not None and self._is_report_view(frame.url):
            self._view_loaded.set()

    def _is_report_view(self, url: str) -> bool:
        query = parse_qs(urlparse(url).query)
        return REPORT_VIEW_PATH in url and query.get("v") == ["t"] and query.get("StkNo") == [self._stock_code]

    @property
    def has_captcha(self) -> bool:
        return self._captcha is not None

    @property
    def captcha_age_s(self) -> float:
        """Seconds since the captcha on the form loaded (the site expires them after about 90)."""
        return time.monotonic() - self._captcha_loaded_at if self._captcha is not None else float("inf")

    def discard_captcha(self) -> None:
        """After trouble, the next try starts from a freshly loaded form."""
        self._captcha = None

    async def load_site(self) -> None:
        """Open the site as a person does: the frameset, with the form in page1 and the welcome in page2."""
        self._captcha = self._menu_answer = self._welcome_answer = None
        self._form_checked = False
        response = await self._navigate(self.page.goto(self.base_url))
        await self._check_answer(response, "the frameset")

    async def read_trade_date(self) -> date:
        """The trade date the site serves now, from the welcome page's Label_Date in frame page2."""
        await self.load_site()
        await self._check_answer(self._welcome_answer, "the welcome page")
        label = self._frame(CONTENT_FRAME).locator("#Label_Date")
        if await label.count() == 0:
            raise await self._site_changed("no Label_Date on bsWelcome.aspx")
        text = (await label.inner_text()).strip()
        try:
            return datetime.strptime(text, "%Y/%m/%d").date()
        except ValueError as error:
            raise await self._site_changed(f"Label_Date reads {text!r}") from error

    async def open_form(self) -> None:
        """A fresh bsMenu.aspx in page1, with a new captcha and viewstate; the whole frameset the first time."""
        if self.page.frame(name=MENU_FRAME) is None:
            await self.load_site()
        else:
            self._captcha = self._menu_answer = None
            self._form_checked = False
            menu = urljoin(self.base_url, MENU_PATH)
            await self._navigate(self._frame(MENU_FRAME).goto(menu))
        await self._check_form()

    async def read_captcha(self) -> bytes:
        """The captcha image the page already loaded: no second request, which would spend it. The form it came
        with is checked first if it was not yet: the one the frameset brought when the trade date was read."""
        if not self._form_checked:
            await self._check_form()
        if self._captcha is None:
            raise await self._site_changed("no captcha image loaded with the form")
        response = self._captcha
        try:
            body = await response.body()
        except PlaywrightError as error:
            raise TransientSiteError(f"the captcha image did not load: {error.message}") from error
        if response.status == FORBIDDEN:
            raise ThrottledError("HTTP 403 for the captcha", response.url)
        if any(marker.encode() in body for marker in FIREWALL_MARKERS):
            raise BlockedError(response.url)
        if response.status >= 400 or not body.startswith(IMAGE_MAGIC):
            raise TransientSiteError(
                f"the captcha answered HTTP {response.status} without an image (site busy)"
            )
        return body

    async def submit(self, stock_code: str, answer: str, answer_delay_s: float = 0.0) -> None:
        """Type the security code and the captcha answer and press 查詢, not before `answer_delay_s` after the
        captcha loaded: the site's captcha control can refuse answers typed faster than that."""
        await asyncio.sleep(self._captcha_loaded_at + answer_delay_s - time.monotonic())
        menu = self._frame(MENU_FRAME)
        await menu.fill(STOCK_FIELD, stock_code)
        await menu.fill(CAPTCHA_FIELD, answer)
        self._captcha = self._menu_answer = self._view_answer = None
        self._form_checked = False
        self._view_loaded.clear()
        self._stock_code = stock_code
        await self._navigate(self._click_and_wait(menu))

    async def _click_and_wait(self, menu: Frame) -> Response | None:
        async with menu.expect_navigation(wait_until="load") as navigation:
            await menu.click("#btnOK")
        return await navigation.value

    async def outcome(self) -> Outcome:
        """Classify the answer page: a download link, or the error label's message. An answer with neither
        is the site throttling, as it did in 2026."""
        await self._check_form()
        menu = self._frame(MENU_FRAME)
        if await menu.locator(DOWNLOAD_LINK).count():
            return Outcome.REPORT
        message = (await menu.locator("#Label_ErrorMsg").inner_text()).strip()
        if "驗證碼錯誤" in message:
            return Outcome.WRONG_CAPTCHA
        if "驗證碼已逾期" in message:
            return Outcome.EXPIRED_CAPTCHA
        if "查無資料" in message:
            return Outcome.NO_DATA
        if not message:
            raise ThrottledError("an answer with neither a message nor a download link", menu.url)
        raise await self._site_changed(f"unknown answer {message!r}")

    async def read_report_view(self) -> str:
        """The report view (bsContent.aspx?v=t) that the answer page's own script opened in frame page2: its
        cells that carry an id, where the figures are (bot.report_view reads them), as HTML. Only they leave the
        browser: the view of a large security holds thousands of table rows, which Playwright's driver and this
        process would otherwise hold as one string of megabytes."""
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._view_loaded.wait(), self.timeout_s)
            await self._frame(CONTENT_FRAME).wait_for_load_state("load")
        except TimeoutError as error:
            raise TransientSiteError("the report view never loaded in frame page2") from error
        except PlaywrightError as error:
            raise TransientSiteError(f"the report view did not load: {error.message}") from error
        finally:
            self.site_s += time.perf_counter() - started
        response = self._view_answer
        assert response is not None  # set before the event
        if response.status == FORBIDDEN:
            raise ThrottledError("HTTP 403 for the report view", response.url)
        if response.status >= 500:
            raise TransientSiteError(f"the report view answered HTTP {response.status}")
        try:
            cells, blocked = await self._frame(CONTENT_FRAME).evaluate(READ_VIEW, list(FIREWALL_MARKERS))
        except PlaywrightError as error:
            raise TransientSiteError(f"the report view could not be read: {error.message}") from error
        if blocked:
            raise BlockedError(response.url)
        return cells

    async def download_csv(self) -> tuple[bytes, int]:
        """Follow the download link's href in the same browser session; the CSV, and the link's RecCount as
        the site gave it (0 when it gives none): it is not the number of records."""
        menu = self._frame(MENU_FRAME)
        href = await menu.locator(DOWNLOAD_LINK).get_attribute("href")
        if not href:
            raise await self._site_changed("a download link without href")
        url = urljoin(menu.url, href)
        rec_count = parse_qs(urlparse(url).query).get("RecCount", [""])[0]
        started = time.perf_counter()
        try:
            response = await self.page.context.request.get(url, headers={"Referer": menu.url})
            try:
                body = await response.body()
            finally:
                # Playwright keeps every body it fetched until the context closes, unless told to let it go.
                await response.dispose()
        except PlaywrightError as error:
            raise TransientSiteError(f"the report download failed: {error.message}") from error
        finally:
            self.site_s += time.perf_counter() - started
        if response.status == FORBIDDEN:
            raise ThrottledError("HTTP 403 for the CSV", url)
        if response.status >= 500:
            raise TransientSiteError(f"the report download answered HTTP {response.status}")
        if any(marker.encode() in body for marker in FIREWALL_MARKERS):
            raise BlockedError(url)
        return body, int(rec_count) if rec_count.isdigit() else 0

    def _frame(self, name: str) -> Frame:
        frame = self.page.frame(name=name)
        if frame is None:
            raise TransientSiteError(f"the frameset has no frame {name}: it did not load whole")
        return frame

    async def _navigate(self, navigation: Awaitable[Response | None]) -> Response | None:
        started = time.perf_counter()
        try:
            return await navigation
        except PlaywrightError as error:
            raise TransientSiteError(f"the site did not answer: {error.message.splitlines()[0]}") from error
        finally:
            self.site_s += time.perf_counter() - started

    async def _check_answer(self, response: Response | None, what: str) -> None:
        """HTTP 403 is throttling, the block page is the firewall, 5xx is worth another try."""
        if response is None:
            raise TransientSiteError(f"no answer for {what}")
        if response.status == FORBIDDEN:
            raise ThrottledError(f"HTTP 403 for {what}", response.url)
        body = await self._body(response)
        if any(marker.encode() in body for marker in FIREWALL_MARKERS):
            raise BlockedError(response.url)
        if response.status >= 500:
            raise TransientSiteError(f"the site answered HTTP {response.status} at {response.url}")

    async def _check_form(self) -> None:
        """The form page1 shows must be whole. A blank or short answer is throttling; a complete page
        without the form may be a redesign (the job decides after several in a row)."""
        await self._check_answer(self._menu_answer, "the form")
        menu = self._frame(MENU_FRAME)
        for selector in FORM_SELECTORS:
            if await menu.locator(selector).count() == 0:
                body = await self._body(self._menu_answer)
                if len(body) < WHOLE_PAGE_MIN_BYTES or b"</html>" not in body.lower():
                    raise ThrottledError(f"a {len(body)}-byte answer without the form", menu.url)
                raise await self._site_changed(f"no {selector} on the form")
        self._form_checked = True

    @staticmethod
    async def _body(response: Response | None) -> bytes:
        if response is None:
            return b""
        try:
            return await response.body()
        except PlaywrightError:  # the frame navigated on before its body was read
            return b""

    async def _site_changed(self, what: str) -> SiteChangedError:
        """The error, with the page's HTML and a screenshot saved for the user."""
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        stem = self.evidence_dir / datetime.now().strftime("site-changed-%Y%m%d-%H%M%S-%f")
        saved = [stem.with_suffix(".html"), stem.with_suffix(".png")]
        frame = self.page.frame(name=MENU_FRAME) or self.page.main_frame
        try:
            saved[0].write_text(await frame.content(), encoding="utf-8")
            await self.page.screenshot(path=str(saved[1]), full_page=True)
        except PlaywrightError:
            saved = [path for path in saved if path.exists()]
        return SiteChangedError(what, frame.url, saved)
