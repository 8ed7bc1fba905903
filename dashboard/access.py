"""Who may use the dashboard: on loopback anyone on this machine; beyond it, only who holds its token.
A browser brings the token once as ?token=... and keeps it in a cookie; a script sends it as
`Authorization: Bearer <token>`. Tokens are compared in constant time."""

from __future__ import annotations

import hmac
from enum import Enum

from fastapi import Request

COOKIE_NAME = "bsr_dashboard_token"
QUERY_NAME = "token"
REFUSAL = (
    "this dashboard needs its access token: open the address `bsr dashboard` printed (it ends in ?token=...) "
    "or send the header Authorization: Bearer <token>"
)


class Access(Enum):
    GRANTED = "granted"
    GRANTED_BY_LINK = "granted by link"  # the token came in the address: keep it in a cookie, drop it from there
    REFUSED = "refused"


class TokenGuard:
    def __init__(self, token: str) -> None:
        self._token = token.encode()

    @property
    def token(self) -> str:
        return self._token.decode()

    def access(self, request: Request) -> Access:
        authorization = request.headers.get("authorization", "")
        bearer = authorization[len("Bearer ") :] if authorization.startswith("Bearer ") else ""
        if self._matches(bearer) or self._matches(request.cookies.get(COOKIE_NAME, "")):
            return Access.GRANTED
        if self._matches(request.query_params.get(QUERY_NAME, "")):
            return Access.GRANTED_BY_LINK
        return Access.REFUSED

    def _matches(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self._token)
