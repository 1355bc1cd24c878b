"""How clients may log in to an emulated org: the ``connected_apps`` and ``user_logins`` sections of an
org document, kept as the private tables ``_ConnectedApp`` and ``_UserLogin``.

Seed sections::

    "connected_apps": [{
        "name": "reconcile_ci",                      # unique
        "consumer_key": "3MVG9-ci-key",              # the OAuth client_id, unique
        "consumer_secret": "ci-secret",              # optional: client_secret of password /
                                                     #   client_credentials / refresh_token grants
        "certificate": "-----BEGIN CERTIFICATE-----\\n...",  # optional: PEM X.509 certificate whose
                                                     #   RSA key verifies JWT bearer assertions
        "pre_authorized": ["deploy@acme.com"],       # usernames allowed through the JWT bearer grant
        "run_as": "deploy@acme.com",                 # optional: enables client_credentials as that user
        "refresh_tokens": [{"token": "5Aep...", "username": "deploy@acme.com"}]  # optional, issued earlier
    }]
    "user_logins": [{"username": "deploy@acme.com", "password": "Pw-1", "security_token": "tok"}]

``user_logins`` gives a user a password (and a security token, appended to the password in a SOAP login
as Salesforce expects from outside trusted IP ranges; leave it out for none). A user without an entry
cannot log in with a password. Every username must be a seed user and a certificate must be a readable
PEM certificate; otherwise ``SeedError``. The live org file writes both sections back unchanged (they
are left out when empty, so documents of orgs without them keep their shape). Secrets here are test
fixtures of an emulated org, never real credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509

from .data import OrgData, Record, SeedError
from .sections import SeedSection, entry, listing, text

APPS_SECTION = "connected_apps"
LOGINS_SECTION = "user_logins"
APPS_TABLE = "_ConnectedApp"
LOGINS_TABLE = "_UserLogin"

APPS_SEED_SECTION = SeedSection(
    APPS_SECTION,
    "Connected apps clients log in through (OAuth 2.0 token endpoint): the JWT bearer, password, "
    "refresh token and client credentials grants. Test fixtures of an emulated org, never real secrets.",
    listing(
        "The connected apps.",
        entry(
            "A connected app.",
            ("name", "consumer_key"),
            name=text("Its name, unique."),
            consumer_key=text("The OAuth `client_id`, unique."),
            consumer_secret=text("The `client_secret` of the password, client credentials and refresh token grants."),
            certificate=text("A PEM X.509 certificate whose RSA key verifies JWT bearer assertions."),
            pre_authorized=listing("Usernames allowed through the JWT bearer grant.", text("A seed user's username.")),
            run_as=text("The user the client credentials grant runs as (enables that grant)."),
            refresh_tokens=listing(
                "Refresh tokens issued earlier.",
                entry(
                    "A refresh token.",
                    ("token", "username"),
                    token=text("The token."),
                    username=text("The user it was issued to."),
                ),
            ),
        ),
    ),
)
LOGINS_SEED_SECTION = SeedSection(
    LOGINS_SECTION,
    "Passwords (and security tokens) for the password grant and the SOAP `login` call. A user without "
    "an entry cannot log in with a password.",
    listing(
        "The user logins.",
        entry(
            "A user's password.",
            ("username", "password"),
            username=text("A seed user's username."),
            password=text("The password."),
            security_token=text("Appended to the password in a SOAP login; leave it out for none."),
        ),
    ),
)


def load(data: OrgData, document: Mapping[str, Any], usernames: Mapping[str, str]) -> None:
    """Add the connected apps and user logins of ``document``; ``usernames`` maps lower-case username to
    user id."""
    apps: dict[str, Record] = {}
    for spec in document.get(APPS_SECTION, []):
        app = _app(spec, usernames)
        key = app["ConsumerKey"]
        if key in apps or any(other["Name"].lower() == app["Name"].lower() for other in apps.values()):
            raise SeedError(f"connected app {app['Name']}: the name or consumer_key is used twice")
        apps[key] = app
    data.tables[APPS_TABLE] = apps
    logins: dict[str, Record] = {}
    for spec in document.get(LOGINS_SECTION, []):
        username = _user(spec.get("username"), usernames, "user_logins")
        logins[username.lower()] = {
            "Id": username.lower(),
            "Username": username,
            "Password": str(spec.get("password") or ""),
            "SecurityToken": str(spec.get("security_token") or ""),
        }
    data.tables[LOGINS_TABLE] = logins


def _app(spec: Mapping[str, Any], usernames: Mapping[str, str]) -> Record:
    name = str(spec.get("name") or "")
    key = str(spec.get("consumer_key") or "")
    if not name or not key:
        raise SeedError(f"a connected app needs a name and a consumer_key: {dict(spec)!r}")
    certificate = spec.get("certificate")
    if certificate:
        try:
            x509.load_pem_x509_certificate(str(certificate).encode("ascii"))
        except ValueError as exc:
            raise SeedError(f"connected app {name}: certificate is not a PEM certificate ({exc})") from None
    run_as = spec.get("run_as")
    return {
        "Id": key,
        "Name": name,
        "ConsumerKey": key,
        "ConsumerSecret": spec.get("consumer_secret"),
        "Certificate": certificate,
        "PreAuthorized": [_user(u, usernames, f"connected app {name}") for u in spec.get("pre_authorized", [])],
        "RunAs": _user(run_as, usernames, f"connected app {name}") if run_as else None,
        "RefreshTokens": [
            {"token": str(t["token"]), "username": _user(t.get("username"), usernames, f"connected app {name}")}
            for t in spec.get("refresh_tokens", [])
        ],
    }


def _user(username: Any, usernames: Mapping[str, str], where: str) -> str:
    if not username or str(username).lower() not in usernames:
        raise SeedError(f"{where}: unknown user {username!r}")
    return str(username)


def to_document(tables: Mapping[str, Mapping[str, Record]]) -> dict[str, Any]:
    """The ``connected_apps`` and ``user_logins`` sections of a live org document (empty ones left out)."""
    apps = [
        {
            "name": app["Name"],
            "consumer_key": app["ConsumerKey"],
            "consumer_secret": app["ConsumerSecret"],
            "certificate": app["Certificate"],
            "pre_authorized": list(app["PreAuthorized"]),
            "run_as": app["RunAs"],
            "refresh_tokens": list(app["RefreshTokens"]),
        }
        for app in tables.get(APPS_TABLE, {}).values()
    ]
    logins = [
        {"username": row["Username"], "password": row["Password"], "security_token": row["SecurityToken"]}
        for row in tables.get(LOGINS_TABLE, {}).values()
    ]
    section: dict[str, Any] = {}
    if apps:
        section[APPS_SECTION] = apps
    if logins:
        section[LOGINS_SECTION] = logins
    return section


def find_app(tables: Mapping[str, Mapping[str, Record]], consumer_key: str) -> Record | None:
    """The connected app whose consumer key is ``consumer_key`` (exact match), or None."""
    return tables.get(APPS_TABLE, {}).get(consumer_key)


def find_login(tables: Mapping[str, Mapping[str, Record]], username: str) -> Record | None:
    """The password entry of ``username`` (case-insensitive), or None."""
    return tables.get(LOGINS_TABLE, {}).get(username.lower())


__all__ = [
    "APPS_SECTION",
    "APPS_SEED_SECTION",
    "LOGINS_SECTION",
    "LOGINS_SEED_SECTION",
    "find_app",
    "find_login",
    "load",
    "to_document",
]
