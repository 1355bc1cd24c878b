"""Remote sites and named credentials in an org: the ``remote_sites`` and ``named_credentials`` sections
of an org document and the records made from them.

Seed sections::

    "remote_sites": [{"name": "ERP", "url": "https://erp.example.com", "active": true,
                      "disable_protocol_security": false, "description": "optional"}]
    "named_credentials": [{"name": "ERP", "label": "ERP", "endpoint": "https://erp.example.com/api",
                           "protocol": "Password", "principal_type": "NamedUser",
                           "username": "svc-erp", "password": "the secret"}]

A remote site's ``active`` defaults to true, ``disable_protocol_security`` to false. A named credential's
``label`` defaults to its name, ``protocol`` to ``NoAuthentication`` and ``principal_type`` to
``Anonymous``; ``type`` (optional: ``SecuredEndpoint`` for a credential of the newer kind, whose URL is
not an ``endpoint``) is its ``namedCredentialType``. Names are unique per section (``SeedError``
otherwise). A named credential's secrets (``password``, ``oauth_token``, ``oauth_refresh_token``,
``aws_access_secret``) are stored as the org stores them: the Metadata API accepts them on write and
never returns them on read (see ``metadata/endpoints.py``), so they exist to prove that nothing reads
them back.

Stored records live in private tables (no sObject is offered to SOQL: the emulator serves these types
through the Metadata API only): ``_RemoteSiteSetting`` ``{FullName, Url, IsActive,
DisableProtocolSecurity, Description}`` and ``_NamedCredential`` ``{FullName, Label, Endpoint, Protocol,
PrincipalType, Username, Type, Secrets}`` (``Secrets``: element name -> value, in Metadata API spelling).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import OrgData, Record, SeedError
from .sections import SeedSection, entry, flag, listing, text

REMOTE_SITES = "remote_sites"
NAMED_CREDENTIALS = "named_credentials"
REMOTE_SITE_TABLE = "_RemoteSiteSetting"
NAMED_CREDENTIAL_TABLE = "_NamedCredential"

#: Seed key -> Metadata API element of a named credential's write-only secrets.
SECRETS = {
    "password": "password",
    "oauth_token": "oauthToken",
    "oauth_refresh_token": "oauthRefreshToken",
    "aws_access_secret": "awsAccessSecret",
}

REMOTE_SITES_SECTION = SeedSection(
    REMOTE_SITES,
    "Remote site settings (`remote_site:NAME` in the configuration), served through the Metadata API "
    "`RemoteSiteSetting` type only.",
    listing(
        "The remote sites.",
        entry(
            "A remote site.",
            ("name",),
            name=text("Its name, unique."),
            url=text("Its URL."),
            active=flag("Whether it is active.", default=True),
            disable_protocol_security=flag("Whether HTTPS may redirect to HTTP.", default=False),
            description=text("A description."),
            id=text("", live=True),
        ),
    ),
)
NAMED_CREDENTIALS_SECTION = SeedSection(
    NAMED_CREDENTIALS,
    "Named credentials (`named_credential:NAME` in the configuration), served through the Metadata API "
    "`NamedCredential` type only. Secrets are accepted and never read back, as in a real org; they exist "
    "to prove that nothing reads them.",
    listing(
        "The named credentials.",
        entry(
            "A named credential.",
            ("name",),
            name=text("Its name, unique."),
            label=text("Its label; the name when left out."),
            endpoint=text("Its endpoint URL."),
            protocol=text("`protocol`.", default="NoAuthentication"),
            principal_type=text("`principalType`.", default="Anonymous"),
            username=text("The named principal's username."),
            type=text("`namedCredentialType` (`SecuredEndpoint` for one of the newer kind, without an endpoint)."),
            password=text("A write-only secret."),
            oauth_token=text("A write-only secret."),
            oauth_refresh_token=text("A write-only secret."),
            aws_access_secret=text("A write-only secret."),
            id=text("", live=True),
        ),
    ),
)


def load(data: OrgData, document: Mapping[str, Any], mint: Callable[[str, str, Any], str]) -> None:
    """Add a record for each remote site and named credential of the document."""
    data.tables.setdefault(REMOTE_SITE_TABLE, {})
    data.tables.setdefault(NAMED_CREDENTIAL_TABLE, {})
    for spec in document.get(REMOTE_SITES, []):
        name = _unique(data, REMOTE_SITE_TABLE, spec, "remote site")
        record: Record = {
            "Id": mint(REMOTE_SITE_TABLE, name, spec.get("id")),
            "FullName": name,
            "Url": str(spec.get("url") or ""),
            "IsActive": bool(spec.get("active", True)),
            "DisableProtocolSecurity": bool(spec.get("disable_protocol_security", False)),
            "Description": spec.get("description"),
        }
        data.add(REMOTE_SITE_TABLE, record)
    for spec in document.get(NAMED_CREDENTIALS, []):
        name = _unique(data, NAMED_CREDENTIAL_TABLE, spec, "named credential")
        credential: Record = {
            "Id": mint(NAMED_CREDENTIAL_TABLE, name, spec.get("id")),
            "FullName": name,
            "Label": str(spec.get("label") or name),
            "Endpoint": spec.get("endpoint"),
            "Protocol": str(spec.get("protocol") or "NoAuthentication"),
            "PrincipalType": str(spec.get("principal_type") or "Anonymous"),
            "Username": spec.get("username"),
            "Type": spec.get("type"),
            "Secrets": {element: str(spec[key]) for key, element in SECRETS.items() if spec.get(key)},
        }
        data.add(NAMED_CREDENTIAL_TABLE, credential)


def _unique(data: OrgData, table: str, spec: Mapping[str, Any], what: str) -> str:
    name = str(spec.get("name") or "")
    if not name:
        raise SeedError(f"a {what} needs a name")
    if any(str(row["FullName"]).casefold() == name.casefold() for row in data.tables[table].values()):
        raise SeedError(f"{what} {name}: the name is used twice")
    return name


def to_document(tables: Mapping[str, Mapping[str, Record]]) -> dict[str, Any]:
    """The ``remote_sites`` and ``named_credentials`` sections of a live org document (ids kept); empty
    sections are left out, so documents of orgs without them keep their shape."""
    sites = [
        {
            "id": row["Id"],
            "name": row["FullName"],
            "url": row["Url"],
            "active": row["IsActive"],
            "disable_protocol_security": row["DisableProtocolSecurity"],
            **({"description": row["Description"]} if row.get("Description") is not None else {}),
        }
        for row in tables.get(REMOTE_SITE_TABLE, {}).values()
    ]
    credentials = [_credential(row) for row in tables.get(NAMED_CREDENTIAL_TABLE, {}).values()]
    section: dict[str, Any] = {}
    if sites:
        section[REMOTE_SITES] = sites
    if credentials:
        section[NAMED_CREDENTIALS] = credentials
    return section


def _credential(row: Record) -> Record:
    entry: Record = {
        "id": row["Id"],
        "name": row["FullName"],
        "label": row["Label"],
        "endpoint": row["Endpoint"],
        "protocol": row["Protocol"],
        "principal_type": row["PrincipalType"],
    }
    if row.get("Username") is not None:
        entry["username"] = row["Username"]
    if row.get("Type") is not None:
        entry["type"] = row["Type"]
    secrets = row.get("Secrets") or {}
    entry.update({key: secrets[element] for key, element in SECRETS.items() if element in secrets})
    return entry
