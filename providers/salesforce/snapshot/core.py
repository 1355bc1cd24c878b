"""The core part of a snapshot: what no resource kind owns (see ``snapshot/__init__.py``).

Calls (a fixed number, whatever the size of the org; SOQL pages may add calls):
- ``SELECT Name, IsSandbox, OrganizationType FROM Organization``;
- ``SELECT Id, Name, UserType, Description FROM Profile`` and the profiles' Metadata API full names from
  ``listMetadata(Profile)`` (shared with the layouts, one call for both);
- ``SELECT Username, FirstName, LastName, Alias, IsActive, Profile.Name FROM User``: no email, no
  password, nothing else of the user;
- ``SELECT Name, NamespacePrefix, Label, Description, Type FROM PermissionSet WHERE IsOwnedByProfile =
  false`` (a group's aggregate set, ``Type = 'Group'``, is left out: the emulator makes it) and
  ``SELECT DeveloperName, NamespacePrefix, MasterLabel, Description FROM PermissionSetGroup``;
- ``SELECT DeveloperName, NamespacePrefix, SobjectType, Name, IsActive, Description FROM RecordType``,
  the layouts from ``listMetadata(Layout)`` (their ``ns__`` put back), and the labels of the objects met,
  from Tooling ``EntityDefinition`` (one query per 200 names or so, as a request URI allows).
"""

from __future__ import annotations

from typing import Any

from providers.salesforce.kinds.base import SeedPart
from providers.salesforce.names import decode_component, join_namespace, same_id
from providers.salesforce.provider import SalesforceProvider
from providers.salesforce.soql import in_chunks

ORGANIZATION = "SELECT Name, IsSandbox, OrganizationType FROM Organization"
PROFILES = "SELECT Id, Name, UserType, Description FROM Profile"
USERS = "SELECT Username, FirstName, LastName, Alias, IsActive, Profile.Name FROM User"
SETS = "SELECT Name, NamespacePrefix, Label, Description, Type FROM PermissionSet WHERE IsOwnedByProfile = false"
GROUPS = "SELECT DeveloperName, NamespacePrefix, MasterLabel, Description FROM PermissionSetGroup"
RECORD_TYPES = "SELECT DeveloperName, NamespacePrefix, SobjectType, Name, IsActive, Description FROM RecordType"
OBJECT_LABELS = "SELECT QualifiedApiName, Label, PluralLabel FROM EntityDefinition WHERE QualifiedApiName IN "


def core_part(provider: SalesforceProvider) -> SeedPart:
    """The organization, profiles, users, permission sets, groups and objects of the org."""
    transport = provider.transport
    org = (transport.query_all(ORGANIZATION) or [{}])[0]
    organization: dict[str, Any] = {"name": org.get("Name") or provider.org, "is_sandbox": bool(org.get("IsSandbox"))}
    if org.get("OrganizationType"):
        organization["organization_type"] = org["OrganizationType"]
    part: dict[str, Any] = {"organization": organization}
    part["profiles"] = _profiles(provider, transport.query_all(PROFILES))
    part["users"] = [_user(r) for r in transport.query_all(USERS) if (r.get("Profile") or {}).get("Name")]
    part["permission_sets"] = [_set(r) for r in transport.query_all(SETS) if r.get("Type") != "Group"]
    part["permission_set_groups"] = [_group(r) for r in transport.query_all(GROUPS)]
    part["objects"] = _objects(provider)
    return part


def _profiles(provider: SalesforceProvider, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    listed = provider.context.schema.listed("Profile")
    entries = []
    for record in records:
        entry: dict[str, Any] = {"name": record["Name"]}
        full_name = next((name for item_id, name in listed if item_id and same_id(item_id, record["Id"])), None)
        if full_name:
            entry["full_name"] = decode_component(full_name)
        if record.get("UserType") and record["UserType"] != "Standard":
            entry["user_type"] = record["UserType"]
        if record.get("Description"):
            entry["description"] = record["Description"]
        entries.append(entry)
    return sorted(entries, key=lambda e: str(e["name"]).casefold())


def _user(record: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"username": record["Username"], "profile": record["Profile"]["Name"]}
    for key, column in (("first_name", "FirstName"), ("last_name", "LastName"), ("alias", "Alias")):
        if record.get(column):
            entry[key] = record[column]
    if record.get("IsActive") is False:
        entry["active"] = False
    return entry


def _set(record: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": join_namespace(record.get("NamespacePrefix"), str(record["Name"]))}
    if record.get("Label") and record["Label"] != record["Name"]:
        entry["label"] = record["Label"]
    if record.get("Description"):
        entry["description"] = record["Description"]
    return entry


def _group(record: dict[str, Any]) -> dict[str, Any]:
    name = join_namespace(record.get("NamespacePrefix"), str(record["DeveloperName"]))
    entry: dict[str, Any] = {"developer_name": name}
    if record.get("MasterLabel") and record["MasterLabel"] != record["DeveloperName"]:
        entry["label"] = record["MasterLabel"]
    if record.get("Description"):
        entry["description"] = record["Description"]
    return entry


def _objects(provider: SalesforceProvider) -> list[dict[str, Any]]:
    objects: dict[str, dict[str, Any]] = {}
    for record in provider.transport.query_all(RECORD_TYPES):
        entry: dict[str, Any] = {
            "developer_name": join_namespace(record.get("NamespacePrefix"), str(record["DeveloperName"]))
        }
        if record.get("Name") and record["Name"] != record["DeveloperName"]:
            entry["label"] = record["Name"]
        if record.get("IsActive") is False:
            entry["active"] = False
        if record.get("Description"):
            entry["description"] = record["Description"]
        obj = objects.setdefault(str(record["SobjectType"]), {"name": record["SobjectType"]})
        obj.setdefault("record_types", []).append(entry)
    for _, full_name in provider.context.schema.listed("Layout"):
        object_name, _, encoded = full_name.partition("-")
        obj = objects.setdefault(object_name, {"name": object_name})
        obj.setdefault("layouts", []).append(decode_component(encoded))
    names = sorted(objects)
    for query in in_chunks(names, lambda values: OBJECT_LABELS + values):
        for record in provider.transport.query_all(query, tooling=True):
            named = objects.get(str(record["QualifiedApiName"]))
            if named is not None and record.get("Label"):
                named["label"] = record["Label"]
                if record.get("PluralLabel"):
                    named["plural_label"] = record["PluralLabel"]
    return [objects[name] for name in names]
