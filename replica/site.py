"""The site's own pages under /bshtm/: frameset, welcome page, the query form (bsMenu.aspx) with its answers,
the captcha image, the report's CSV and HTML view (bsContent.aspx), and the files the form loads."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from functools import lru_cache
from pathlib import Path

from PIL import Image
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from replica import pages
from replica.captcha_store import AnswerCheck
from replica.market import FAMOUS, Report
from replica.sessions import COOKIE, Session, new_session_id
from replica.state import ReplicaState
from replica.viewstate import ViewStateError

# What a view's trade_qty is off by under the view_mismatch_rate fault: one lot beyond the larger total.
VIEW_MISMATCH_SHARES = 1_000
# Records a page of the site's HTML view holds, as far as RecCount tells (see rec_count).
RECORDS_PER_VIEW_PAGE = 100
STATIC = Path(__file__).parent / "static"
# The files bsMenu.aspx loads, by their path under /bshtm/, and the file of replica/static that stands for each.
STATIC_FILES = {
    "scripts/jquery-3.7.0.min.js": ("scripts/jquery-3.7.0.min.js", "application/javascript"),
    "scripts/jquery.autocomplete.js": ("scripts/jquery.autocomplete.js", "application/javascript"),
    "css/jquery.autocomplete.css": ("css/jquery.autocomplete.css", "text/css"),
}


def routes(state: ReplicaState) -> list[Route]:
    """The routes of the site's pages, served from `state`."""
    config, stats = state.config, state.stats

    async def frameset(request: Request) -> Response:
        response = HTMLResponse(pages.frameset())
        _session(request, response, state)
        return response

    async def welcome(request: Request) -> Response:
        return HTMLResponse(pages.welcome(config.trade_date))

    async def menu_get(request: Request) -> Response:
        return _menu_response(request, state)

    async def menu_post(request: Request) -> Response:
        form = await request.form()
        field = {name: str(value) for name, value in form.items()}
        stock_code = field.get("TextBox_Stkno", "").strip().upper()
        # The two radio buttons have names of their own: block trades are asked for by RadioButton_Excd.
        block_trades = field.get("RadioButton_Excd") == "RadioButton_Excd"
        try:
            page_state = state.signer.open(field.get("__VIEWSTATE", ""), field.get("__EVENTVALIDATION", ""))
        except ViewStateError as error:
            stats.bump("viewstate_errors")
            detail = "The state information is invalid for this page and might be corrupted."
            return HTMLResponse(pages.server_error(str(error), detail), status_code=500)
        if "btnOK" not in field:
            if field.get("__EVENTTARGET") == "RadioButton_Excd":
                # Choosing 鉅額交易 posts back; its live answer was not captured: the form, redrawn with it chosen.
                return _menu_response(request, state, stock_code=stock_code, block_trades=True)
            # Button_Reset and other postbacks just redraw the form.
            return _menu_response(request, state)
        check = state.captchas.check(page_state.captcha_guid, field.get("CaptchaControl1", ""))
        # The live site's throttled answers of 2026; either way the captcha was spent.
        if state.dice.hits(config.blank_post_rate):
            stats.bump("faults_blank_post")
            return HTMLResponse(pages.blank_post())
        if state.dice.hits(config.silent_post_rate):
            stats.bump("faults_silent_post")
            return _menu_response(request, state, stock_code=stock_code, block_trades=block_trades)
        if check is AnswerCheck.EXPIRED:
            stats.bump("answers_expired")
            return _menu_response(
                request, state, stock_code=stock_code, message=pages.EXPIRED_ANSWER, block_trades=block_trades
            )
        if check is not AnswerCheck.RIGHT:
            stats.bump("answers_too_fast" if check is AnswerCheck.TOO_FAST else "answers_wrong")
            return _menu_response(
                request, state, stock_code=stock_code, message=pages.WRONG_ANSWER, block_trades=block_trades
            )
        stats.bump("answers_right")
        report = None if block_trades else state.market.report(config.trade_date, stock_code)
        if report is None:
            stats.bump("no_data")
            return _menu_response(
                request, state, stock_code=stock_code, message=pages.NO_DATA, block_trades=block_trades
            )
        return _menu_response(request, state, stock_code=stock_code, report=report)

    async def captcha_image(request: Request) -> Response:
        if state.dice.hits(config.forbidden_captcha_rate):
            stats.bump("faults_forbidden_captcha")
            return HTMLResponse(pages.forbidden(), status_code=403)
        if state.dice.hits(config.nonimage_captcha_rate):
            stats.bump("faults_nonimage_captcha")
            return HTMLResponse(pages.server_busy())
        image = state.captchas.image(request.query_params.get("guid", ""))
        if image is None:
            stats.bump("captchas_not_found")
            return HTMLResponse(pages.server_error("The resource cannot be found.", "HTTP 404."), status_code=404)
        stats.bump("captchas_served")
        return Response(image, media_type="image/jpeg", headers={"Cache-Control": "private, no-cache"})

    async def content(request: Request) -> Response:
        if request.query_params.get("v") != "t" and state.dice.hits(config.forbidden_csv_rate):
            stats.bump("faults_forbidden_csv")
            return HTMLResponse(pages.forbidden(), status_code=403)
        session = state.sessions.get(request.cookies.get(COOKIE, ""))
        stock_code = request.query_params.get("StkNo", "").strip().upper() or (session.last_code if session else "")
        if session is None or stock_code not in session.granted:
            # The real site answers a session that has not solved this security's captcha with an empty page.
            stats.bump("reports_refused")
            return HTMLResponse("")
        trade_date = session.granted[stock_code]
        security = state.market.security(stock_code)
        assert security is not None  # granted only for listed securities with a report
        if request.query_params.get("v") == "t":
            report = state.market.report_of(trade_date, security)
            assert report is not None
            traded_shares = report.traded_shares
            if state.dice.hits(config.view_mismatch_rate):
                stats.bump("faults_view_mismatch")
                # Neither total, even where buys and sells differ by a lot.
                traded_shares = max(report.total_buy, report.total_sell) + VIEW_MISMATCH_SHARES
            stats.bump("report_views_served")
            return HTMLResponse(pages.report_view(report, security.name, traded_shares))
        served_code = stock_code
        if state.dice.hits(config.stale_csv_rate):
            stats.bump("faults_stale_csv")
            served_code = _stale_code(state, trade_date, stock_code)
        served = state.market.security(served_code)
        assert served is not None
        body, charset = state.csv_of(trade_date, served)
        if state.dice.hits(config.truncated_csv_rate):
            stats.bump("faults_truncated_csv")
            body = body[: int(len(body) * state.dice.fraction())]
        stats.bump("reports_served")
        return Response(
            body,
            media_type=f"text/csv; charset={charset}",
            headers={"Content-Disposition": f"attachment; filename={stock_code}.csv"},
        )

    async def web_resource(request: Request) -> Response:
        # What the two live resources hold was not captured; both answer the WebForm_* functions the page calls.
        if request.query_params.get("d") not in pages.WEB_RESOURCES:
            return HTMLResponse(
                pages.server_error("This is an invalid webresource request.", "HTTP 404."), status_code=404
            )
        return Response(_static_file("scripts/webforms.js"), media_type="application/javascript")

    async def static_file(request: Request) -> Response:
        name, media_type = STATIC_FILES[request.url.path.removeprefix("/bshtm/")]
        return Response(_static_file(name), media_type=media_type)

    async def stock_suggestions(request: Request) -> Response:
        # ACStock.aspx feeds the code field's autocomplete; its live answers were never captured: nothing.
        return Response(b"", media_type="text/plain")

    async def banner(request: Request) -> Response:
        return Response(_banner_png(), media_type="image/png")

    async def terms_of_use(request: Request) -> Response:
        return HTMLResponse(pages.terms_of_use())

    async def privacy(request: Request) -> Response:
        return HTMLResponse(pages.privacy())

    async def to_frameset(request: Request) -> Response:
        return RedirectResponse("/bshtm/", status_code=301)

    return [
        Route("/bshtm", to_frameset),
        Route("/bshtm/", frameset),
        Route("/bshtm/default.aspx", frameset),
        Route("/bshtm/bsWelcome.aspx", welcome),
        Route("/bshtm/bsMenu.aspx", menu_get, methods=["GET"]),
        Route("/bshtm/bsMenu.aspx", menu_post, methods=["POST"]),
        Route("/bshtm/CaptchaImage.aspx", captcha_image),
        Route("/bshtm/bsContent.aspx", content),
        Route("/bshtm/WebResource.axd", web_resource),
        *(Route(f"/bshtm/{path}", static_file) for path in STATIC_FILES),
        Route("/bshtm/ACStock.aspx", stock_suggestions, methods=["GET", "POST"]),
        Route("/bshtm/banner.png", banner),
        Route("/bshtm/use.htm", terms_of_use),
        Route("/bshtm/privacy.htm", privacy),
    ]


