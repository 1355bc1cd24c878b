"""Connecting to an org: where its credentials come from and how a session is (re)obtained.

``OrgConnection`` names an org and how to reach it; it holds names of secrets, never secrets.
``OrgSession`` owns the live connection: one ``requests.Session`` shared by every REST and raw SOAP
call, the simple-salesforce client in direct mode (``session_id`` + ``instance_url``) and its Metadata
API client, whose zeep transport has its own ``requests.Session``. Both sessions trust the same CA
(the emulator's certificate, ``ca_cert``, or requests' defaults and ``REQUESTS_CA_BUNDLE``) and carry
the same response hooks, so API usage is seen on every response.

Sources of a session, first match wins:

- ``credentials`` handed to ``open_session``: a session issued elsewhere, used as is (also when the org
  asks for a new one). The composition root (``reconcile.workspace``) starts an embedded emulator for an
  ``emulator = "..."`` org and connects with the token it issues, passing ``on_close`` to stop it; this
  package knows nothing of the emulator.
- ``sf_alias``: shell out to ``sf org display`` (instance URL, API version) and
  ``sf org auth show-access-token`` (the token; ``org display`` redacts it in current versions).
- ``instance_url`` + ``auth_method``: ``access_token`` (``token_env``), ``password`` (``username``,
  ``password_env``, ``security_token_env``: SOAP login), ``jwt`` (``username``, ``client_id_env``,
  ``key_file_env`` or ``key_file``), ``client_credentials`` (``client_id_env``, ``client_secret_env``).
  Logins go to ``login_url`` (``https://login.salesforce.com``, ``https://test.salesforce.com`` or a
  My Domain).

The client always runs in direct mode, so simple-salesforce never refreshes on its own: when the org
answers INVALID_SESSION_ID the transport calls ``reauthenticate()``, which runs the same source again
(a new login, a new ``sf`` token) and points both clients at the new session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin
from simple_salesforce.metadata import SfdcMetadataApi

from reconcile.errors import ProviderError

ResponseHook = Callable[..., Any]

AUTH_METHODS = ("access_token", "password", "jwt", "client_credentials")


@dataclass(frozen=True)
class OrgConnection:
    """How to reach one org. Only names of environment variables, files or CLI aliases: no secrets."""

    name: str
    api_version: str = "62.0"
    sf_alias: str | None = None
    instance_url: str | None = None
    auth_method: str | None = None
    auth: Mapping[str, str] = field(default_factory=dict)
    ca_cert: Path | None = None
    login_url: str = "https://login.salesforce.com"


@dataclass(frozen=True)
class Credentials:
    """A live session: where the org is and the token to use. ``repr`` hides the token."""

    instance_url: str
    access_token: str = field(repr=False)
    api_version: str


Authenticator = Callable[[requests.Session], Credentials]


class PinnedSession(requests.Session):
    """A ``requests.Session`` whose own ``verify`` wins over ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``.

    Plain requests lets those variables replace a session's CA bundle on every request, which would
    make a configured ``ca_cert`` (or the emulator's CA) useless wherever the variables are set.
    """

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and isinstance(self.verify, str):
            settings["verify"] = self.verify
        return settings


class OrgSession:
    """The authenticated clients of one org, rebuilt in place by ``reauthenticate``."""

    def __init__(
        self,
        conn: OrgConnection,
        authenticate: Authenticator,
        verify: str | bool = True,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.conn = conn
        self.http = PinnedSession()
        self.http.verify = verify
        self._verify = verify
        self._authenticate = authenticate
        self._on_close = on_close
        self._hooks: list[ResponseHook] = []
        self._mdapi: SfdcMetadataApi | None = None
        self.credentials = self._login()
        self.sf = self._client()

    @property
    def org(self) -> str:
        return self.conn.name

    @property
    def api_version(self) -> str:
        return self.credentials.api_version

    def add_response_hook(self, hook: ResponseHook) -> None:
        """Call ``hook(response, **kwargs)`` on every HTTP response, REST and SOAP alike."""
        self._hooks.append(hook)
        self.http.hooks["response"].append(hook)
        if self._mdapi is not None:
            self._mdapi._client.transport.session.hooks["response"].append(hook)

    def metadata(self) -> SfdcMetadataApi:
        """The Metadata API client (built on first use: parsing the WSDL takes a moment)."""
        if self._mdapi is None:
            api = self.sf.mdapi
            transport: Any = api._client.transport
            zeep_session = PinnedSession()
            zeep_session.headers.update(transport.session.headers)
            zeep_session.verify = self._verify
            zeep_session.hooks["response"].extend(self._hooks)
            transport.session = zeep_session
            self._mdapi = api
        return self._mdapi

    def reauthenticate(self) -> None:
        """Obtain a new session from the same source and point both clients at it."""
        self.credentials = self._login()
        mdapi = self._mdapi
        self.sf = self._client()
        if mdapi is not None:
            client: Any = mdapi._client
            mdapi._session_id = self.credentials.access_token
            mdapi._session_header = client.get_element("ns0:SessionHeader")(sessionId=self.credentials.access_token)
            mdapi._service = client.create_service(
                "{http://soap.sforce.com/2006/04/metadata}MetadataBinding", self.sf.metadata_url
            )
            self.sf._mdapi = mdapi

    def close(self) -> None:
        """Close the HTTP sessions, then run ``on_close`` once (it stops an embedded emulator, say)."""
        self.http.close()
        if self._mdapi is not None:
            self._mdapi._client.transport.session.close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def _login(self) -> Credentials:
        try:
            return self._authenticate(self.http)
        except SalesforceAuthenticationFailed as exc:
            raise ProviderError(f"login failed: {exc.message}", org=self.org, code=str(exc.code)) from None
        except requests.RequestException as exc:
            raise ProviderError(f"login failed: {type(exc).__name__}", org=self.org) from None

    def _client(self) -> Salesforce:
        return Salesforce(
            session_id=self.credentials.access_token,
            instance_url=self.credentials.instance_url,
            version=self.credentials.api_version,
            session=self.http,
        )


def open_session(
    conn: OrgConnection,
    *,
    credentials: Credentials | None = None,
    on_close: Callable[[], None] | None = None,
) -> OrgSession:
    """Authenticate to the org ``conn`` names (see the module docstring for the sources). ``on_close``
    runs once when the session closes."""
    verify: str | bool = str(conn.ca_cert) if conn.ca_cert else True
    if credentials is not None:
        issued = credentials
        return OrgSession(conn, lambda _http: issued, verify, on_close=on_close)
    if conn.sf_alias:
        return OrgSession(conn, lambda _http: _sf_cli_credentials(conn), verify, on_close=on_close)
    if not conn.instance_url and conn.auth_method not in ("password", "jwt", "client_credentials"):
        raise ProviderError("no way to connect: give emulator, sf_alias, or instance_url with auth", org=conn.name)
    return OrgSession(conn, _direct_authenticator(conn), verify, on_close=on_close)


def _env(conn: OrgConnection, key: str, *, required: bool = True) -> str | None:
    """The value of the environment variable that ``conn.auth[key]`` names."""
    var = conn.auth.get(key)
    if not var:
        if required:
            raise ProviderError(f"auth method {conn.auth_method!r} needs `{key}`", org=conn.name)
        return None
    value = os.environ.get(var)
    if value is None:
        raise ProviderError(f"environment variable {var} (auth {key}) is not set", org=conn.name)
    return value


def _login_domain(conn: OrgConnection) -> str:
    """``https://test.salesforce.com`` -> ``test``; ``https://acme.my.salesforce.com`` -> ``acme.my``."""
    host = urlparse(conn.login_url).hostname or "login.salesforce.com"
    return host.removesuffix(".salesforce.com")


def _direct_authenticator(conn: OrgConnection) -> Authenticator:
    method = conn.auth_method or "access_token"
    if method not in AUTH_METHODS:
        raise ProviderError(f"unknown auth method {method!r} (use one of {', '.join(AUTH_METHODS)})", org=conn.name)
    if method == "access_token":
        _env(conn, "token_env")  # fail now, naming the variable, if it is not set
        # A token never holds whitespace: a newline kept from a file it was read from is not part of it.
        return lambda _http: Credentials(
            conn.instance_url or "", (_env(conn, "token_env") or "").strip(), conn.api_version
        )
    login = _login_arguments(conn, method)

    def authenticate(http: requests.Session) -> Credentials:
        session_id, instance = SalesforceLogin(
            session=http, sf_version=conn.api_version, domain=_login_domain(conn), **login
        )
        return Credentials(f"https://{instance}", session_id, conn.api_version)

    return authenticate


def _login_arguments(conn: OrgConnection, method: str) -> dict[str, Any]:
    """simple-salesforce ``SalesforceLogin`` keyword arguments; env vars are read here, once."""
    if method == "password":
        return {
            "username": _required(conn, "username"),
            "password": _env(conn, "password_env"),
            "security_token": _env(conn, "security_token_env", required=False) or "",
        }
    if method == "jwt":
        key_file = _env(conn, "key_file_env", required=False) or conn.auth.get("key_file")
        if not key_file:
            raise ProviderError("auth method 'jwt' needs `key_file_env` or `key_file`", org=conn.name)
        return {
            "username": _required(conn, "username"),
            "consumer_key": _env(conn, "client_id_env"),
            "privatekey_file": key_file,
        }
    return {"consumer_key": _env(conn, "client_id_env"), "consumer_secret": _env(conn, "client_secret_env")}


def _required(conn: OrgConnection, key: str) -> str:
    value = conn.auth.get(key)
    if not value:
        raise ProviderError(f"auth method {conn.auth_method!r} needs `{key}`", org=conn.name)
    return value


def _sf_cli_credentials(conn: OrgConnection) -> Credentials:
    """Reuse the Salesforce CLI's login for ``conn.sf_alias``."""
    alias = conn.sf_alias or ""
    shown = _run_sf(conn, ["org", "display", "--target-org", alias, "--json"])
    token = _run_sf(conn, ["org", "auth", "show-access-token", "--target-org", alias, "--json"])
    instance_url = str(shown.get("instanceUrl") or "")
    access_token = str(token.get("accessToken") or "")
    if not instance_url or not access_token:
        raise ProviderError(f"`sf` returned no instance URL or access token for {alias!r}", org=conn.name)
    return Credentials(instance_url, access_token, str(shown.get("apiVersion") or conn.api_version))


def _run_sf(conn: OrgConnection, args: list[str]) -> dict[str, Any]:
    """Run ``sf`` with ``--json`` and return its ``result``; its JSON error becomes a ProviderError."""
    executable = shutil.which("sf")
    if executable is None:
        raise ProviderError(
            "the Salesforce CLI `sf` is not installed or not on PATH (needed for sf_alias)", org=conn.name
        )
    proc = subprocess.run([executable, *args], capture_output=True, text=True, timeout=120, check=False)
    payload = _json_object(proc.stdout) or _json_object(proc.stderr)
    if proc.returncode != 0 or payload.get("status", 0) != 0 or not isinstance(payload.get("result"), dict):
        name = str(payload.get("name") or "SfCliError")
        message = str(payload.get("message") or f"`sf {args[0]} {args[1]}` failed (exit {proc.returncode})")
        raise ProviderError(f"sf alias {conn.sf_alias!r}: {message}", org=conn.name, code=name)
    result: dict[str, Any] = payload["result"]
    return result


def _json_object(text: str) -> dict[str, Any]:
    """``sf --json`` prints one JSON object (errors go to stdout or, in newer versions, stderr)."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}
