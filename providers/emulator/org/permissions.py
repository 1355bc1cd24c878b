"""Object and field permissions and Apex class access of permission sets, profiles and permission set
groups: the ``object_permissions``, ``field_permissions`` and ``class_accesses`` sections of an org document.

Seed sections (each entry names exactly one holder: ``permission_set``, ``profile`` or
``permission_set_group``; a permission left out is false)::

    "object_permissions": [{"permission_set": "Sales_Ops", "object": "Account",
                            "read": true, "create": false, "edit": true, "delete": false},
                           {"profile": "Sales User", "object": "Account", "read": true}]
    "field_permissions": [{"permission_set": "Sales_Ops", "field": "Account.Tier__c",
                           "read": true, "edit": true}]

Stored as Salesforce stores them, on the holder's PermissionSet (a profile's is its profile-owned set, a
group's its aggregate set): ``ObjectPermissions`` (key prefix ``110``) ``{ParentId, SobjectType,
PermissionsRead, PermissionsCreate, PermissionsEdit, PermissionsDelete, PermissionsViewAllRecords,
PermissionsModifyAllRecords}`` and ``FieldPermissions`` (``01k``) ``{ParentId, SobjectType, Field,
PermissionsRead, PermissionsEdit}``. A group's aggregate set holds only what is declared on it; the
emulator does not recompute it from the group's component sets. An unknown holder raises ``SeedError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import OrgData, Record, SeedError
from .naming import join_namespace, split_namespace
from .sections import SeedSection, entry, flag, listing, text

CLASS_SECTION = "class_accesses"
CLASS_TABLE = "SetupEntityAccess"
OBJECT_SECTION = "object_permissions"
FIELD_SECTION = "field_permissions"
OBJECT_TABLE = "ObjectPermissions"
FIELD_TABLE = "FieldPermissions"
HOLDERS = ("permission_set", "profile", "permission_set_group")
OBJECT_FLAGS = {
    "read": "PermissionsRead",
    "create": "PermissionsCreate",
    "edit": "PermissionsEdit",
    "delete": "PermissionsDelete",
}
FIELD_FLAGS = {"read": "PermissionsRead", "edit": "PermissionsEdit"}

_SET = text("The permission set holding the permission (`ns__Name` when managed).")
_PROFILE = text("The profile holding it (its profile-owned permission set).")
_GROUP = text("The permission set group holding it (its aggregate permission set).")
OBJECT_SEED_SECTION = SeedSection(
    OBJECT_SECTION,
    "Object permissions (`ObjectPermissions`) of permission sets, profiles and permission set groups, "
    "which `access` checks read. Each entry names exactly one holder; a permission left out is false.",
    listing(
        "The object permissions.",
        entry(
            "One holder's permissions on one object.",
            ("object",),
            permission_set=_SET,
            profile=_PROFILE,
            permission_set_group=_GROUP,
            object=text("The object's API name."),
            read=flag("Read access.", default=False),
            create=flag("Create access.", default=False),
            edit=flag("Edit access.", default=False),
            delete=flag("Delete access.", default=False),
            id=text("", live=True),
        ),
    ),
)
CLASS_SEED_SECTION = SeedSection(
    CLASS_SECTION,
    "Apex class access (`SetupEntityAccess` rows of type `ApexClass`) of permission sets, profiles and "
    "permission set groups; a profile's come back as `classAccesses` when the profile is read. Each entry "
    "names exactly one holder.",
    listing(
        "The class accesses.",
        entry(
            "One holder's access to one Apex class.",
            ("class",),
            permission_set=_SET,
            profile=_PROFILE,
            permission_set_group=_GROUP,
            class_=text("The Apex class name."),
            id=text("", live=True),
        ),
    ),
)
FIELD_SEED_SECTION = SeedSection(
    FIELD_SECTION,
    "Field permissions (`FieldPermissions`) of permission sets, profiles and permission set groups, "
    "which `access` checks read. Each entry names exactly one holder; a permission left out is false.",
    listing(
        "The field permissions.",
        entry(
            "One holder's permissions on one field.",
            ("field",),
            permission_set=_SET,
            profile=_PROFILE,
            permission_set_group=_GROUP,
            field=text("The field as `Object.Field__c`."),
            read=flag("Read access.", default=False),
            edit=flag("Edit access.", default=False),
            id=text("", live=True),
        ),
    ),
)


def load(data: OrgData, document: Mapping[str, Any], mint: Callable[[str, str, Any], str]) -> None:
    """Add an ObjectPermissions / FieldPermissions / SetupEntityAccess record for each entry of the three
    sections."""
    data.tables.setdefault(OBJECT_TABLE, {})
    data.tables.setdefault(FIELD_TABLE, {})
    data.tables.setdefault(CLASS_TABLE, {})
    for spec in document.get(CLASS_SECTION, []):
        parent = _holder(data, spec)
        name = str(spec["class"])
        classes = data.tables.get("ApexClass", {}).values()
        known = next((c["Id"] for c in classes if str(c["Name"]).lower() == name.lower()), None)
        access: Record = {"Id": mint(CLASS_TABLE, f"{parent}/{name}", spec.get("id")), "ParentId": parent}
        entity = known or mint("ApexClass", name, None)
        data.add(CLASS_TABLE, access | {"SetupEntityId": entity, "SetupEntityType": "ApexClass", "_class": name})
    for spec in document.get(OBJECT_SECTION, []):
        parent = _holder(data, spec)
        sobject = str(spec["object"])
        record: Record = {"Id": mint(OBJECT_TABLE, f"{parent}/{sobject}", spec.get("id")), "ParentId": parent}
        record |= {"SobjectType": sobject, "PermissionsViewAllRecords": False, "PermissionsModifyAllRecords": False}
        record |= {column: bool(spec.get(key, False)) for key, column in OBJECT_FLAGS.items()}
        data.add(OBJECT_TABLE, record)
    for spec in document.get(FIELD_SECTION, []):
        parent = _holder(data, spec)
        field = str(spec["field"])
        if "." not in field:
            raise SeedError(f"field permission {field!r}: write the field as Object.Field__c")
        record = {"Id": mint(FIELD_TABLE, f"{parent}/{field}", spec.get("id")), "ParentId": parent}
        record |= {"SobjectType": field.split(".", 1)[0], "Field": field}
        record |= {column: bool(spec.get(key, False)) for key, column in FIELD_FLAGS.items()}
        data.add(FIELD_TABLE, record)


def _holder(data: OrgData, spec: Mapping[str, Any]) -> str:
    """The Id of the PermissionSet that holds the entry's permissions."""
    given = [key for key in HOLDERS if key in spec]
    if len(given) != 1:
        raise SeedError(f"a permission entry names exactly one of {', '.join(HOLDERS)}: {dict(spec)}")
    key, name = given[0], str(spec[given[0]])
    sets = data.tables["PermissionSet"].values()
    if key == "profile":
        profile = next((p for p in data.tables["Profile"].values() if p["Name"].lower() == name.lower()), None)
        found = [
            ps for ps in sets if profile is not None and ps["ProfileId"] == profile["Id"] and ps["IsOwnedByProfile"]
        ]
    elif key == "permission_set_group":
        namespace, developer_name = split_namespace(name)
        groups = data.tables["PermissionSetGroup"].values()
        group = next((g for g in groups if _named(g, "DeveloperName", namespace, developer_name)), None)
        found = [ps for ps in sets if group is not None and ps["PermissionSetGroupId"] == group["Id"]]
    else:
        namespace, set_name = split_namespace(name)
        found = [ps for ps in sets if ps["Type"] == "Regular" and _named(ps, "Name", namespace, set_name)]
    if not found:
        raise SeedError(f"permission entry: unknown {key.replace('_', ' ')} {name}")
    return str(found[0]["Id"])


