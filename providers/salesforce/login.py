"""Where an org's session comes from: ``open_session`` picks the source its settings name and logs in.

Sources, first match wins:

- ``credentials`` handed to ``open_session``: a session issued elsewhere, used as is (also when the org
  asks for a new one). The composition root (``reconcile.workspace``) starts an embedded emulator for an
  ``emulator = "..."`` org and connects with the token it issues, passing ``on_close`` to stop it; this
  package knows nothing of the emulator.
- ``sf_alias``: the Salesforce CLI's login (``providers.salesforce.sf_cli``).
- ``instance_url`` + ``auth_method``: ``access_token`` (``token_env``), ``password`` (``username``,
  ``password_env``, ``security_token_env``: SOAP login), ``jwt`` (``username``, ``client_id_env``,
  ``key_file_env`` or ``key_file``: ``providers.salesforce.jwt_key``), ``client_credentials``
  (``client_id_env``, ``client_secret_env``). Logins go to ``login_url`` (``https://login.salesforce.com``,
  ``https://test.salesforce.com`` or a My Domain).

The contract of every source (see ``providers.salesforce.connection``): whatever fails, from a setting
missing to the server refusing the login, is a ``ProviderError`` for that org whose message names the
setting (``auth.password_env``, ``auth.key_file``, ``login_url``, ``ca_cert``, ``sf_alias``) and says what
to do. simple-salesforce, requests, cryptography and subprocess errors are translated here and never
chained; what a server answers is quoted on one line with every secret that was sent taken out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from xml.parsers.expat import ExpatError

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from providers.salesforce.connection import Authenticator, Credentials, OrgConnection
from providers.salesforce.jwt_key import KeySource, signing_key
from providers.salesforce.login_requests import login_request
from providers.salesforce.session import OrgSession
from providers.salesforce.sf_cli import sf_cli_credentials
from providers.salesforce.transport import redact
from reconcile.errors import ProviderError

AUTH_METHODS = ("access_token", "password", "jwt", "client_credentials")
#: What each environment variable must hold, for "set it to ..." in messages.
_HOLDS = {
    "token_env": "an access token (session id) for this org",
    "password_env": "the password of auth.username",
    "security_token_env": "the security token of auth.username",
    "client_id_env": "the connected app's consumer key",
    "client_secret_env": "the connected app's consumer secret",
    "key_file_env": "the path of the connected app's private key file (PEM)",
}
_QUOTE_LIMIT = 200


def open_session(
    conn: OrgConnection,
    *,
    credentials: Credentials | None = None,
    on_close: Callable[[], None] | None = None,
) -> OrgSession:
    """Authenticate to the org ``conn`` names (see the module docstring for the sources). ``on_close``
    runs once when the session closes."""
    verify = _trust(conn)
    if credentials is not None:
        issued = credentials
        return OrgSession(conn, lambda _http: issued, verify, on_close=on_close)
    if conn.sf_alias:
        return OrgSession(conn, lambda _http: sf_cli_credentials(conn), verify, on_close=on_close)
    if not conn.instance_url and conn.auth_method not in ("password", "jwt", "client_credentials"):
        raise ProviderError("no way to connect: give emulator, sf_alias, or instance_url with auth", org=conn.name)
    return OrgSession(conn, _direct_authenticator(conn), verify, on_close=on_close)


def _trust(conn: OrgConnection) -> str | bool:
    """What the HTTPS sessions trust: ``ca_cert`` when given (it must exist), else requests' defaults."""
    if conn.ca_cert is None:
        return True
    if not conn.ca_cert.is_file():
        raise ProviderError(
            f"ca_cert: the CA bundle {conn.ca_cert} does not exist; fix the path (relative to the "
            "configuration directory) or remove ca_cert to trust requests' defaults",
            org=conn.name,
        )
    return str(conn.ca_cert)


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
    key = _key_source(conn) if method == "jwt" else None

    def authenticate(http: requests.Session) -> Credentials:
        arguments = {**login, "privatekey": signing_key(conn.name, key)} if key is not None else login
        session_id, instance = _salesforce_login(conn, method, http, arguments)
        return Credentials(f"https://{instance}", session_id, conn.api_version)

    return authenticate


