"""What every request handler of one running org shares: the store, the meter and query cursors."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from .meter import Meter
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
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def open_cursor(self, cursor: Cursor) -> str:
        """Keep ``cursor`` and return its locator (a 01g... id)."""
        locator = ids.mint("01g", self.store.org_name, "QueryLocator", f"{id(self)}:{next(self._serial)}")
        with self._lock:
            self.cursors[locator] = cursor
        return locator

    def cursor(self, locator: str) -> Cursor | None:
        with self._lock:
            return self.cursors.get(locator)
