"""The replica's ASGI app: the pages of bsr.twse.com.tw/bshtm, the exchange's ISIN list of listed securities,
and a small control API under /replica/api/. `create_app(config)` wires market, captchas, viewstates, sessions,
stats and faults into one Starlette app."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import time
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from replica import pages
from replica.captcha_store import AnswerCheck, CaptchaSource, CaptchaStore, ReplayCaptchas, SyntheticCaptchas
from replica.config import CaptchaSourceName, ReplicaConfig, ReplicaConfigError
from replica.faults import ClientLimit, FaultDice, FaultLayer
from replica.market import FAMOUS, KINDS, Market, Report, Security, daily_report, sample_warrants, securities
from replica.real_reports import RealReport, read_real_reports
from replica.report_csv import LAYOUTS, report_csv_bytes
from replica.sessions import COOKIE, Session, Sessions, new_session_id
from replica.stats import ReplicaStats
from replica.viewstate import ViewStateError, ViewStateSigner

# The exchange's ISIN list lives on another host (isin.twse.com.tw): the report site's faults never reach it.
ISIN_PREFIX = "/isin/"
# What a view's trade_qty is off by under the view_mismatch_rate fault: one lot beyond the larger total.
VIEW_MISMATCH_SHARES = 1_000
# Records a page of the site's HTML view holds, as far as RecCount tells (see rec_count).
RECORDS_PER_VIEW_PAGE = 100
LISTING_KINDS = tuple(KINDS.values())  # what the control API may list: any kind but warrants
STATIC = Path(__file__).parent / "static"
# The files bsMenu.aspx loads, by their path under /bshtm/, and the file of replica/static that stands for each.
STATIC_FILES = {
    "scripts/jquery-3.7.0.min.js": ("scripts/jquery-3.7.0.min.js", "application/javascript"),
    "scripts/jquery.autocomplete.js": ("scripts/jquery.autocomplete.js", "application/javascript"),
    "css/jquery.autocomplete.css": ("css/jquery.autocomplete.css", "text/css"),
}


class ReplicaState:
    """Everything a running replica holds. The config is live: pages read it on every request.

    Trade date, CSV layout, captcha TTL and delay, and the fault knobs may change while it runs;
    the captcha source changes through `use_captcha_source`; the seed and the real CSVs are read once, at start.
    `clock` is what captcha expiry, the minimum answer delay, the firewall and the throttle measure time by."""

    def __init__(self, config: ReplicaConfig, clock: Callable[[], float] = time.monotonic) -> None:
        config.validate()
        self.config = config
        self._initial = config.model_copy()
        self.stats = ReplicaStats()
        self.real_reports = _real_reports(config)
        self.market = Market(config.seed, {code: real.report for code, real in self.real_reports.items()})
        self.captchas = CaptchaStore(_captcha_source(config), config, clock)
        self.signer = ViewStateSigner()
        self.sessions = Sessions()
        self.firewall = ClientLimit(clock)
        self.throttle = ClientLimit(clock)
        self.dice = FaultDice(config.seed)

    def use_captcha_source(self, source: CaptchaSourceName, replay_dir: Path | None = None) -> None:
        """Switch where new captchas come from; a bad replay folder raises and leaves the source as it was."""
        candidate = self.config.model_copy(update={"captcha_source": source, "replay_dir": replay_dir})
        candidate.validate()
        self.captchas.source = _captcha_source(candidate)
        self.config.captcha_source, self.config.replay_dir = source, replay_dir

    def csv_of(self, trade_date: date, security: Security) -> tuple[bytes, str]:
        """The CSV body a download of `security` gets on `trade_date`, and its charset: the real file where
        the replica has one, else the generated report in the configured layout."""
        real = self.real_reports.get(security.code)
        if real is not None:
            return real.body, real.charset
        layout = LAYOUTS[self.config.csv_layout]
        return _csv_body(self.config.seed, trade_date, security, layout.name), layout.charset

    def reset(self) -> None:
        """Back to how it started: settings, captcha source, fault dice, counters, firewall and throttle,
        sessions and captchas."""
        for name in ReplicaConfig.model_fields:
            setattr(self.config, name, getattr(self._initial, name))
        self.captchas.source = _captcha_source(self._initial)
        self.stats.reset()
        self.dice.reset()
        self.firewall.clear()
        self.throttle.clear()
        self.sessions.clear()
        self.captchas.clear()
        self.market.reset_listings()


def _real_reports(config: ReplicaConfig) -> dict[str, RealReport]:
    """The real CSVs of `config.real_csv_dir`, each of a security the replica lists."""
    if config.real_csv_dir is None:
        return {}
    reports = read_real_reports(config.real_csv_dir)
    known = {security.code for security in securities()}
    unknown = sorted(code for code in reports if code not in known)
    if unknown:
        raise ReplicaConfigError(
            f"real CSVs: {', '.join(unknown)} of {config.real_csv_dir} are not in the replica's list of securities"
        )
    return reports


def _captcha_source(config: ReplicaConfig) -> CaptchaSource:
    rng = random.Random(f"captchas-{config.seed}")
    if config.captcha_source == "replay":
        assert config.replay_dir is not None  # validate() guarantees it
        return ReplayCaptchas(config.replay_dir, rng)
    return SyntheticCaptchas(rng)


class ReplicaApp(Starlette):
    """Starlette with the fault layer outermost, where it can reach the connection itself."""

    def __init__(self, state: ReplicaState) -> None:
        self.replica = state
        super().__init__(routes=_routes(state))
        self.state.replica = state

    def build_middleware_stack(self) -> ASGIApp:
        state = self.replica
        plain = super().build_middleware_stack()
        faulty = FaultLayer(plain, state.config, state.stats, state.dice, state.firewall, state.throttle)

        async def by_host(scope: Scope, receive: Receive, send: Send) -> None:
            chosen = plain if scope.get("path", "").startswith(ISIN_PREFIX) else faulty
            await chosen(scope, receive, send)

        return by_host


def create_app(config: ReplicaConfig, clock: Callable[[], float] = time.monotonic) -> Starlette:
    """The replica as an ASGI app; `app.state.replica` is its ReplicaState. Tests pass a fake `clock`."""
    return ReplicaApp(ReplicaState(config, clock))


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


@lru_cache(maxsize=256)
def _csv_body(seed: int, trade_date: date, security: Security, layout: str) -> bytes:
    """The generated report's CSV in `layout`."""
    report = daily_report(seed, trade_date, security)
    return b"" if report is None else report_csv_bytes(report, layout)


