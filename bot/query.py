"""One query of the report site in a person's browser, a page object named after the site's steps: open_form,
read_captcha, submit, outcome, read_report_view, download_csv; and the one classifier of the site's answers."""

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
# What read_report_view takes from the view: every cell with an id, and the start of the page's text, where
# the firewall's block page (under 1 KB, SITE.md) would show its markers.
READ_VIEW = """() => [
    Array.from(document.querySelectorAll("td[id]"), cell => cell.outerHTML).join("\\n"),
    (document.documentElement?.textContent ?? "").slice(0, 4096),
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


class SiteAnswer(enum.Enum):
    """What kind of HTTP answer the site gave, whatever was asked: the form, the POST, the captcha, the report
    view or the CSV (SITE.md: the firewall, and the throttling of 2026)."""

    EXPECTED = "expected"
    UNANSWERED = "unanswered"  # no answer at all
    FORBIDDEN = "forbidden"  # HTTP 403: the throttling of 2026
    BLOCKED = "blocked"  # the firewall's block page, with any status
    SERVER_ERROR = "server_error"  # HTTP 5xx: worth another try
    BLANK = "blank"  # not what was asked: a blank or cut page, a captcha that is no image
    SILENT = "silent"  # an answer page that says nothing: neither a message nor a download link


def classify_answer(status: int | None, body: bytes | str, whole: bool = True) -> SiteAnswer:
    """The kind of an answer from its status and its body (the start of it is enough for the block page);
    `whole`: whether the body is what was asked, as the caller tells it."""
    if status is None:
        return SiteAnswer.UNANSWERED
    if status == FORBIDDEN:
        return SiteAnswer.FORBIDDEN
    markers = [marker.encode() for marker in FIREWALL_MARKERS] if isinstance(body, bytes) else FIREWALL_MARKERS
    if any(marker in body for marker in markers):
        return SiteAnswer.BLOCKED
    if status >= 500:
        return SiteAnswer.SERVER_ERROR
    return SiteAnswer.EXPECTED if whole else SiteAnswer.BLANK


def check_answer(
    answer: SiteAnswer, what: str, url: str, status: int | None = None, blank_is_throttling: bool = True
) -> None:
    """Raises the error an answer of that kind calls for: 403, blank and silent answers are throttling (a
    blank captcha is load, worth another try), the block page is the firewall, no answer or a 5xx another try."""
    if answer is SiteAnswer.UNANSWERED:
        raise TransientSiteError(f"no answer for {what}")
    if answer is SiteAnswer.FORBIDDEN:
        raise ThrottledError(f"HTTP 403 for {what}", url)
    if answer is SiteAnswer.BLOCKED:
        raise BlockedError(url)
    if answer is SiteAnswer.SERVER_ERROR:
        raise TransientSiteError(f"{what} answered HTTP {status} at {url}")
    if answer is SiteAnswer.BLANK:
        if not blank_is_throttling:
            raise TransientSiteError(f"{what} answered HTTP {status} without what was asked (site busy)")
        raise ThrottledError(f"{what} answered HTTP {status}, blank or cut", url)
    if answer is SiteAnswer.SILENT:
        raise ThrottledError(f"{what} with neither a message nor a download link", url)


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
        # SITE.md: under heavy load the captcha answers an HTML page instead of a JPEG; another one may come.
        is_image = response.status < 400 and body.startswith(IMAGE_MAGIC)
        answer = classify_answer(response.status, body, whole=is_image)
        check_answer(answer, "the captcha", response.url, response.status, blank_is_throttling=False)
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
            check_answer(SiteAnswer.SILENT, "an answer", menu.url)
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
        try:
            cells, text = await self._frame(CONTENT_FRAME).evaluate(READ_VIEW)
        except PlaywrightError as error:
            raise TransientSiteError(f"the report view could not be read: {error.message}") from error
        check_answer(classify_answer(response.status, text), "the report view", response.url, response.status)
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
        check_answer(classify_answer(response.status, body), "the report download", url, response.status)
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

    async def _check_answer(self, response: Response | None, what: str, whole: bool = True) -> bytes:
        """Raises what an answer calls for unless it is as expected; its body."""
        body = await self._body(response)
        status = response.status if response is not None else None
        url = response.url if response is not None else self.base_url
        check_answer(classify_answer(status, body, whole), what, url, status)
        return body

    async def _check_form(self) -> None:
        """The form page1 shows must be whole. A blank or short answer is throttling; a complete page
        without the form may be a redesign (the job decides after several in a row)."""
        body = await self._check_answer(self._menu_answer, "the form")
        menu = self._frame(MENU_FRAME)
        for selector in FORM_SELECTORS:
            if await menu.locator(selector).count() == 0:
                whole = len(body) >= WHOLE_PAGE_MIN_BYTES and b"</html>" in body.lower()
                await self._check_answer(self._menu_answer, f"the form (a {len(body)}-byte page)", whole)
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
