"""The emulator's internal request/response types and Salesforce's error body shapes.

Handlers take an ``ApiRequest`` and return an ``ApiResponse``; the server turns that into HTTP. Composite
subrequests build ``ApiRequest`` objects directly, so every REST handler can also run inside a composite.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json;charset=UTF-8"
TEXT_TYPE = "text/plain;charset=UTF-8"


@dataclass
class ApiRequest:
    """One REST call. ``segments`` is the path after ``/services/data/vXX.X/`` split on '/', without empty
    parts; ``lock_ids`` is set when an ``unable_to_lock_row`` fault applies (None: no fault; empty: all
    records)."""

    method: str
    segments: list[str]
    args: Mapping[str, str]
    body: bytes
    version: str
    lock_ids: frozenset[str] | None = None

    @property
    def base_path(self) -> str:
        return f"/services/data/v{self.version}"

    def json(self) -> Any:
        """The body as JSON; ``BadRequest`` (JSON_PARSER_ERROR) when it is not JSON."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise BadRequest("JSON_PARSER_ERROR", f"Unexpected character: {exc}") from exc

    def locked(self, *record_ids: Any) -> bool:
        """True when an unable_to_lock_row fault covers one of these ids (or every record)."""
        if self.lock_ids is None:
            return False
        return not self.lock_ids or any(str(i) in self.lock_ids for i in record_ids if i)


@dataclass
class ApiResponse:
    """A handler's answer: ``body`` is JSON-able (or text for text/plain, or None for no body)."""

    status: int
    body: Any = None
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


class BadRequest(Exception):
    """A request Salesforce refuses as a whole: becomes ``status`` with ``[{"message","errorCode"}]``."""

    def __init__(self, code: str, message: str, status: int = 400, fields: list[str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields

    def response(self) -> ApiResponse:
        return error(self.status, self.code, self.message, self.fields)


def error(status: int, code: str, message: str, fields: list[str] | None = None) -> ApiResponse:
    """Top-level REST error: a JSON list with ``errorCode`` (``fields`` only when given)."""
    entry: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        entry["fields"] = fields
    return ApiResponse(status, [entry])


def not_found() -> ApiResponse:
    return ApiResponse(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])


def invalid_session() -> ApiResponse:
    return ApiResponse(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])


def record_error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    """Per-record error inside sObject Collections results (key ``statusCode``, not ``errorCode``)."""
    return {"statusCode": code, "message": message, "fields": fields or []}
