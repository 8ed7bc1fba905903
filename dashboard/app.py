"""The dashboard application: create_app(store_url) wires the store, templates, CSRF guard and routes.
Security lives here in one place: allowed hosts, the CSRF check on every route, headers that forbid anything but
the dashboard's own scripts, styles and images."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from dashboard import api, flows_views, pages
from dashboard.access import COOKIE_NAME, QUERY_NAME, REFUSAL, Access, TokenGuard
from dashboard.csrf import CsrfGuard
from dashboard.formatting import FILTERS
from flows import ColumnarCopy, FlowsError, NoStoredDaysError, UnknownBranchError, UnknownStockError
from storage import DatabaseUnavailableError, StorageError, Store, UnknownRecordError
from trainer.relabel import RelabelError

PACKAGE_DIR = Path(__file__).resolve().parent
REQUEST_PARTS = {"query": "query parameter", "path": "path parameter", "body": "request body"}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
SECURITY_HEADERS = {
    # Only the dashboard's own files: no CDN, no inline script, no framing by other sites.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(
    store_url: str,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    token: str | None = None,
    columnar_dir: Path | None = None,
) -> FastAPI:
    """The dashboard over the database at `store_url` (migrated on open), answering only `allowed_hosts`.

    Host names are checked so that a web page cannot reach the dashboard through DNS rebinding.
    `clock` (aware datetimes) says what "today" is; a demo or a test over old data sets it. With a `token`
    every request must bring it (see dashboard.access), or gets 401. The rankings read the columnar copy
    of the flows under `columnar_dir` (flows.columnar), in a temporary folder of the app's own if none."""
    store = Store.open(store_url)
    scratch = tempfile.TemporaryDirectory(prefix="bsr-columnar-") if columnar_dir is None else None
    columnar = ColumnarCopy(store, Path(scratch.name) if scratch else columnar_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            store.close()
            if scratch is not None:
                scratch.cleanup()

    csrf = CsrfGuard()
    app = FastAPI(
        title="bsr dashboard",
        lifespan=lifespan,
        dependencies=[Depends(csrf.check)],
        # The interactive docs load their scripts from a CDN; the schema alone is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(FILTERS)
    app.state.store = store
    app.state.columnar = columnar
    app.state.csrf = csrf
    app.state.templates = Jinja2Templates(env=environment)
    app.state.clock = clock

    if token:
        app.middleware("http")(_token_required(TokenGuard(token)))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.middleware("http")(_security_headers)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(RelabelError, _error_status(422))
    app.add_exception_handler(UnknownRecordError, _error_status(404))
    app.add_exception_handler(DatabaseUnavailableError, _error_status(503))
    app.add_exception_handler(StorageError, _error_status(400))
    for not_found in (UnknownStockError, UnknownBranchError, NoStoredDaysError):
        app.add_exception_handler(not_found, _error_status(404))
    app.add_exception_handler(FlowsError, _error_status(400))

    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.include_router(api.router, prefix="/api")
    app.include_router(flows_views.api, prefix="/api")
    app.include_router(pages.router)
    app.include_router(flows_views.pages)
    return app


async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


def _token_required(
    guard: TokenGuard,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def check(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        access = guard.access(request)
        if access is Access.REFUSED:
            return _error_response(request, 401, REFUSAL)
        if access is Access.GRANTED_BY_LINK:
            # The token leaves the address (history, referrers) for a cookie scripts cannot read.
            target = request.url.remove_query_params(QUERY_NAME)
            response = RedirectResponse(target.path + (f"?{target.query}" if target.query else ""), status_code=303)
            response.set_cookie(COOKIE_NAME, guard.token, httponly=True, samesite="strict", path="/")
            return response
        return await call_next(request)

    return check


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return _error_response(request, error.status_code, str(error.detail))


async def _invalid_request(request: Request, error: Exception) -> Response:
    """The first thing wrong with a request's parameters or body, in one line (never the input itself)."""
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    where, *inside = first["loc"]
    field = ".".join(part for part in inside if isinstance(part, str))
    named = f"{REQUEST_PARTS.get(where, where)} {field!r}" if field else f"the {REQUEST_PARTS.get(where, where)}"
    return _error_response(request, 422, f"{named} is not valid: {first['msg']}; correct it and send again")


def _error_status(status_code: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, error: Exception) -> Response:
        return _error_response(request, status_code, str(error))

    return handle


def _error_response(request: Request, status_code: int, message: str) -> Response:
    """JSON under /api/, a page elsewhere; either way one line that says what to do."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status_code)
    return pages.error_page(request, status_code, message)
