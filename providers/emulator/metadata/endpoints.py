"""Metadata API ``RemoteSiteSetting`` and ``NamedCredential``: read, save, delete and list one component.

Contract:

- ``TYPES``: the two type names; ``find(store, type, fullName)`` the stored row (fullName compared
  case-insensitively) or None.
- ``render(type, row)``: the inner XML of readMetadata's ``records``, elements in WSDL order. A named
  credential's secrets (``password``, ``oauthToken``, ``oauthRefreshToken``, ``awsAccessSecret``) are
  never rendered: the Metadata API does not return them.
- ``save(store, type, parsed, upsert=...)``: update replaces the component of an existing name (an
  unknown name fails with ``INVALID_CROSS_REFERENCE_KEY``, as for the other types); upsert also creates
  it. A remote site needs ``url``, ``isActive`` and ``disableProtocolSecurity`` (WSDL minOccurs 1), a
  named credential ``label``: a missing one fails with ``REQUIRED_FIELD_MISSING``. A URL that is not
  ``http(s)://host...`` fails with ``FIELD_INTEGRITY_EXCEPTION`` (the real wording is not public). A
  named credential's secret left out of the component keeps its stored value (a component read back has
  none, so writing it back must not erase them; that a real org does the same is UNCONFIRMED). Returns
  ``(created, errors)``; it never commits: the caller commits once per request.
- ``delete(store, type, fullName)``: the errors of deleting one component (empty on success; an unknown
  name fails with ``INVALID_CROSS_REFERENCE_KEY``).
- ``listed(store, type)``: ``(fullName, fileName, row)`` of every component, sorted by fullName.
"""

from __future__ import annotations

import re
from typing import Any

from ..org import endpoints
from ..org.store import Store
from ..soap.xml import text_el
from .types import Parsed, as_bool, first

Row = dict[str, Any]
ComponentErrorSpec = tuple[str, str]  # statusCode, message

REMOTE_SITE = "RemoteSiteSetting"
NAMED_CREDENTIAL = "NamedCredential"
TYPES = (REMOTE_SITE, NAMED_CREDENTIAL)
_TABLES = {REMOTE_SITE: endpoints.REMOTE_SITE_TABLE, NAMED_CREDENTIAL: endpoints.NAMED_CREDENTIAL_TABLE}
_FILES = {REMOTE_SITE: ("remoteSiteSettings", "remoteSite"), NAMED_CREDENTIAL: ("namedCredentials", "namedCredential")}
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: Named credential elements the emulator stores and returns (secrets apart), WSDL order -> column.
_CREDENTIAL_COLUMNS = (
    ("endpoint", "Endpoint"),
    ("label", "Label"),
    ("namedCredentialType", "Type"),
    ("principalType", "PrincipalType"),
    ("protocol", "Protocol"),
    ("username", "Username"),
)


def files(type_name: str) -> tuple[str, str]:
    """(directoryName, suffix) of a type, as describeMetadata reports them."""
    return _FILES[type_name]


def find(store: Store, type_name: str, full_name: str) -> Row | None:
    wanted = full_name.casefold()
    rows = store.table(_TABLES[type_name]).values()
    return next((row for row in rows if str(row["FullName"]).casefold() == wanted), None)


def listed(store: Store, type_name: str) -> list[tuple[str, str, Row]]:
    directory, suffix = _FILES[type_name]
    rows = store.table(_TABLES[type_name]).values()
    named = [(str(r["FullName"]), f"{directory}/{r['FullName']}.{suffix}", r) for r in rows]
    return sorted(named, key=lambda item: item[0])


def render(type_name: str, row: Row) -> str:
    if type_name == REMOTE_SITE:
        return (
            text_el("fullName", row["FullName"])
            + text_el("description", row.get("Description"))
            + text_el("disableProtocolSecurity", bool(row["DisableProtocolSecurity"]))
            + text_el("isActive", bool(row["IsActive"]))
            + text_el("url", row["Url"])
        )
    return text_el("fullName", row["FullName"]) + "".join(
        text_el(element, row.get(column)) for element, column in _CREDENTIAL_COLUMNS
    )


def save(store: Store, type_name: str, parsed: Parsed, *, upsert: bool) -> tuple[bool, list[ComponentErrorSpec]]:
    """Write one component; (created, errors)."""
    full_name = str(first(parsed, "fullName") or "")
    row = find(store, type_name, full_name)
    if row is None and not upsert:
        return False, [("INVALID_CROSS_REFERENCE_KEY", f"In field: fullName - no {type_name} named {full_name} found")]
    if row is None and not _NAME.match(full_name):
        message = f"{full_name!r}: a name begins with a letter and uses only letters, digits and _"
        return False, [("INVALID_NAME", message)]
    errors = _problems(type_name, parsed)
    if errors:
        return False, errors
    columns = _remote_site(parsed) if type_name == REMOTE_SITE else _credential(parsed, row)
    if row is None:
        store.insert(_TABLES[type_name], {"FullName": full_name, **columns})
        return True, []
    store.update(_TABLES[type_name], str(row["Id"]), columns)
    return False, []


def _problems(type_name: str, parsed: Parsed) -> list[ComponentErrorSpec]:
    required = ("disableProtocolSecurity", "isActive", "url") if type_name == REMOTE_SITE else ("label",)
    missing = [key for key in required if first(parsed, key) in (None, "")]
    if missing:
        return [("REQUIRED_FIELD_MISSING", f"Required field is missing: {key}") for key in missing]
    url_key = "url" if type_name == REMOTE_SITE else "endpoint"
    url = first(parsed, url_key)
    if url not in (None, "") and not _URL.match(str(url)):
        return [("FIELD_INTEGRITY_EXCEPTION", f"{url_key}: {url} is not a valid URL (https://host/...)")]
    return []


def _remote_site(parsed: Parsed) -> Row:
    return {
        "Url": str(first(parsed, "url")),
        "IsActive": as_bool(first(parsed, "isActive")),
        "DisableProtocolSecurity": as_bool(first(parsed, "disableProtocolSecurity")),
        "Description": first(parsed, "description"),
    }


def _credential(parsed: Parsed, row: Row | None) -> Row:
    columns: Row = {column: first(parsed, element) for element, column in _CREDENTIAL_COLUMNS}
    columns["Protocol"] = columns["Protocol"] or "NoAuthentication"
    columns["PrincipalType"] = columns["PrincipalType"] or "Anonymous"
    secrets = dict((row or {}).get("Secrets") or {})
    for element in endpoints.SECRETS.values():
        value = first(parsed, element)
        if value not in (None, ""):
            secrets[element] = str(value)
    columns["Secrets"] = secrets
    return columns


def delete(store: Store, type_name: str, full_name: str) -> list[ComponentErrorSpec]:
    row = find(store, type_name, full_name)
    if row is None:
        return [("INVALID_CROSS_REFERENCE_KEY", f"In field: fullName - no {type_name} named {full_name} found")]
    store.delete(_TABLES[type_name], str(row["Id"]))
    return []