def _salesforce_login(
    conn: OrgConnection, method: str, http: requests.Session, arguments: dict[str, Any]
) -> tuple[str, str]:
    """The login at ``login_url`` (``login_requests``), its failures translated (see the module docstring)."""
    secrets = [str(value) for name, value in arguments.items() if name not in ("username", "privatekey")]
    try:
        session_id, instance = login_request(http, conn.login_url, conn.api_version, method, arguments)
    except SalesforceAuthenticationFailed as exc:
        raise _refused(conn, method, exc, secrets) from None
    except requests.exceptions.SSLError:
        raise ProviderError(
            f"login failed: the TLS certificate of {conn.login_url} is not trusted; set ca_cert "
            "on the org, or REQUESTS_CA_BUNDLE, to a bundle holding its CA (a proxy that "
            "re-signs TLS has its own)",
            org=conn.name,
            code="TLS_ERROR",
        ) from None
    except requests.RequestException as exc:
        raise ProviderError(
            f"login failed: cannot reach {conn.login_url} ({type(exc).__name__}); check the "
            "network, the proxy settings (HTTPS_PROXY) and login_url",
            org=conn.name,
        ) from None
    except (ExpatError, AttributeError):  # a 200 answer without a session: not a Salesforce login
        raise _not_a_login_answer(conn, "") from None
    return str(session_id), str(instance)


def _refused(
    conn: OrgConnection, method: str, exc: SalesforceAuthenticationFailed, secrets: Iterable[str]
) -> ProviderError:
    """The server answered the login with an error: quote it and say which settings to check. An answer
    simple-salesforce could not read (its code is then the HTTP status, or UNKNOWN_EXCEPTION_CODE) means
    ``login_url`` is not a Salesforce login endpoint."""
    if isinstance(exc.code, int) or exc.code == "UNKNOWN_EXCEPTION_CODE":
        return _not_a_login_answer(conn, f" (HTTP {exc.code})" if isinstance(exc.code, int) else "")
    said = _quote(exc.auth_message, secrets)
    return ProviderError(
        f"login failed: {conn.login_url} refused the {method} login ({said}); {_what_to_check(conn, method)}",
        org=conn.name,
        code=str(exc.code or "LOGIN_REFUSED"),
    )


def _not_a_login_answer(conn: OrgConnection, status: str) -> ProviderError:
    return ProviderError(
        f"login failed: {conn.login_url} answered{status} with something that is not a Salesforce "
        "login response; check login_url (and any proxy in between)",
        org=conn.name,
    )


def _what_to_check(conn: OrgConnection, method: str) -> str:
    """What to check when the server refused a login of ``method``: the settings it used."""
    sandbox = 'login_url (a sandbox logs in at "https://test.salesforce.com")'
    if method == "password":
        token = conn.auth.get("security_token_env")
        token_hint = (
            f"the security token in {token} (auth.security_token_env; a password reset issues a new one)"
            if token
            else "whether the org wants a security token (logins from outside its trusted "
            "IP ranges): name its variable with auth.security_token_env"
        )
        return (
            f"check auth.username ({conn.auth.get('username')}), the password in "
            f"{conn.auth.get('password_env')} (auth.password_env), {token_hint}, and {sandbox}"
        )
    if method == "jwt":
        key = conn.auth.get("key_file_env") or conn.auth.get("key_file")
        setting = "auth.key_file_env" if conn.auth.get("key_file_env") else "auth.key_file"
        return (
            f"check auth.username ({conn.auth.get('username')}), the consumer key in "
            f"{conn.auth.get('client_id_env')} (auth.client_id_env), that the connected app's certificate "
            f"matches the private key in {key} ({setting}), that the user is pre-authorized on the app, "
            f"and {sandbox}"
        )
    return (
        f"check the consumer key and secret in {conn.auth.get('client_id_env')} and "
        f"{conn.auth.get('client_secret_env')} (auth.client_id_env, auth.client_secret_env), that the "
        "connected app enables the client credentials flow with a run-as user, and that login_url is the "
        "org's My Domain"
    )


