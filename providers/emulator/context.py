"""What every request handler of one running org shares: the store, the meter, query cursors and the
sessions it has issued (``oauth/sessions.py``). The access token given at start belongs to the org's first
active System Administrator (else its first active user): ``/services/oauth2/userinfo`` names that user."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from .meter import Meter
from .oauth.sessions import Sessions
from .org import ids
from .org.store import Store

BATCH_SIZE = 2000
MIN_API_VERSION = 50.0


@dataclass
class Cursor:
    """The rest of a query result beyond the first batch, served by ``nextRecordsUrl``."""

    records: list[dict[str, Any]]
    total_size: int
    entity: str | None


@dataclass
class OrgContext:
    """One org being served: store, request meter, API version, token and server-side query cursors."""

    store: Store
    meter: Meter
    access_token: str
    api_version: str = "62.0"
    cursors: dict[str, Cursor] = field(default_factory=dict)
    sessions: Sessions = field(default_factory=Sessions)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.sessions.org_id = self.store.org_id
        self.sessions.add(self.access_token, _default_user(self.store))

    def session_user(self, token: str) -> str | None:
        """The id of the user whose live session ``token`` is, or None (unknown, revoked)."""
        return self.sessions.user_of(token)

    def open_cursor(self, cursor: Cursor) -> str:
        """Keep ``cursor`` and return its locator (a 01g... id)."""
        locator = ids.mint("01g", self.store.org_name, "QueryLocator", f"{id(self)}:{next(self._serial)}")
        with self._lock:
            self.cursors[locator] = cursor
        return locator

    def cursor(self, locator: str) -> Cursor | None:
        with self._lock:
            return self.cursors.get(locator)


def _default_user(store: Store) -> str:
    users = [u for u in store.table("User").values() if u.get("IsActive")] or list(store.table("User").values())
    admins = [u for u in users if store.table("Profile").get(u["ProfileId"], {}).get("Name") == "System Administrator"]
    chosen = (admins or users)[0] if users else {"Id": ""}
    return str(chosen["Id"])
