"""Request counting and the daily API limit.

Stats keys are ``"<METHOD> <endpoint>"`` where the endpoint is the path after ``/services/data/vXX.X/``
with trailing slashes removed, every record id replaced by ``{id}`` and a query locator by ``{locator}``:
``"GET query"``, ``"GET query/{locator}"``, ``"GET sobjects/User/{id}"``, ``"POST composite/sobjects"``,
``"GET tooling/query"``, ``"PATCH tooling/sobjects/CustomField/{id}"``, ``"GET tooling/executeAnonymous"``.
``GET /services/data`` is ``"GET versions"`` and ``GET /services/data/vXX.X/`` is ``"GET resources"``.
SOAP calls are keyed by API and operation: ``"POST Soap/m readMetadata"``, ``"POST Soap/s executeAnonymous"``.
Any other path is keyed as ``"<METHOD> <path>"``. ``/__emulator/...`` requests are not counted.
``metadata_api_versions`` counts Metadata API requests by the version in their endpoint path, so a test
can see which version a client's Metadata calls go to.

API usage: every authenticated REST, Tooling or SOAP request that is not refused counts one call; the
limit is the org's daily limit. Usage lives in memory and starts at 0 when the emulator starts.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

from .org.ids import is_well_formed

_VERSIONED = re.compile(r"^/services/data/v\d+\.\d+(?P<rest>/.*)?$")
_LOCATOR = re.compile(r"^[a-zA-Z0-9]{15,18}-\d+$")


def endpoint_key(method: str, path: str, soap_operation: str | None = None) -> str:
    """The stats key of a request (see the module docstring)."""
    method = method.upper()
    if path.rstrip("/") == "/services/data":
        return f"{method} versions"
    if path.startswith("/services/Soap/"):
        api = path.split("/")[3] if len(path.split("/")) > 3 else ""
        return f"{method} Soap/{api} {soap_operation or 'unknown'}"
    match = _VERSIONED.match(path)
    if match is None:
        return f"{method} {path}"
    parts = [p for p in (match.group("rest") or "").split("/") if p]
    if not parts:
        return f"{method} resources"
    return f"{method} " + "/".join(_placeholder(p) for p in parts)


def _placeholder(part: str) -> str:
    if _LOCATOR.match(part):
        return "{locator}"
    if is_well_formed(part) and any(c.isdigit() for c in part):
        return "{id}"
    return part


class Meter:
    """Counts requests per endpoint and API calls against the daily limit; thread-safe."""

    def __init__(self, daily_limit: int) -> None:
        self.daily_limit = daily_limit
        self.used = 0
        self.requests: Counter[str] = Counter()
        self.metadata_api_versions: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count_request(self, key: str) -> None:
        with self._lock:
            self.requests[key] += 1

    def count_metadata_version(self, version: str) -> None:
        """Count one Metadata API request made at endpoint version ``version`` (``/services/Soap/m/63.0``)."""
        with self._lock:
            self.metadata_api_versions[version] += 1

    def consume(self) -> bool:
        """Count one API call; False (and nothing counted) when the daily limit is already spent."""
        with self._lock:
            if self.used >= self.daily_limit:
                return False
            self.used += 1
            return True

    @property
    def remaining(self) -> int:
        return max(self.daily_limit - self.used, 0)

    def limit_info(self) -> str:
        """The ``Sforce-Limit-Info`` header value."""
        return f"api-usage={self.used}/{self.daily_limit}"

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.metadata_api_versions.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(sorted(self.requests.items())),
                "metadata_api_versions": dict(sorted(self.metadata_api_versions.items())),
                "api_calls_used": self.used,
                "api_calls_remaining": self.remaining,
                "daily_api_limit": self.daily_limit,
            }
