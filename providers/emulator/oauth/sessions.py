"""The sessions (access tokens) and refresh tokens an emulated org has issued, held in memory only.

Contract: ``issue(user_id)`` returns a new access token for that user; ``user_of(token)`` is the user a
live token belongs to, or None (unknown or revoked). ``revoke(token)`` ends an access token, or a refresh
token and every access token issued from it (as Salesforce's ``/services/oauth2/revoke`` does), and says
whether it knew the token. Refresh tokens come from the seed's connected apps (``org/credentials.py``),
registered with ``add_refresh_token``. Thread-safe. Tokens look like Salesforce's: the org id's first 15
characters, ``!``, then random URL-safe text.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RefreshGrant:
    """Who a refresh token stands for: the user and the connected app (consumer key) it was issued to."""

    user_id: str
    consumer_key: str


@dataclass
class Sessions:
    """Access tokens -> user id, and refresh tokens -> ``RefreshGrant`` (see the module docstring)."""

    org_id: str = ""
    _access: dict[str, str] = field(default_factory=dict)
    _from_refresh: dict[str, str] = field(default_factory=dict)
    _refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    _revoked_refresh: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, token: str, user_id: str) -> None:
        """Register a token issued elsewhere (the one ``reconcile emulator serve`` prints)."""
        with self._lock:
            self._access[token] = user_id

    def issue(self, user_id: str, *, refresh_token: str = "") -> str:
        """A new access token for ``user_id`` (remembering the refresh token it came from, if any)."""
        token = f"{self.org_id[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._access[token] = user_id
            if refresh_token:
                self._from_refresh[token] = refresh_token
        return token

    def user_of(self, token: str) -> str | None:
        with self._lock:
            return self._access.get(token)

    def add_refresh_token(self, token: str, grant: RefreshGrant) -> None:
        with self._lock:
            if token not in self._revoked_refresh:
                self._refresh.setdefault(token, grant)

    def refresh_grant(self, token: str) -> RefreshGrant | None:
        with self._lock:
            return self._refresh.get(token)

    def revoke(self, token: str) -> bool:
        """End ``token`` (see the module docstring); False when it was not a live token."""
        with self._lock:
            if token in self._refresh:
                del self._refresh[token]
                self._revoked_refresh.add(token)
                for access in [a for a, r in self._from_refresh.items() if r == token]:
                    self._access.pop(access, None)
                    self._from_refresh.pop(access, None)
                return True
            self._from_refresh.pop(token, None)
            return self._access.pop(token, None) is not None
