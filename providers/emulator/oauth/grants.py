"""``POST /services/oauth2/token``: the grants an emulated org accepts and what each refuses.

``token(org, form, authorization, instance_url, now)`` returns the token response Salesforce sends
(``access_token``, ``instance_url``, ``id``, ``token_type``, ``issued_at``, ``signature``, ``scope``) or
raises ``OAuthError``. Every refusal is HTTP 400 with ``{"error", "error_description"}``:

- any grant naming an unknown consumer key: ``invalid_client_id`` "client identifier invalid";
- a consumer secret that is not the app's: ``invalid_client`` "invalid client credentials";
- ``password``: a username without a ``user_logins`` entry, an inactive user or a wrong password
  (plus the security token when the entry has one): ``invalid_grant`` "authentication failure";
- ``refresh_token``: unknown, revoked, or issued to another app: ``invalid_grant`` "expired access/refresh
  token" (the answer carries no new refresh token, as Salesforce's does by default);
- ``client_credentials`` (client id and secret in HTTP Basic or the form): an app without ``run_as``:
  ``invalid_grant`` "no client credentials user enabled";
- JWT bearer (``jwt_bearer.py`` checks the assertion): an unknown or inactive ``sub``, or one not
  pre-authorized on the app: ``invalid_grant`` "user hasn't approved this consumer";
- any other ``grant_type``: ``unsupported_grant_type`` "grant type not supported".

The ``id`` URL is ``{instance_url}/id/{orgId}/{userId}``; audiences accepted for a JWT are
``https://login.salesforce.com`` (``https://test.salesforce.com`` for a sandbox) and the org's own URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from ..context import OrgContext
from ..org import credentials
from . import jwt_bearer
from .errors import OAuthError
from .sessions import RefreshGrant

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UNKNOWN_CLIENT = OAuthError(400, "invalid_client_id", "client identifier invalid")
BAD_SECRET = OAuthError(400, "invalid_client", "invalid client credentials")
# Salesforce answers a wrong username and a user not allowed on the app alike (public reports of the JWT
# flow with a mistyped username quote this text).
NOT_APPROVED = OAuthError(400, "invalid_grant", "user hasn't approved this consumer")

Record = dict[str, Any]


def token(
    org: OrgContext, form: Mapping[str, str], authorization: str, instance_url: str, now: float
) -> dict[str, Any]:
    """The token response for ``form`` (see the module docstring)."""
    grant = form.get("grant_type", "")
    tables = org.store.data.tables
    if grant == JWT_BEARER:
        audiences = {"https://test.salesforce.com" if _is_sandbox(org) else "https://login.salesforce.com"}
        app, username = jwt_bearer.verify(
            form.get("assertion", ""), lambda key: credentials.find_app(tables, key), now, audiences | {instance_url}
        )
        user = _user(org, username)
        if user is None or user["Username"].lower() not in {u.lower() for u in app["PreAuthorized"]}:
            raise NOT_APPROVED
        return _answer(org, app, user, instance_url, now)
    if grant == "password":
        app = _client(org, form.get("client_id", ""), form.get("client_secret"), secret_required=True)
        user = _user(org, form.get("username", ""))
        login = credentials.find_login(tables, form.get("username", ""))
        wanted = {login["Password"], login["Password"] + login["SecurityToken"]} if login else set()
        if login and login["SecurityToken"]:
            wanted.discard(login["Password"])
        if user is None or login is None or form.get("password", "") not in wanted:
            raise OAuthError(400, "invalid_grant", "authentication failure")
        return _answer(org, app, user, instance_url, now)
    if grant == "refresh_token":
        app = _client(org, form.get("client_id", ""), form.get("client_secret"), secret_required=False)
        refresh = form.get("refresh_token", "")
        found = org.sessions.refresh_grant(refresh)
        if found is None or found.consumer_key != app["ConsumerKey"]:
            raise OAuthError(400, "invalid_grant", "expired access/refresh token")
        user = org.store.get("User", found.user_id)
        if user is None or not user.get("IsActive"):
            raise OAuthError(400, "invalid_grant", "inactive user")
        return _answer(org, app, user, instance_url, now, refresh_token=refresh)
    if grant == "client_credentials":
        key, secret = _basic(authorization) or (form.get("client_id", ""), form.get("client_secret", ""))
        app = _client(org, key, secret, secret_required=True)
        user = _user(org, app["RunAs"] or "")
        if user is None:
            raise OAuthError(400, "invalid_grant", "no client credentials user enabled")
        return _answer(org, app, user, instance_url, now)
    raise OAuthError(400, "unsupported_grant_type", "grant type not supported")


def register_refresh_tokens(org: OrgContext) -> None:
    """Make the seed's refresh tokens (``connected_apps[].refresh_tokens``) usable."""
    for app in org.store.data.tables.get(credentials.APPS_TABLE, {}).values():
        for entry in app["RefreshTokens"]:
            user = _user(org, entry["username"])
            if user is not None:
                org.sessions.add_refresh_token(entry["token"], RefreshGrant(user["Id"], app["ConsumerKey"]))


def _client(org: OrgContext, key: str, secret: str | None, *, secret_required: bool) -> Record:
    app = credentials.find_app(org.store.data.tables, key)
    if app is None:
        raise UNKNOWN_CLIENT
    if (secret_required or secret is not None) and not (
        app["ConsumerSecret"] and hmac.compare_digest(str(secret or ""), str(app["ConsumerSecret"]))
    ):
        raise BAD_SECRET
    return app


def _user(org: OrgContext, username: str) -> Record | None:
    found = org.store.find("User", Username=username) if username else []
    return found[0] if found and found[0].get("IsActive") else None


def _basic(authorization: str) -> tuple[str, str] | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        key, _, secret = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return key, secret


def _is_sandbox(org: OrgContext) -> bool:
    return bool(org.store.organization.get("IsSandbox"))


def _answer(
    org: OrgContext, app: Record, user: Record, instance_url: str, now: float, *, refresh_token: str = ""
) -> dict[str, Any]:
    access = org.sessions.issue(str(user["Id"]), refresh_token=refresh_token)
    identity = f"{instance_url}/id/{org.store.org_id}/{user['Id']}"
    issued_at = str(int(now * 1000))
    key = str(app.get("ConsumerSecret") or app["ConsumerKey"]).encode()
    signature = base64.b64encode(hmac.new(key, (identity + issued_at).encode(), hashlib.sha256).digest()).decode()
    return {
        "access_token": access,
        "signature": signature,
        "scope": "api",
        "instance_url": instance_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }
