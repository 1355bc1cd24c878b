"""How a permission set grant maps to and from PermissionSetAssignment rows: the columns read, the live
``Assignment`` a row stands for, a ``PermissionSetGrant`` made from a row or from a change, and the
``ExpirationDate`` a grant is written with (a dateTime: the date at midnight UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from providers.salesforce.names import join_namespace
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.model import Change

#: The columns every grant read selects.
FIELDS = (
    "Id, AssigneeId, Assignee.Username, PermissionSetId, PermissionSet.Name, PermissionSet.NamespacePrefix, "
    "PermissionSetGroupId, PermissionSetGroup.DeveloperName, ExpirationDate"
)
#: Every assignment of a permission set no profile owns (the inventory).
EVERY_ASSIGNMENT = (
    "SELECT Id, AssigneeId, Assignee.Username, PermissionSetId, PermissionSet.Name, "
    "PermissionSet.NamespacePrefix, PermissionSetGroupId, PermissionSetGroup.DeveloperName, "
    "PermissionSetGroup.NamespacePrefix, ExpirationDate FROM PermissionSetAssignment "
    "WHERE PermissionSet.IsOwnedByProfile = false"
)


@dataclass(frozen=True)
class Assignment:
    """A live non-profile-owned assignment, keyed by (assignable, username) casefolded."""

    record_id: str
    user_id: str
    username: str
    assignable: str
    expires: date | None


def split_key(key: str) -> tuple[str, str]:
    """``Sales_Ops/alice@acme.com`` -> ``("Sales_Ops", "alice@acme.com")``; wildcard username ``*``."""
    assignable, _, username = key.rpartition("/")
    return assignable, username


def grant_of(change: Change) -> PermissionSetGrant:
    resource = change.after if change.after is not None else change.before
    if isinstance(resource, PermissionSetGrant):
        return resource
    assignable, username = split_key(change.address.key)
    if assignable.startswith("group:"):
        return PermissionSetGrant(permission_set_group=assignable[6:], username=username)
    return PermissionSetGrant(permission_set=assignable, username=username)


def grant_from_row(record: dict[str, Any]) -> PermissionSetGrant | None:
    """A grant from one PermissionSetAssignment row (None for a row without a user or a name)."""
    username = str((record.get("Assignee") or {}).get("Username") or "")
    group = record.get("PermissionSetGroup") or {}
    permission_set = record.get("PermissionSet") or {}
    expires_text = record.get("ExpirationDate")
    expires = date.fromisoformat(str(expires_text)[:10]) if expires_text else None
    ids = {"assignment": str(record["Id"]), "user": str(record.get("AssigneeId") or "")}
    if not username:
        return None
    if record.get("PermissionSetGroupId"):
        if not group.get("DeveloperName"):
            return None
        ids["permission_set_group"] = str(record["PermissionSetGroupId"])
        name = join_namespace(group.get("NamespacePrefix"), str(group["DeveloperName"]))
        return PermissionSetGrant(permission_set_group=name, username=username, expires=expires, ids=ids)
    if not permission_set.get("Name"):
        return None
    ids["permission_set"] = str(record.get("PermissionSetId") or "")
    name = join_namespace(permission_set.get("NamespacePrefix"), str(permission_set["Name"]))
    return PermissionSetGrant(permission_set=name, username=username, expires=expires, ids=ids)


def named(grant: PermissionSetGrant) -> dict[str, str]:
    if grant.permission_set_group:
        return {"permission_set_group": grant.permission_set_group}
    return {"permission_set": grant.permission_set}


def expiration_datetime(expires: date) -> str:
    """``ExpirationDate`` is a dateTime (API 52.0+): the grant's date at midnight UTC. Salesforce refuses
    a bare date for a dateTime field; a read keeps the date part."""
    return f"{expires.isoformat()}T00:00:00.000Z"