def _quote(text: str, secrets: Iterable[str]) -> str:
    """What a server said, on one line, at most ``_QUOTE_LIMIT`` characters, without ``secrets``."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "no reason given")
    line = redact(line, [secret for secret in secrets if secret])
    return line if len(line) <= _QUOTE_LIMIT else line[: _QUOTE_LIMIT - 1] + "…"


def _env(conn: OrgConnection, key: str, *, required: bool = True, may_be_empty: bool = False) -> str | None:
    """The value of the environment variable that ``conn.auth[key]`` names."""
    var = conn.auth.get(key)
    if not var:
        if required:
            raise _needs(conn, key)
        return None
    value = os.environ.get(var)
    if value is None or (not value.strip() and not may_be_empty):
        state = "is not set" if value is None else "is empty"
        raise ProviderError(
            f"auth.{key}: environment variable {var} {state}; set it to {_HOLDS[key]} in the "
            "shell or the CI job that runs reconcile",
            org=conn.name,
        )
    return value


def _needs(conn: OrgConnection, key: str) -> ProviderError:
    return ProviderError(f"auth method {conn.auth_method!r} needs `{key}`; add auth.{key} to the org", org=conn.name)


def _login_domain(conn: OrgConnection) -> str:
    """``https://test.salesforce.com`` -> ``test``; ``https://acme.my.salesforce.com`` -> ``acme.my``."""
    host = urlparse(conn.login_url).hostname or "login.salesforce.com"
    return host.removesuffix(".salesforce.com")


def _login_arguments(conn: OrgConnection, method: str) -> dict[str, Any]:
    """``login_requests.login_request`` arguments; env vars are read here, once (the JWT key
    file is read at each login)."""
    if method == "password":
        return {
            "username": _required(conn, "username"),
            "password": _env(conn, "password_env"),
            "security_token": _env(conn, "security_token_env", required=False, may_be_empty=True) or "",
        }
    if method == "jwt":
        return {"username": _required(conn, "username"), "consumer_key": _env(conn, "client_id_env")}
    arguments = {"consumer_key": _env(conn, "client_id_env"), "consumer_secret": _env(conn, "client_secret_env")}
    if _login_domain(conn) in ("login", "test"):
        raise ProviderError(
            f"login_url: the client credentials flow logs in only at the org's My Domain, not at "
            f"{conn.login_url}; set login_url to the My Domain URL, e.g. "
            '"https://acme.my.salesforce.com"',
            org=conn.name,
        )
    return arguments


def _key_source(conn: OrgConnection) -> KeySource:
    """Where the JWT key file is: the path in ``key_file_env``'s variable, else ``key_file``."""
    variable = conn.auth.get("key_file_env")
    if variable:
        value = (_env(conn, "key_file_env") or "").strip()
        if "-----BEGIN" in value or "\n" in value:
            raise ProviderError(
                f"auth.key_file_env: environment variable {variable} holds a key, not the path of a "
                f"key file; write the key to a file readable only by you and set {variable} to "
                "its path",
                org=conn.name,
            )
        return KeySource(Path(value), "auth.key_file_env", variable)
    key_file = conn.auth.get("key_file")
    if not key_file:
        raise ProviderError(
            "auth method 'jwt' needs `key_file_env` or `key_file`; add one of them to auth", org=conn.name
        )
    return KeySource(Path(key_file), "auth.key_file")


def _required(conn: OrgConnection, key: str) -> str:
    value = conn.auth.get(key)
    if not value:
        raise _needs(conn, key)
    return value
