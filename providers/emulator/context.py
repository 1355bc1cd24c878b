"""What every request handler of one running org shares: the store, the meter and query cursors.

Query cursors live as Salesforce's do: a user holds at most ``MAX_OPEN_CURSORS`` (10) at once and opening
another releases the oldest (help.salesforce.com 000004410, quoted in simple-salesforce issue #95), and a
cursor not used for ``CURSOR_IDLE_SECONDS`` (15 minutes, SOAP API ``queryMore`` docs) is released too.
Fetching a released cursor answers 400 INVALID_QUERY_LOCATOR.

The session (``access_token``) expires once it has not been used for the org's session timeout (Setup >
Session Settings, two hours unless the seed's ``organization.session_timeout_minutes`` says otherwise);
each use restarts the idle time. Salesforce only extends a session once half of the timeout has passed
(help.salesforce.com "Session Security Settings"); the emulator extends it on every use, which no
client can tell apart. An expired session stays expired: every call answers INVALID_SESSION_ID until a
new session is issued. ``clock`` is injectable so tests move time instead of sleeping.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .meter import Meter
from .org import ids
from .org.store import Store

BATCH_SIZE = 2000
MIN_API_VERSION = 50.0
MAX_OPEN_CURSORS = 10
CURSOR_IDLE_SECONDS = 15 * 60
DEFAULT_SESSION_SECONDS = 2 * 60 * 60


@dataclass
class Cursor:
    """The rest of a query result beyond the first batch, served by ``nextRecordsUrl``."""

    records: list[dict[str, Any]]
    total_size: int
    entity: str | None
    used_at: float = 0.0


@dataclass
class OrgContext:
    """One org being served: store, request meter, API version, token and server-side query cursors."""

    store: Store
    meter: Meter
    access_token: str
    api_version: str = "62.0"
    cursors: dict[str, Cursor] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    session_seconds: float = DEFAULT_SESSION_SECONDS
    _session_used: float | None = None
    _session_expired: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def session_valid(self, token: str) -> bool:
        """True when ``token`` is the org's session and it has not been idle past the timeout (the call
        then restarts the idle time)."""
        if token != self.access_token:
            return False
        with self._lock:
            now = self.clock()
            if self._session_used is not None and now - self._session_used > self.session_seconds:
                self._session_expired = True
            if self._session_expired:
                return False
            self._session_used = now
            return True

    def open_cursor(self, cursor: Cursor) -> str:
        """Keep ``cursor`` and return its locator (a 01g... id)."""
        locator = ids.mint("01g", self.store.org_name, "QueryLocator", f"{id(self)}:{next(self._serial)}")
        with self._lock:
            cursor.used_at = self.clock()
            self.cursors[locator] = cursor
            while len(self.cursors) > MAX_OPEN_CURSORS:
                del self.cursors[next(iter(self.cursors))]
        return locator

    def cursor(self, locator: str) -> Cursor | None:
        """The open cursor ``locator`` names (its idle time starts again), or None once released."""
        with self._lock:
            cursor = self.cursors.get(locator)
            now = self.clock()
            if cursor is not None and now - cursor.used_at > CURSOR_IDLE_SECONDS:
                del self.cursors[locator]
                return None
            if cursor is not None:
                cursor.used_at = now
            return cursor
