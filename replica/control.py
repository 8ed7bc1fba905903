"""The replica's control API under /replica/api/: its counters, fault knobs, trade date and listings, and a
reset, for tests and benchmarks to drive a running replica over HTTP. The fault layer lets it through."""

from __future__ import annotations

import json
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from replica.config import ReplicaConfigError
from replica.market import KINDS, Security
from replica.state import ReplicaState

LISTING_KINDS = tuple(KINDS.values())  # what the control API may list: any kind but warrants


def routes(state: ReplicaState) -> list[Route]:
    """The routes of the control API, acting on `state`."""
    config, stats = state.config, state.stats

    async def api_stats(request: Request) -> Response:
        return JSONResponse(stats.snapshot())

    async def api_stats_reset(request: Request) -> Response:
        stats.reset()
        return JSONResponse(stats.snapshot())

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

    return [
        Route("/replica/api/stats", api_stats),
        Route("/replica/api/stats/reset", api_stats_reset, methods=["POST"]),
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
