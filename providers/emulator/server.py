"""The emulator's WSGI application: transport rules shared by every Salesforce path.

Order of checks for each request: URI length (414 past 16,384 bytes), request stats, latency, expired
permission set assignments removed, fault rules, then routing. ``/services/data`` (the version list) is
served without a session, as Salesforce does. Every other ``/services/data/vXX.X/...`` path needs
``Authorization: Bearer <token>`` of a session that has not expired (401 INVALID_SESSION_ID otherwise), then
counts one API call (403 REQUEST_LIMIT_EXCEEDED once the daily limit is spent) and carries
``Sforce-Limit-Info``. SOAP paths check the SessionHeader instead. Versions below 50.0 and unknown paths
answer 404 NOT_FOUND. ``/__emulator/stats``, ``/__emulator/faults`` and ``/__emulator/reset-stats`` need a
token the org issued (expired or not) and are neither counted nor faulted. ``/services/oauth2/`` (token,
userinfo, revoke: ``oauth/endpoints.py``) and the SOAP ``login`` need no session and are not counted; any
session the org issued (the start token or one from a login) is accepted everywhere.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from .context import MIN_API_VERSION, OrgContext
from .faults import FaultBook, FaultRule, FaultRuleError
from .meter import endpoint_key
from .oauth import endpoints as oauth_endpoints
from .oauth.grants import register_refresh_tokens
from .rest.assignment_rules import now_utc, sweep_expired
from .rest.routes import route as rest_route
from .rest.routes import versions
from .soap import dispatch as soap_dispatch
from .wire import JSON_TYPE, ApiRequest, ApiResponse, BadRequest, error, invalid_session, not_found

MAX_URI_BYTES = 16_384
_DATA_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d+)(?:/(?P<rest>.*))?$")


class EmulatorApp:
    """WSGI callable serving one org (see the module docstring)."""

    def __init__(self, org: OrgContext, faults: FaultBook, latency_ms: int = 0) -> None:
        self.org = org
        self.faults = faults
        self.latency_ms = latency_ms
        register_refresh_tokens(org)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        raw_uri = request.environ.get("REQUEST_URI") or request.full_path
        if len(raw_uri.encode()) > MAX_URI_BYTES:
            return Response("414 Request-URI Too Long", status=414, content_type="text/plain")
        if request.path.startswith("/__emulator/"):
            return self.admin(request)
        self.org.meter.count_request(endpoint_key(request.method, request.path, soap_dispatch.operation(request)))
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        self.expire_assignments()
        rule = self.faults.check(request.method, raw_uri) if request.path.startswith("/services/") else None
        if rule is not None and not (rule.action == "unable_to_lock_row" and _is_collection(request.path)):
            return self.fault(request, rule)
        return self.route(request, rule)

    def route(self, request: Request, rule: FaultRule | None) -> Response:
        path = request.path
        if path.rstrip("/") == "/services/data" and request.method == "GET":
            return _to_http(versions(self.org))
        if path.startswith("/services/Soap/"):
            return self.soap(request)
        if path.startswith(oauth_endpoints.PREFIX):
            return oauth_endpoints.handle(self.org, request)
        match = _DATA_PATH.match(path)
        if match is None or float(match.group("version")) < MIN_API_VERSION:
            return _to_http(not_found())
        if not self.authorized(request, session=True):
            return _to_http(invalid_session())
        if not self.org.meter.consume():
            return self.limited(_to_http(error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")))
        api_request = ApiRequest(
            method=request.method,
            segments=[p for p in (match.group("rest") or "").split("/") if p],
            args=request.args,
            body=request.get_data(),
            version=match.group("version"),
            lock_ids=(rule.records or frozenset()) if rule is not None else None,
        )
        try:
            answer = rest_route(self.org, api_request)
        except BadRequest as exc:
            answer = exc.response()
        return self.limited(_to_http(answer))

    def soap(self, request: Request) -> Response:
        status, body, content_type = soap_dispatch.dispatch(self.org, request)
        return Response(body, status=status, content_type=content_type)

    def expire_assignments(self) -> None:
        """Remove the assignments whose ExpirationDate has passed, as Salesforce does on its own."""
        with self.org.store.lock:
            if sweep_expired(self.org.store, now_utc()):
                self.org.store.commit()

    def authorized(self, request: Request, *, session: bool = False) -> bool:
        """The request carries the org's token; with ``session``, a live session (admin paths only need
        the token, so tests can still read stats once the session has expired)."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            return False
        return self.org.session_valid(token.strip()) if session else self.org.token_known(token.strip())

    def limited(self, response: Response) -> Response:
        response.headers["Sforce-Limit-Info"] = self.org.meter.limit_info()
        return response

    def fault(self, request: Request, rule: FaultRule) -> Response:
        """Answer as the fault rule says (``drop`` and ``drop_after`` close the connection instead)."""
        if rule.action == "drop_after":
            self.route(request, None)
        if rule.action in ("drop", "drop_after"):
            _drop_connection(request.environ)
            return Response(b"", status=500)
        if request.path.startswith("/services/Soap/"):
            status, body = soap_dispatch.fault_for(rule.action)
            return Response(body, status=status, content_type=soap_dispatch.CONTENT_TYPE)
        return _to_http(_fault_answer(rule.action))

    def admin(self, request: Request) -> Response:
        if not self.authorized(request):
            return _to_http(invalid_session())
        action = request.path.rstrip("/").removeprefix("/__emulator/")
        if action == "stats" and request.method == "GET":
            return _to_http(ApiResponse(200, self.org.meter.stats()))
        if action == "reset-stats" and request.method == "POST":
            self.org.meter.reset_requests()
            return _to_http(ApiResponse(204))
        if action == "faults" and request.method == "POST":
            try:
                self.faults.add(json.loads(request.get_data() or b"null"))
            except (FaultRuleError, ValueError) as exc:
                return _to_http(error(400, "INVALID_FAULT_RULE", str(exc)))
            return _to_http(ApiResponse(204))
        if action == "faults" and request.method == "DELETE":
            self.faults.clear()
            return _to_http(ApiResponse(204))
        return _to_http(not_found())


def _is_collection(path: str) -> bool:
    return "/composite/sobjects" in path


def _fault_answer(action: str) -> ApiResponse:
    if action == "503":
        # The errorCode of a 503 body was never seen in a recording; SERVER_UNAVAILABLE is the documented name.
        return error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
    if action == "500_empty":
        return ApiResponse(500, None)
    if action == "invalid_session":
        return invalid_session()
    if action == "request_limit_total":
        return error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    if action == "request_limit_concurrent":
        return error(403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")
    return error(400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", [])


def _drop_connection(environ: dict[str, Any]) -> None:
    """Shut the client's socket down so it sees the connection close without any answer."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        return


def _to_http(answer: ApiResponse) -> Response:
    response = Response(answer.payload(), status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        response.headers[name] = value
    if answer.content_type == JSON_TYPE and answer.body is None:
        response.headers.pop("Content-Type", None)
    return response