def _named(record: Record, column: str, namespace: str | None, name: str) -> bool:
    return str(record[column]).lower() == name.lower() and (record.get("NamespacePrefix") or None) == namespace


def _holder_spec(tables: Mapping[str, Mapping[str, Record]], parent_id: str) -> dict[str, str]:
    ps = tables["PermissionSet"][parent_id]
    if ps["IsOwnedByProfile"]:
        return {"profile": tables["Profile"][ps["ProfileId"]]["Name"]}
    if ps["PermissionSetGroupId"]:
        group = tables["PermissionSetGroup"][ps["PermissionSetGroupId"]]
        return {"permission_set_group": join_namespace(group["NamespacePrefix"], group["DeveloperName"])}
    return {"permission_set": join_namespace(ps["NamespacePrefix"], ps["Name"])}


def to_document(tables: Mapping[str, Mapping[str, Record]]) -> dict[str, Any]:
    """The two sections of a live org document (ids kept); empty sections are left out."""
    objects = [
        {"id": row["Id"], **_holder_spec(tables, row["ParentId"]), "object": row["SobjectType"]}
        | {key: row[column] for key, column in OBJECT_FLAGS.items()}
        for row in tables.get(OBJECT_TABLE, {}).values()
        if row["ParentId"] in tables["PermissionSet"]
    ]
    fields = [
        {"id": row["Id"], **_holder_spec(tables, row["ParentId"]), "field": row["Field"]}
        | {key: row[column] for key, column in FIELD_FLAGS.items()}
        for row in tables.get(FIELD_TABLE, {}).values()
        if row["ParentId"] in tables["PermissionSet"]
    ]
    classes = [
        {"id": row["Id"], **_holder_spec(tables, row["ParentId"]), "class": row["_class"]}
        for row in tables.get(CLASS_TABLE, {}).values()
        if row["ParentId"] in tables["PermissionSet"]
    ]
    document: dict[str, Any] = {}
    if classes:
        document[CLASS_SECTION] = classes
    if objects:
        document[OBJECT_SECTION] = objects
    if fields:
        document[FIELD_SECTION] = fields
    return document
