"""``RecordError``: Salesforce refused one record (shared by the record rules and the collection calls)."""

from __future__ import annotations

from ..wire import ApiResponse, error, not_found


class RecordError(Exception):
    """Salesforce refused one record; ``status`` is used by the single-record REST form."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields or []
        self.status = status

    def response(self) -> ApiResponse:
        """The single-record REST answer: NOT_FOUND keeps Salesforce's exact two-key body."""
        if self.code in ("NOT_FOUND", "INVALID_TYPE") and self.status == 404:
            return not_found()
        return error(self.status, self.code, self.message, self.fields)
