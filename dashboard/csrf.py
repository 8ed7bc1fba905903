"""Cross-site request forgery guard: every POST must carry a token only the dashboard's own pages can know.

A random nonce lives in a same-site cookie; the token is its HMAC under a secret made fresh for each process."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request, Response

COOKIE_NAME = "bsr_csrf"
FORM_FIELD = "csrf_token"
HEADER_NAME = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REJECTION = "CSRF check failed: reload the dashboard page and try again (every change needs its page's token)"


class CsrfGuard:
    """Issues tokens to pages and checks them on state-changing requests (double submit, signed)."""

    def __init__(self) -> None:
        # A new secret per process: a restart makes old pages' tokens worthless, which is harmless.
        self._secret = secrets.token_bytes(32)

    def token(self, request: Request) -> str:
        """The token for this browser, from its cookie's nonce or a new one (see remember)."""
        nonce = request.cookies.get(COOKIE_NAME) or getattr(request.state, "csrf_nonce", None)
        if not nonce:
            nonce = secrets.token_urlsafe(24)
            request.state.csrf_nonce = nonce
        return self._sign(nonce)

    def remember(self, request: Request, response: Response) -> None:
        """Sets the cookie of a nonce that token() made for a browser that had none."""
        nonce = getattr(request.state, "csrf_nonce", None)
        if nonce:
            response.set_cookie(COOKIE_NAME, nonce, httponly=True, samesite="strict", path="/")

    async def check(self, request: Request) -> None:
        """Raises 403 unless a state-changing request carries the token of its cookie's nonce."""
        if request.method in SAFE_METHODS:
            return
        nonce = request.cookies.get(COOKIE_NAME, "")
        submitted = request.headers.get(HEADER_NAME, "")
        content_type = request.headers.get("content-type", "")
        if not submitted and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FORM_FIELD, "")
            submitted = value if isinstance(value, str) else ""
        if not nonce or not submitted or not hmac.compare_digest(submitted, self._sign(nonce)):
            raise HTTPException(status_code=403, detail=REJECTION)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode(), hashlib.sha256).hexdigest()
