"""An OAuth refusal as Salesforce sends it: HTTP ``status`` with ``{"error", "error_description"}``."""

from __future__ import annotations

from typing import Any


class OAuthError(Exception):
    """Raised by the OAuth handlers; ``body()`` is the JSON Salesforce answers with."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}
