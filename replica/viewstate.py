"""`__VIEWSTATE` and `__EVENTVALIDATION` of bsMenu.aspx: opaque to the client, tamper-evident to the server.

The viewstate carries the captcha guid of its page, signed with a secret that lives only in this process."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

# ASP.NET viewstates open with 0xFF 0x01 0x0F ("/wEP" in base64); clients that sniff for it see a familiar shape.
MARKER = b"\xff\x01\x0f"
NONCE_BYTES = 8
MAC_BYTES = 20


class ViewStateError(ValueError):
    """The posted viewstate or event validation was forged, altered or belongs to another page."""


@dataclass(frozen=True)
class PageState:
    """What one rendering of bsMenu.aspx remembers: its captcha and when it was issued."""

    captcha_guid: str
    issued_at: float


class ViewStateSigner:
    """Seals page state: encrypted so clients cannot read the guid, signed so they cannot alter it."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, purpose: bytes, data: bytes) -> bytes:
        return hmac.new(self._secret, purpose + data, hashlib.sha256).digest()[:MAC_BYTES]

    def _keystream(self, nonce: bytes, length: int) -> bytes:
        blocks = (length + 31) // 32
        stream = (hmac.new(self._secret, b"stream" + nonce + bytes([block]), hashlib.sha256) for block in range(blocks))
        return b"".join(block.digest() for block in stream)[:length]

    def _crypt(self, nonce: bytes, data: bytes) -> bytes:
        return bytes(a ^ b for a, b in zip(data, self._keystream(nonce, len(data)), strict=True))

    def issue(self, captcha_guid: str) -> tuple[str, str]:
        """A fresh page's `__VIEWSTATE` and its `__EVENTVALIDATION`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        payload = json.dumps([captcha_guid, round(time.time(), 3)], separators=(",", ":")).encode()
        sealed = nonce + self._crypt(nonce, payload)
        viewstate = base64.b64encode(MARKER + sealed + self._mac(b"viewstate", sealed)).decode()
        validation = base64.b64encode(MARKER + self._mac(b"validation", nonce)).decode()
        return viewstate, validation

    def open(self, viewstate: str, event_validation: str) -> PageState:
        """The page state behind a posted viewstate; ViewStateError unless both fields are this server's own."""
        try:
            raw = base64.b64decode(viewstate, validate=True)
            check = base64.b64decode(event_validation, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ViewStateError("The state information is invalid for this page and might be corrupted.") from error
        sealed, mac = raw[len(MARKER) : -MAC_BYTES], raw[-MAC_BYTES:]
        if (
            not raw.startswith(MARKER)
            or len(sealed) <= NONCE_BYTES
            or not hmac.compare_digest(mac, self._mac(b"viewstate", sealed))
        ):
            raise ViewStateError("Validation of viewstate MAC failed.")
        nonce = sealed[:NONCE_BYTES]
        if not hmac.compare_digest(check, MARKER + self._mac(b"validation", nonce)):
            raise ViewStateError("Invalid postback or callback argument.")
        captcha_guid, issued_at = json.loads(self._crypt(nonce, sealed[NONCE_BYTES:]))
        return PageState(captcha_guid, issued_at)
