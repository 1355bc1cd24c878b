"""The rows the org builder (``org/seed.py``) makes for access: PermissionSet rows, the admin permissions a
seed may give a set or group (those that forbid an expiring assignment), and PermissionSetAssignment rows.
"""

from __future__ import annotations

from typing import Any

from .data import Record, SeedError


def permission_set_record(ps_id: str, name: str, label: str, namespace: str | None, kind: str) -> Record:
    """A PermissionSet row of ``kind`` (Regular, Profile, Group) before its owner is set."""
    return {
        "Id": ps_id,
        "Name": name,
        "Label": label,
        "NamespacePrefix": namespace,
        "IsOwnedByProfile": False,
        "ProfileId": None,
        "Type": kind,
        "PermissionSetGroupId": None,
        "Description": None,
    }


#: Seed names of the permissions an expiring assignment may not carry, and their PermissionSet fields.
ADMIN_PERMISSIONS = {
    "ManageUsers": "PermissionsManageUsers",
    "AssignPermissionSets": "PermissionsAssignPermissionSets",
    "ManageProfilesPermissionsets": "PermissionsManageProfilesPermissionsets",
}


def admin_permissions(spec: dict[str, Any]) -> Record:
    """A permission set's (or group's aggregate set's) admin permission fields from ``permissions``."""
    granted = set(spec.get("permissions") or ())
    unknown = granted - set(ADMIN_PERMISSIONS)
    if unknown:
        raise SeedError(f"unknown permissions {sorted(unknown)}; the emulator knows {sorted(ADMIN_PERMISSIONS)}")
    return {field: name in granted for name, field in ADMIN_PERMISSIONS.items()}


def assignment_record(psa_id: str, user_id: str, ps_id: str, group_id: str | None, expiration: Any) -> Record:
    """A PermissionSetAssignment row; a bare ``expiration`` date becomes midnight UTC."""
    return {
        "Id": psa_id,
        "AssigneeId": user_id,
        "PermissionSetId": ps_id,
        "PermissionSetGroupId": group_id,
        "ExpirationDate": f"{expiration}T00:00:00.000+0000"
        if expiration and "T" not in str(expiration)
        else expiration,
        "IsActive": True,
        "SystemModstamp": "2024-01-01T00:00:00.000+0000",
    }
