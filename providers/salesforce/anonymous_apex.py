"""Anonymous Apex: the Apex SOAP ``executeAnonymous`` call, which returns the debug log inline.

``POST /services/Soap/s/{version}/{orgId}`` with ``SOAPAction: executeAnonymous``, a ``SessionHeader``
and a ``DebuggingHeader`` (``debugLevel`` DEBUGONLY); the answer's ``Header/DebuggingInfo/debugLog`` is
the log and ``Body/executeAnonymousResponse/result`` the outcome (nil elements read as ""). When the
org answers 404 or 405 for the SOAP endpoint, the Tooling REST ``executeAnonymous/`` is used instead
(it returns the same outcome but no log).

A compile or runtime failure of the script is an outcome, not an error. Running a script is not
idempotent: when the answer is lost the script may have run, so it is never sent again; the caller gets
a ``ProviderError`` saying so.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from providers.base import ApexResult
from providers.salesforce.transport import MaybeApplied, Transport
from reconcile.errors import ProviderError

APEX_NS = "http://soap.sforce.com/2006/08/apex"
ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def envelope(session_id: str, script: str) -> bytes:
    """The executeAnonymous request envelope."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<env:Envelope xmlns:env="{ENV_NS}" xmlns:apex="{APEX_NS}">'
        f"<env:Header><apex:SessionHeader><apex:sessionId>{escape(session_id)}</apex:sessionId>"
        f"</apex:SessionHeader><apex:DebuggingHeader><apex:debugLevel>DEBUGONLY</apex:debugLevel>"
        f"</apex:DebuggingHeader></env:Header>"
        f'<env:Body><executeAnonymous xmlns="{APEX_NS}"><apexcode>{escape(script)}</apexcode>'
        f"</executeAnonymous></env:Body></env:Envelope>"
    ).encode()


def parse_soap(body: bytes) -> ApexResult:
    """An ``executeAnonymousResponse`` envelope as an ApexResult."""
    root = ET.fromstring(body)
    log = root.find(f".//{{{APEX_NS}}}DebuggingInfo/{{{APEX_NS}}}debugLog")
    result = root.find(f".//{{{APEX_NS}}}executeAnonymousResponse/{{{APEX_NS}}}result")
    fields: dict[str, str] = {}
    if result is not None:
        for child in result:
            name = child.tag.rsplit("}", 1)[-1]
            fields[name] = "" if child.get(XSI_NIL) == "true" else (child.text or "")
    return _result(fields, _text(log))


def parse_rest(answer: dict[str, Any]) -> ApexResult:
    """A Tooling ``executeAnonymous`` JSON answer as an ApexResult (no log)."""
    return _result({k: "" if v is None else str(v) for k, v in answer.items()}, "")


def _result(fields: dict[str, str], log: str) -> ApexResult:
    return ApexResult(
        compiled=fields.get("compiled", "").lower() == "true",
        success=fields.get("success", "").lower() == "true",
        line=_int(fields.get("line")),
        column=_int(fields.get("column")),
        compile_problem=fields.get("compileProblem", ""),
        exception_message=fields.get("exceptionMessage", ""),
        exception_stack_trace=fields.get("exceptionStackTrace", ""),
        debug_log=log,
    )


def _text(element: ET.Element | None) -> str:
    return "" if element is None or element.get(XSI_NIL) == "true" else (element.text or "")


def _int(value: str | None) -> int:
    try:
        return int(value or -1)
    except ValueError:
        return -1


def run_apex(transport: Transport, org_id: str, script: str) -> ApexResult:
    """Run ``script``; SOAP first, Tooling REST when the SOAP endpoint is missing (404/405)."""
    session = transport.session
    url = f"{session.credentials.instance_url.rstrip('/')}/services/Soap/s/{session.api_version}/{org_id}"
    headers = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "executeAnonymous"}
    try:
        response = transport.post_raw(
            "POST Soap/s executeAnonymous",
            url,
            lambda: envelope(session.credentials.access_token, script),
            headers,
            passthrough=(404, 405),
        )
        if response.status_code not in (404, 405):
            return parse_soap(response.content)
        answer = transport.call(
            "GET tooling/executeAnonymous",
            lambda: session.sf.toolingexecute("executeAnonymous/", params={"anonymousBody": script}),
            replay_safe=False,
        )
    except MaybeApplied as lost:
        raise ProviderError(
            f"the answer to executeAnonymous was lost ({lost.failure.message}); the script may have run, "
            "so it was not sent again",
            org=transport.org,
            code=lost.failure.code,
        ) from None
    return parse_rest(answer if isinstance(answer, dict) else {})
