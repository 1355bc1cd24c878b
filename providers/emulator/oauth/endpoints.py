"""``/services/oauth2/...`` of an emulated org: ``token`` (``grants.py``), ``userinfo`` and ``revoke``.

- ``POST /services/oauth2/token`` (form body): the token response, or the grant's ``OAuthError`` as JSON.
- ``GET|POST /services/oauth2/userinfo`` with ``Authorization: Bearer <token>``: the OpenID Connect
  user info Salesforce returns (``sub``, ``user_id``, ``organization_id``, ``preferred_username``,
  ``name``, ``email``, ``urls``, ...). A missing or dead token answers 403 with the text
  ``Bad_OAuth_Token``.
- ``POST /services/oauth2/revoke`` (form ``token=``; ``GET ?token=`` too): 200 with no body; an unknown
  token answers 400 ``{"error": "unsupported_token_type", ...}``.
- anything else under ``/services/oauth2/``: 404 NOT_FOUND.

None of them counts against the daily API limit, as on Salesforce.
"""

from __future__ import annotations

import json
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from ..context import OrgContext
from ..wire import JSON_TYPE, TEXT_TYPE
from . import grants
from .errors import OAuthError

PREFIX = "/services/oauth2/"


def handle(org: OrgContext, request: Request) -> Response:
    """Answer a request under ``/services/oauth2/`` (see the module docstring)."""
    action = request.path.removeprefix(PREFIX).strip("/")
    instance_url = request.host_url.rstrip("/")
    try:
        if action == "token" and request.method == "POST":
            with org.store.lock:
                answer = grants.token(
                    org, request.form, request.headers.get("Authorization", ""), instance_url, time.time()
                )
            return _json(200, answer)
        if action == "token":
            raise OAuthError(400, "unsupported_grant_type", "grant type not supported")
        if action == "userinfo" and request.method in ("GET", "POST"):
            return _userinfo(org, request, instance_url)
        if action == "revoke" and request.method in ("GET", "POST"):
            token = request.form.get("token") or request.args.get("token") or ""
            if not org.sessions.revoke(token):
                # UNCONFIRMED: the error_description of a revoke of an unknown token.
                raise OAuthError(400, "unsupported_token_type", "this token type is not supported")
            return Response(b"", status=200)
    except OAuthError as exc:
        return _json(exc.status, exc.body())
    body = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
    return Response(json.dumps(body), status=404, content_type=JSON_TYPE)


def _userinfo(org: OrgContext, request: Request, instance_url: str) -> Response:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user_id = org.session_user(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
    user = org.store.get("User", user_id) if user_id else None
    if user is None:
        # UNCONFIRMED: Salesforce's userinfo answers a bad token with 403 and this text, per client reports.
        return Response("Bad_OAuth_Token", status=403, content_type=TEXT_TYPE)
    return _json(200, user_info(org, user, instance_url))


def user_info(org: OrgContext, user: dict[str, Any], instance_url: str) -> dict[str, Any]:
    """The userinfo body for ``user``."""
    org_id, user_id = org.store.org_id, str(user["Id"])
    base = f"{instance_url}/services/data/v{{version}}/"  # Salesforce sends the placeholder as is
    return {
        "sub": f"{instance_url}/id/{org_id}/{user_id}",
        "user_id": user_id,
        "organization_id": org_id,
        "preferred_username": user["Username"],
        "nickname": user.get("Alias"),
        "name": user.get("Name"),
        "email": user.get("Email"),
        "email_verified": True,
        "given_name": user.get("FirstName"),
        "family_name": user.get("LastName"),
        "zoneinfo": "America/Los_Angeles",
        "active": bool(user.get("IsActive")),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
        "is_app_installed": True,
        "urls": {
            "enterprise": f"{instance_url}/services/Soap/c/{{version}}/{org_id[:15]}",
            "metadata": f"{instance_url}/services/Soap/m/{{version}}/{org_id[:15]}",
            "partner": f"{instance_url}/services/Soap/u/{{version}}/{org_id[:15]}",
            "rest": base,
            "sobjects": base + "sobjects/",
            "query": base + "query/",
            "tooling_rest": base + "tooling/",
            "profile": f"{instance_url}/{user_id}",
            "custom_domain": instance_url,
        },
    }


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON_TYPE)
