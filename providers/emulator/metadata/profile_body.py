"""The permission sections of a Profile's readMetadata body: ``classAccesses``, ``fieldPermissions`` and
``objectPermissions``.

Class access lives as ``SetupEntityAccess`` rows of type ApexClass on the profile-owned set and reads as
``ProfileApexClassAccess{apexClass, enabled}``, sorted by class.

A profile's permissions live on its profile-owned PermissionSet, as ``FieldPermissions`` and
``ObjectPermissions`` rows (``org/permissions.py``); readMetadata of the Profile returns them as
``ProfileFieldLevelSecurity{editable, field, readable}`` and
``ProfileObjectPermissions{allowCreate, allowDelete, allowEdit, allowRead, modifyAllRecords, object,
viewAllRecords}`` elements, sorted by field and object as a retrieved profile file is. A production
profile holds thousands of field permissions, so these sections make a read as large as a real one.
Writing them is not supported (``metadata/writes.py`` refuses the sections), so a client that echoes a
read profile back on update is caught.
"""

from __future__ import annotations

from ..org.store import Store
from ..soap.xml import text_el
from .names import Row


def _owned_set_id(store: Store, profile: Row) -> str | None:
    owned = [ps for ps in store.find("PermissionSet", ProfileId=profile["Id"]) if ps.get("IsOwnedByProfile")]
    return str(owned[0]["Id"]) if owned else None


def field_permissions_xml(store: Store, profile: Row) -> str:
    """The profile's ``fieldPermissions`` elements (WSDL order of their children), sorted by field."""
    parent = _owned_set_id(store, profile)
    if parent is None or "FieldPermissions" not in store.data.tables:
        return ""
    rows = sorted(store.find("FieldPermissions", ParentId=parent), key=lambda row: str(row["Field"]))
    return "".join(
        "<fieldPermissions>"
        + text_el("editable", bool(row.get("PermissionsEdit")))
        + text_el("field", row["Field"])
        + text_el("readable", bool(row.get("PermissionsRead")))
        + "</fieldPermissions>"
        for row in rows
    )


def object_permissions_xml(store: Store, profile: Row) -> str:
    """The profile's ``objectPermissions`` elements (WSDL order of their children), sorted by object."""
    parent = _owned_set_id(store, profile)
    if parent is None or "ObjectPermissions" not in store.data.tables:
        return ""
    rows = sorted(store.find("ObjectPermissions", ParentId=parent), key=lambda row: str(row["SobjectType"]))
    return "".join(
        "<objectPermissions>"
        + text_el("allowCreate", bool(row.get("PermissionsCreate")))
        + text_el("allowDelete", bool(row.get("PermissionsDelete")))
        + text_el("allowEdit", bool(row.get("PermissionsEdit")))
        + text_el("allowRead", bool(row.get("PermissionsRead")))
        + text_el("modifyAllRecords", bool(row.get("PermissionsModifyAllRecords")))
        + text_el("object", row["SobjectType"])
        + text_el("viewAllRecords", bool(row.get("PermissionsViewAllRecords")))
        + "</objectPermissions>"
        for row in rows
    )


def class_accesses_xml(store: Store, profile: Row) -> str:
    """The profile's ``classAccesses`` elements, sorted by class name."""
    parent = _owned_set_id(store, profile)
    if parent is None or "SetupEntityAccess" not in store.data.tables:
        return ""
    rows = sorted(store.find("SetupEntityAccess", ParentId=parent), key=lambda row: str(row["_class"]))
    return "".join(
        "<classAccesses>" + text_el("apexClass", row["_class"]) + text_el("enabled", True) + "</classAccesses>"
        for row in rows
        if row.get("SetupEntityType") == "ApexClass"
    )
