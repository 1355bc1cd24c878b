"""The partner SOAP ``login`` call (``POST /services/Soap/u/{version}``): username and password (with the
security token appended when the user's ``user_logins`` entry has one, see ``org/credentials.py``).

Success: HTTP 200 with ``loginResponse/result/{metadataServerUrl, passwordExpired, sandbox, serverUrl,
sessionId, userId, userInfo}`` in the partner namespace, unprefixed (simple-salesforce reads
``sessionId`` and ``serverUrl`` by tag name). ``serverUrl`` is ``{instance}/services/Soap/u/{version}/{orgId}``.
Failure: HTTP 500 with the ``sf:INVALID_LOGIN`` fault and its ``sf:LoginFault`` detail, as Salesforce sends
for a wrong username, password or token, or an inactive user. Another operation on this path answers
the ``soapenv:Client`` "No operation available" fault. A login does not count against the API limit.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..context import OrgContext
from ..org import credentials
from .envelope import SOAPENV_NS, SoapFault, envelope, fault_response, parse_envelope, unknown_operation
from .xml import child_text, local_name

PARTNER_NS = "urn:partner.soap.sforce.com"
FAULT_NS = "urn:fault.partner.soap.sforce.com"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


def handle_login(org: OrgContext, payload: bytes, version: str, instance_url: str) -> tuple[int, bytes]:
    """Answer a partner SOAP request (see the module docstring)."""
    try:
        operation = parse_envelope(payload).operation
    except SoapFault as exc:
        return fault_response(exc.code, exc.message, sf_ns=FAULT_NS)
    if local_name(operation) != "login":
        fault = unknown_operation(operation)
        return fault_response(fault.code, fault.message, sf_ns=FAULT_NS)
    username = (child_text(operation, "username") or "").strip()
    password = child_text(operation, "password") or ""
    with org.store.lock:
        users = org.store.find("User", Username=username) if username else []
        login = credentials.find_login(org.store.data.tables, username) if username else None
        sandbox = bool(org.store.organization.get("IsSandbox"))
    user = users[0] if users and users[0].get("IsActive") else None
    if user is None or login is None or password != login["Password"] + login["SecurityToken"]:
        return _invalid_login()
    session = org.sessions.issue(str(user["Id"]))
    org_id = org.store.org_id
    result = (
        f"<metadataServerUrl>{instance_url}/services/Soap/m/{version}/{org_id}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired>"
        f"<sandbox>{str(sandbox).lower()}</sandbox>"
        f"<serverUrl>{instance_url}/services/Soap/u/{version}/{org_id}</serverUrl>"
        f"<sessionId>{escape(session)}</sessionId><userId>{user['Id']}</userId>"
        f"<userInfo><organizationId>{org_id}</organizationId><userId>{user['Id']}</userId>"
        f"<userName>{escape(str(user['Username']))}</userName></userInfo>"
    )
    return 200, envelope(f"<loginResponse><result>{result}</result></loginResponse>", default_ns=PARTNER_NS)


def _invalid_login() -> tuple[int, bytes]:
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV_NS}" xmlns:sf="{FAULT_NS}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: {INVALID_LOGIN}</faultstring>"
        '<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>'
        f"<sf:exceptionMessage>{INVALID_LOGIN}</sf:exceptionMessage></sf:LoginFault></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return 500, text.encode("utf-8")
