"""The login requests themselves, sent to the org's ``login_url`` as it is written (scheme, host, port).

``login_request(http, login_url, api_version, method, arguments)`` returns ``(session_id, instance)``
(``instance`` is ``host[:port]``). ``password`` is the partner SOAP ``login`` at
``{login_url}/services/Soap/u/{api_version}`` (password with the security token appended); ``jwt``
posts an RS256 assertion ``{iss: consumer key, sub: username, aud: login_url's origin, exp: now + 3
minutes}`` with the JWT bearer grant, and ``client_credentials`` the consumer key and secret in HTTP Basic,
both to ``{login_url}/services/oauth2/token``. The bodies are simple-salesforce's, and so are its parsers
(``soap_login``, ``token_login``), so failures raise what ``SalesforceLogin`` raises
(``SalesforceAuthenticationFailed``, requests' errors, ``ExpatError``/``AttributeError`` for an answer
that is no login response): ``providers.salesforce.login`` translates them. simple-salesforce's own
``SalesforceLogin`` builds ``https://{domain}.salesforce.com`` and cannot reach any other host.
"""

from __future__ import annotations

import base64
import time
import warnings
from html import escape
from typing import Any
from urllib.parse import urlparse

import jwt
import requests
from simple_salesforce.login import DEFAULT_CLIENT_ID_PREFIX, soap_login, token_login

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def login_request(
    http: requests.Session, login_url: str, api_version: str, method: str, arguments: dict[str, Any]
) -> tuple[str, str]:
    """Log in at ``login_url`` with ``method`` (see the module docstring)."""
    origin = _origin(login_url)
    domain = (urlparse(origin).hostname or "login.salesforce.com").removesuffix(".salesforce.com")
    token_url = f"{origin}/services/oauth2/token"
    if method == "password":
        session_id, instance = soap_login(
            f"{origin}/services/Soap/u/{api_version}",
            _soap_body(arguments["username"], arguments["password"] + arguments["security_token"]),
            {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"},
            None,
            http,
        )
        return str(session_id), str(instance)
    key = str(arguments["consumer_key"])
    with warnings.catch_warnings():
        # token_login warns of "user hasn't approved this consumer" with a URL built for *.salesforce.com;
        # the refusal is reported by the caller, naming the settings to check.
        warnings.simplefilter("ignore", UserWarning)
        session_id, instance = _token_request(http, token_url, domain, method, key, arguments)
    return str(session_id), str(instance)


def _token_request(
    http: requests.Session, token_url: str, domain: str, method: str, key: str, arguments: dict[str, Any]
) -> tuple[Any, Any]:
    if method == "jwt":
        origin = token_url.removesuffix("/services/oauth2/token")
        claims = {"iss": key, "sub": arguments["username"], "aud": origin, "exp": f"{time.time() + 180:.0f}"}
        assertion = jwt.encode(claims, arguments["privatekey"], algorithm="RS256")
        form = {"grant_type": JWT_BEARER, "assertion": assertion}
        return token_login(token_url, form, domain, key, None, None, http)
    basic = base64.b64encode(f"{key}:{arguments['consumer_secret']}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    return token_login(token_url, {"grant_type": "client_credentials"}, domain, key, headers, None, http)


def _origin(login_url: str) -> str:
    """``https://host[:port]`` of ``login_url`` (any path is dropped, as Salesforce's endpoints are fixed)."""
    parsed = urlparse(login_url if "://" in login_url else f"https://{login_url}")
    return f"{parsed.scheme or 'https'}://{parsed.netloc}"


def _soap_body(username: str, password: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope
        xmlns:xsd="http://www.w3.org/2001/XMLSchema"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:urn="urn:partner.soap.sforce.com">
    <env:Header>
        <urn:CallOptions>
            <urn:client>{DEFAULT_CLIENT_ID_PREFIX}</urn:client>
            <urn:defaultNamespace>sf</urn:defaultNamespace>
        </urn:CallOptions>
    </env:Header>
    <env:Body>
        <n1:login xmlns:n1="urn:partner.soap.sforce.com">
            <n1:username>{escape(username)}</n1:username>
            <n1:password>{escape(password)}</n1:password>
        </n1:login>
    </env:Body>
</env:Envelope>"""
