"""SOAP paths: session check, API usage and dispatch to the Metadata API and Apex handlers.

``POST /services/Soap/m/{version}[/]`` goes to ``handle_metadata_soap`` and
``POST /services/Soap/s/{version}[/{orgId}]`` to ``handle_apex_soap``. A missing or wrong SessionHeader
sessionId answers the sf:INVALID_SESSION_ID fault (HTTP 500); a spent daily limit answers the
sf:REQUEST_LIMIT_EXCEEDED fault. ``POST /services/Soap/u/{version}`` offers the partner ``login`` call
only (``soap/login.py``; no session needed, not counted). Other SOAP paths (enterprise, partner calls
other than login) answer 404 NOT_FOUND. Any live session the org issued is accepted (``OrgContext.session_valid``).
"""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request

from ..context import OrgContext
from ..wire import JSON_TYPE
from .apex import handle_apex_soap
from .envelope import (
    APEX_NS,
    CONTENT_TYPE,
    METADATA_NS,
    SoapFault,
    fault_response,
    invalid_session_fault,
    parse_envelope,
    session_id_from_envelope,
)
from .login import handle_login
from .metadata import handle_metadata_soap
from .xml import local_name

_METADATA_PATH = re.compile(r"^/services/Soap/m/(?P<version>\d+\.\d+)/?$")
_PARTNER_PATH = re.compile(r"^/services/Soap/u/(?P<version>\d+\.\d+)/?$")
_APEX_PATH = re.compile(r"^/services/Soap/s/(?P<version>\d+\.\d+)(?:/[a-zA-Z0-9]{15,18})?/?$")

_FAULTS = {
    "503": (503, "sf:SERVER_UNAVAILABLE", "Server temporarily unavailable"),
    "invalid_session": (
        500,
        "sf:INVALID_SESSION_ID",
        "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session",
    ),
    "request_limit_total": (500, "sf:REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."),
    "request_limit_concurrent": (
        500,
        "sf:REQUEST_LIMIT_EXCEEDED",
        "REQUEST_LIMIT_EXCEEDED: ConcurrentPerOrgLongTxn Limit exceeded.",
    ),
    "unable_to_lock_row": (
        500,
        "sf:UNABLE_TO_LOCK_ROW",
        "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record",
    ),
}

__all__ = ["CONTENT_TYPE", "dispatch", "fault_for", "operation"]


def operation(request: Request) -> str | None:
    """Local name of the SOAP Body's first child (for stats), None for non-SOAP or unreadable bodies."""
    if not request.path.startswith("/services/Soap/") or request.method != "POST":
        return None
    try:
        return local_name(parse_envelope(request.get_data()).operation)
    except SoapFault:
        return None


def dispatch(org: OrgContext, request: Request) -> tuple[int, bytes, str]:
    """Answer a SOAP request: (HTTP status, body, content type)."""
    partner = _PARTNER_PATH.match(request.path)
    if partner is not None and request.method == "POST":
        status, answer = handle_login(org, request.get_data(), partner.group("version"), request.host_url.rstrip("/"))
        return status, answer, CONTENT_TYPE
    metadata = _METADATA_PATH.match(request.path)
    apex = _APEX_PATH.match(request.path)
    match = metadata or apex
    if match is None or request.method != "POST":
        body = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        return 404, json.dumps(body).encode(), JSON_TYPE
    sf_ns = METADATA_NS if metadata else APEX_NS
    payload = request.get_data()
    if not org.session_valid(session_id_from_envelope(payload) or ""):
        return (*invalid_session_fault(sf_ns=sf_ns), CONTENT_TYPE)
    if not org.meter.consume():
        message = "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."
        return (*fault_response("sf:REQUEST_LIMIT_EXCEEDED", message, sf_ns=sf_ns), CONTENT_TYPE)
    if metadata:
        org.meter.count_metadata_version(metadata.group("version"))
    handler = handle_metadata_soap if metadata else handle_apex_soap
    with org.store.lock:
        status, answer = handler(org.store, payload, match.group("version"))
    if status == 200 and metadata:
        answer = with_limit_info(answer, org.meter.used, org.meter.daily_limit)
    return status, answer, CONTENT_TYPE


def with_limit_info(answer: bytes, used: int, limit: int) -> bytes:
    """``answer`` with a ``LimitInfoHeader`` (API REQUESTS used and allowed) in its SOAP Header.

    Salesforce's SOAP API puts this header on its responses (a recorded partner API response in the
    shared fixtures, ``test_profiles.RESPONSE_ERROR_FIELD.xml``); whether the Metadata and Apex endpoints
    send it too is not settled by any public source. The emulator sends it on Metadata API answers, in
    the response's default namespace, so that a client reading usage from SOAP answers is exercised;
    Apex answers keep only their DebuggingInfo header."""
    info = (
        f"<LimitInfoHeader><limitInfo><current>{used}</current><limit>{limit}</limit>"
        "<type>API REQUESTS</type></limitInfo></LimitInfoHeader>"
    ).encode()
    if b"<soapenv:Header>" in answer:
        return answer.replace(b"<soapenv:Header>", b"<soapenv:Header>" + info, 1)
    return answer.replace(b"<soapenv:Body>", b"<soapenv:Header>" + info + b"</soapenv:Header><soapenv:Body>", 1)


def fault_for(action: str) -> tuple[int, bytes]:
    """The SOAP answer for a fault rule action on a SOAP path (``500_empty``: HTTP 500, no body)."""
    if action == "500_empty":
        return 500, b""
    status, code, message = _FAULTS[action]
    _, body = fault_response(code, message)
    return status, body