def _routes(state: ReplicaState) -> list[Route]:
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
            return HTMLResponse(
                pages.server_error("The resource cannot be found.", "HTTP 404."), status_code=404
            )
        stats.bump("captchas_served")
        return Response(image, media_type="image/jpeg", headers={"Cache-Control": "private, no-cache"})

    async def content(request: Request) -> Response:
        if request.query_params.get("v") != "t" and state.dice.hits(config.forbidden_csv_rate):
            stats.bump("faults_forbidden_csv")
            return HTMLResponse(pages.forbidden(), status_code=403)
        session = state.sessions.get(request.cookies.get(COOKIE, ""))
        stock_code = request.query_params.get("StkNo", "").strip().upper() or (
            session.last_code if session else ""
        )
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

    async def api_stats(request: Request) -> Response:
        return JSONResponse(stats.snapshot())

    async def api_stats_reset(request: Request) -> Response:
        stats.reset()
        return JSONResponse(stats.snapshot())

    async def isin_list(request: Request) -> Response:
        # Only the list of listed securities (strMode=2) is served; other modes list other markets.
        if request.query_params.get("strMode") != "2":
            return HTMLResponse("", status_code=404)
        stats.bump("listings_served")
        listed = [*state.market.listed(config.trade_date), *sample_warrants()]
        page = pages.isin_list(config.trade_date, listed)
        # The real page is MS950; the odd character Big5 lacks goes out as a character reference.
        return Response(page.encode("cp950", "xmlcharrefreplace"), media_type="text/html; charset=MS950")

    async def api_listings(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                security = _listing(body)
            except (json.JSONDecodeError, ReplicaConfigError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
            state.market.add_listing(security)
        return JSONResponse([_listing_json(security) for security in state.market.listed(config.trade_date)])

    async def api_faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                changes = await request.json()
                if not isinstance(changes, dict):
                    raise ReplicaConfigError('send a JSON object of fault knobs, e.g. {"error_rate": 0.1}')
                config.set_faults(changes)
            except (ReplicaConfigError, json.JSONDecodeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(config.faults())

    async def api_trade_date(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                config.trade_date = date.fromisoformat(body["trade_date"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                message = 'send {"trade_date": "YYYY-MM-DD"}'
                return JSONResponse({"error": message}, status_code=400)
        return JSONResponse({"trade_date": config.trade_date.isoformat()})

    async def api_reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"reset": True})

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
        Route("/replica/api/stats", api_stats),
        Route("/replica/api/stats/reset", api_stats_reset, methods=["POST"]),
        Route("/isin/C_public.jsp", isin_list),
        Route("/replica/api/listings", api_listings, methods=["GET", "POST"]),
        Route("/replica/api/faults", api_faults, methods=["GET", "POST"]),
        Route("/replica/api/trade-date", api_trade_date, methods=["GET", "POST"]),
        Route("/replica/api/reset", api_reset, methods=["POST"]),
    ]


def _listing(body: object) -> Security:
    """A listing from the control API's JSON: code, name, kind, listed_on and an optional delisted_on."""
    usage = (
        'send {"code": "00400A", "name": "...", "kind": "etf", "listed_on": "YYYY-MM-DD", '
        f'"delisted_on": "YYYY-MM-DD" or null}}; kind is one of {", ".join(LISTING_KINDS)}'
    )
    try:
        if not isinstance(body, dict):
            raise TypeError("not a JSON object")
        code, name, kind = str(body["code"]).strip().upper(), str(body["name"]), str(body["kind"])
        listed_on = date.fromisoformat(body["listed_on"])
        delisted_on = date.fromisoformat(body["delisted_on"]) if body.get("delisted_on") else None
    except (KeyError, TypeError, ValueError) as error:
        raise ReplicaConfigError(usage) from error
    if kind not in LISTING_KINDS or not (code.isalnum() and 4 <= len(code) <= 6):
        raise ReplicaConfigError(usage)
    return Security(code, name, kind, listed_on, delisted_on)


def _listing_json(security: Security) -> dict[str, str | None]:
    return {
        "code": security.code,
        "name": security.name,
        "kind": security.kind,
        "listed_on": security.listed_on.isoformat(),
        "delisted_on": security.delisted_on and security.delisted_on.isoformat(),
    }


def _stale_code(state: ReplicaState, trade_date: date, stock_code: str) -> str:
    """Another security's report to serve in place of the asked one: its `股票代碼` line gives it away."""
    for candidate in FAMOUS:
        if candidate != stock_code and state.market.report(trade_date, candidate) is not None:
            return candidate
    raise RuntimeError("no other security traded that day")
