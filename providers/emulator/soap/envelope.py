"""SOAP envelopes and faults, shared by the emulator's Metadata API and Apex endpoints.

Contract:

- ``parse_envelope`` reads a request with ElementTree after refusing any DOCTYPE or ENTITY declaration
  (entity expansion is never attempted). It returns the Header (or None) and the Body's first child,
  which names the operation: dispatch happens on that element, never on the URL path or SOAPAction.
- Malformed requests raise ``SoapFault``; a handler turns any ``SoapFault`` into ``fault_response``.
- Responses are built as text (see ``xml``) and wrapped by ``envelope``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from .xml import XSI_NS, child, child_text, local_name, namespace_of

SOAPENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
METADATA_NS = "http://soap.sforce.com/2006/04/metadata"
APEX_NS = "http://soap.sforce.com/2006/08/apex"

CONTENT_TYPE = "text/xml; charset=utf-8"

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class SoapFault(Exception):
    """A request-level failure answered as a SOAP Fault (HTTP 500).

    ``code`` is the qualified faultcode, e.g. ``sf:INVALID_SESSION_ID`` or ``soapenv:Client``;
    ``message`` is the faultstring exactly as sent.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Envelope:
    """A parsed request: the SOAP Header (None when absent) and the operation element."""

    header: ET.Element | None
    operation: ET.Element

    @property
    def operation_name(self) -> str:
        return local_name(self.operation)


def parse_envelope(body: bytes) -> Envelope:
    """Parse a SOAP 1.1 request; raise ``SoapFault`` (soapenv:Client) when it is not one."""
    if _DECLARATION.search(body):
        raise SoapFault("soapenv:Client", "DOCTYPE and ENTITY declarations are not allowed")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SoapFault("soapenv:Client", f"Unable to parse the request: {exc}") from exc
    if root.tag != f"{{{SOAPENV_NS}}}Envelope":
        raise SoapFault("soapenv:Client", "The request is not a SOAP 1.1 Envelope")
    body_el = root.find(f"{{{SOAPENV_NS}}}Body")
    operation = next(iter(body_el), None) if body_el is not None else None
    if operation is None:
        raise SoapFault("soapenv:Client", "The SOAP Body is empty")
    return Envelope(header=root.find(f"{{{SOAPENV_NS}}}Header"), operation=operation)


def session_id_from_header(header: ET.Element | None) -> str | None:
    """The SessionHeader/sessionId text of a parsed Header, in any namespace."""
    if header is None:
        return None
    session_header = child(header, "SessionHeader")
    if session_header is None:
        return None
    value = child_text(session_header, "sessionId")
    return value.strip() if value else None


def session_id_from_envelope(body: bytes) -> str | None:
    """The SessionHeader/sessionId of a raw request (metadata, apex or any namespace); None if absent
    or if the body is not a well-formed SOAP envelope."""
    try:
        return session_id_from_header(parse_envelope(body).header)
    except SoapFault:
        return None


def envelope(body_xml: str, *, default_ns: str, header_xml: str = "") -> bytes:
    """A response envelope whose Body (and Header, if given) use ``default_ns`` unprefixed."""
    header = f"<soapenv:Header>{header_xml}</soapenv:Header>" if header_xml else ""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV_NS}" xmlns="{default_ns}" xmlns:xsi="{XSI_NS}">'
        f"{header}<soapenv:Body>{body_xml}</soapenv:Body></soapenv:Envelope>"
    )
    return text.encode("utf-8")


def fault_response(code: str, message: str, *, sf_ns: str = METADATA_NS) -> tuple[int, bytes]:
    """HTTP 500 with a SOAP Fault; ``sf:`` in ``code`` is bound to ``sf_ns``."""
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV_NS}" xmlns:sf="{sf_ns}">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return 500, text.encode("utf-8")


def invalid_session_fault(*, sf_ns: str = METADATA_NS) -> tuple[int, bytes]:
    """The fault Salesforce answers for a missing or unknown SessionHeader sessionId."""
    return fault_response(
        "sf:INVALID_SESSION_ID",
        "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session",
        sf_ns=sf_ns,
    )


def unknown_operation(operation: ET.Element) -> SoapFault:
    """The fault Salesforce's Axis endpoint gives for an operation it does not offer."""
    return SoapFault(
        "soapenv:Client",
        f"No operation available for request {{{namespace_of(operation)}}}{local_name(operation)}",
    )
