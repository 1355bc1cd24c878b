"""What every request handler of one running org shares: the store, the meter, query cursors and the
sessions it has issued (``oauth/sessions.py``). The access token given at start belongs to the org's first
active System Administrator (else its first active user): ``/services/oauth2/userinfo`` names that user.

Query cursors live as Salesforce's do: a user holds at most ``MAX_OPEN_CURSORS`` (10) at once and opening
another releases the oldest (help.salesforce.com 000004410, quoted in simple-salesforce issue #95), and a
cursor not used for ``CURSOR_IDLE_SECONDS`` (15 minutes, SOAP API ``queryMore`` docs) is released too.
Fetching a released cursor answers 400 INVALID_QUERY_LOCATOR.

A session (access token) expires once it has not been used for the org's session timeout (Setup >
Session Settings, two hours unless the seed's ``organization.session_timeout_minutes`` says otherwise);
each use restarts the idle time. Salesforce only extends a session once half of the timeout has passed
(help.salesforce.com "Session Security Settings"); the emulator extends it on every use, which no
client can tell apart. An expired session stays expired: every call answers INVALID_SESSION_ID until a
new session is issued (an OAuth or SOAP login). ``clock`` is injectable so tests move time instead of
sleeping.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .meter import Meter
from .oauth.sessions import Sessions
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
    sessions: Sessions = field(default_factory=Sessions)
    clock: Callable[[], float] = time.monotonic
    session_seconds: float = DEFAULT_SESSION_SECONDS
    _session_used: dict[str, float] = field(default_factory=dict)
    _sessions_expired: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.sessions.org_id = self.store.org_id
        self.sessions.add(self.access_token, _default_user(self.store))

    def session_user(self, token: str) -> str | None:
        """The id of the user whose live session ``token`` is, or None (unknown, revoked, or idle past the
        session timeout); a use restarts the idle time."""
        user = self.sessions.user_of(token)
        if user is None:
            return None
        with self._lock:
            now = self.clock()
            used = self._session_used.get(token)
            if used is not None and now - used > self.session_seconds:
                self._sessions_expired.add(token)
            if token in self._sessions_expired:
                return None
            self._session_used[token] = now
        return user

    def session_valid(self, token: str) -> bool:
        """True when ``token`` is a live session of this org (see ``session_user``)."""
        return self.session_user(token) is not None

    def token_known(self, token: str) -> bool:
        """True when this org issued ``token``, live or idle-expired (the emulator's own admin paths)."""
        return self.sessions.user_of(token) is not None

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


def _default_user(store: Store) -> str:
    users = [u for u in store.table("User").values() if u.get("IsActive")] or list(store.table("User").values())
    admins = [u for u in users if store.table("Profile").get(u["ProfileId"], {}).get("Name") == "System Administrator"]
    chosen = (admins or users)[0] if users else {"Id": ""}
    return str(chosen["Id"])