def _session(request: Request, response: Response, state: ReplicaState) -> Session:
    """The request's ASP.NET session, started (and its cookie set) on a first visit."""
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        session_id = new_session_id()
        response.set_cookie(COOKIE, session_id, path="/", httponly=True, samesite="lax")
    return state.sessions.open(session_id)


def _menu_response(
    request: Request,
    state: ReplicaState,
    *,
    stock_code: str = "",
    message: str = "",
    block_trades: bool = False,
    report: Report | None = None,
) -> HTMLResponse:
    """bsMenu.aspx with a fresh captcha and viewstate, as every answer of the form is.

    With a report, the page links to its CSV and the session is granted that download."""
    guid = state.captchas.issue()
    state.stats.bump("captchas_issued")
    state.stats.bump("menus_served")
    viewstate, validation = state.signer.issue(guid)
    count = None if report is None else rec_count(len(report.records))
    page = pages.MenuPage(viewstate, validation, guid, stock_code, message, count, block_trades)
    if state.dice.hits(state.config.redesign_rate):
        state.stats.bump("faults_redesign")
        page = dataclasses.replace(page, stock_field="TextBox_StockNo")
    response = HTMLResponse(pages.menu(page), headers={"Cache-Control": "private"})
    session = _session(request, response, state)
    if report is not None:
        session.grant(stock_code, report.trade_date)
    return response


def rec_count(records: int) -> int:
    """The `RecCount` of the links to a report of `records` records: ceil(records / 100), not the record count.

    The live site's two exact pairs fit it: 2330 came with RecCount=157 for a CSV of 15,695 records
    (2026-07-29) and with 62 for about 6,200 (May 2026). That it counts the HTML view's pages of 100 records
    is an inference from those two points (SITE.md, "The report")."""
    return -(-records // RECORDS_PER_VIEW_PAGE)


@lru_cache(maxsize=1)
def _banner_png() -> bytes:
    """The page's banner.png: a plain band the colour of the page, since only its place on the page matters."""
    buffer = io.BytesIO()
    Image.new("RGB", (800, 60), (76, 76, 76)).save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=8)
def _static_file(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def _stale_code(state: ReplicaState, trade_date: date, stock_code: str) -> str:
    """Another security's report to serve in place of the asked one: its `股票代碼` line gives it away."""
    for candidate in FAMOUS:
        if candidate != stock_code and state.market.report(trade_date, candidate) is not None:
            return candidate
    raise RuntimeError("no other security traded that day")
