"""ASP.NET sessions of the replica: which reports each browser session has earned by solving a captcha.

A session is named by the `ASP.NET_SessionId` cookie; only the session that solved a security's captcha gets its CSV."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

COOKIE = "ASP.NET_SessionId"
# Bounded like an in-process session store; the oldest sessions go first.
MAX_SESSIONS = 10_000
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz012345"


@dataclass
class Session:
    granted: dict[str, date] = field(default_factory=dict)
    last_code: str = ""

    def grant(self, stock_code: str, trade_date: date) -> None:
        self.granted[stock_code] = trade_date
        self.last_code = stock_code


def new_session_id() -> str:
    """24 characters of ASP.NET's session-id alphabet."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(24))


class Sessions:
    def __init__(self) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            return self._sessions.get(session_id)

    def open(self, session_id: str) -> Session:
        """The session of this id, started if new."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                session = self._sessions[session_id] = Session()
                while len(self._sessions) > MAX_SESSIONS:
                    self._sessions.popitem(last=False)
            self._sessions.move_to_end(session_id)
            return session

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()
