"""The exchange's ISIN list of listed securities (isin.twse.com.tw/isin/C_public.jsp), another host of the
exchange served here too: the bot reads its securities from it, and the report site's faults never reach it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from replica import pages
from replica.market import sample_warrants
from replica.state import ReplicaState

ISIN_PREFIX = "/isin/"


def routes(state: ReplicaState) -> list[Route]:
    """The route of the ISIN list, as of the trade date `state` serves."""
    config, stats = state.config, state.stats

    async def isin_list(request: Request) -> Response:
        # Only the list of listed securities (strMode=2) is served; other modes list other markets.
        if request.query_params.get("strMode") != "2":
            return HTMLResponse("", status_code=404)
        stats.bump("listings_served")
        listed = [*state.market.listed(config.trade_date), *sample_warrants()]
        page = pages.isin_list(config.trade_date, listed)
        # The real page is MS950; the odd character Big5 lacks goes out as a character reference.
        return Response(page.encode("cp950", "xmlcharrefreplace"), media_type="text/html; charset=MS950")

    return [Route(f"{ISIN_PREFIX}C_public.jsp", isin_list)]
