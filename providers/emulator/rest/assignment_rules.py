"""Salesforce's rules for a PermissionSetAssignment beyond its references: expiry and group status.

Contract: ``expiration(store, value, permission_set_id, now)`` returns the stored form of an
``ExpirationDate`` or raises ``RecordError`` without changing anything; ``sweep_expired(store, now)``
deletes the assignments whose expiry has passed (the caller holds ``store.lock`` and commits);
``check_group(store, group_id)`` raises when the group cannot be assigned yet, ``check_license`` when the
user's licence does not allow the permission set.

- ``ExpirationDate`` is a dateTime from API 52.0 (object reference, PermissionSetAssignment). It is
  stored and answered as ``2030-01-31T00:00:00.000+0000``. A date without a time is refused with the
  JSON deserializer's error, as Salesforce refuses a bare date for any dateTime field: likely, since no
  recording of this exact call is public.
- A date that is not in the future is refused, and so is any expiry on a permission set (or group)
  holding Manage Users, Assign Permission Sets or Manage Profiles and Permission Sets
  (help.salesforce.com "Set Assignment Expiration Details"). Both refusals are documented; their
  errorCode (FIELD_INTEGRITY_EXCEPTION) and wording are ours: no public source quotes them.
- Expired assignments disappear: Salesforce removes them itself; the emulator does so before it
  answers any request.
- A permission set with a user licence (``LicenseId``) is assignable only to users whose profile has
  that licence ("its UserLicenseId and the Profile UserLicenseId must match", object reference,
  PermissionSetAssignment). The errorCode FIELD_INTEGRITY_EXCEPTION is the one Salesforce uses for
  integrity refusals; the message is ours.
- A permission set whose ``LicenseId`` is a permission set licence (0PL) is assignable only to users
  holding that licence (a PermissionSetLicenseAssign row; object reference, PermissionSet.LicenseId:
  "either the user license or permission set license"). UNCONFIRMED: no public source quotes the
  refusal; FIELD_INTEGRITY_EXCEPTION and the message are ours.
- A permission set group is assignable only while its ``Status`` is ``Updated``; ``Outdated``,
  ``Updating`` and ``Failed`` groups are being (or failed to be) recalculated. The errorCode
  (FIELD_INTEGRITY_EXCEPTION) and the message are ours; no public source quotes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..org.store import Store
from .record_error import RecordError

#: PermissionSet fields for the permissions that forbid an expiring assignment.
ADMIN_PERMISSIONS = (
    "PermissionsManageUsers",
    "PermissionsAssignPermissionSets",
    "PermissionsManageProfilesPermissionsets",
)
#: Key prefix of PermissionSetLicense ids; a PermissionSet's LicenseId is one of these or a UserLicense (100).
PERMISSION_SET_LICENSE_PREFIX = "0PL"
_STORED = "%Y-%m-%dT%H:%M:%S.000+0000"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def expiration(store: Store, value: Any, permission_set_id: str, now: dt.datetime) -> str | None:
    """The stored ``ExpirationDate`` for ``value`` (None clears it); RecordError when refused."""
    if value in (None, ""):
        return None
    moment = _parse(value)
    if moment <= now:
        raise RecordError(
            "FIELD_INTEGRITY_EXCEPTION",
            "Expiration Date: the expiration date must be in the future.",
            ["ExpirationDate"],
        )
    permission_set = store.get("PermissionSet", permission_set_id) or {}
    if any(permission_set.get(name) for name in ADMIN_PERMISSIONS):
        raise RecordError(
            "FIELD_INTEGRITY_EXCEPTION",
            "You can't set an expiration date on an assignment of a permission set or permission set group "
            "that contains the Manage Users, Assign Permission Sets or Manage Profiles and Permission Sets "
            "permission.",
            ["ExpirationDate"],
        )
    return moment.strftime(_STORED)


def sweep_expired(store: Store, now: dt.datetime) -> bool:
    """Delete every assignment whose ExpirationDate has passed; True when one was deleted."""
    expired = [
        record_id
        for record_id, record in store.table("PermissionSetAssignment").items()
        if record.get("ExpirationDate") and _stored_moment(str(record["ExpirationDate"])) <= now
    ]
    for record_id in expired:
        store.delete("PermissionSetAssignment", record_id)
    return bool(expired)


def check_group(store: Store, group_id: str) -> None:
    """RecordError unless the permission set group's Status is Updated."""
    group = store.get("PermissionSetGroup", group_id) or {}
    status = str(group.get("Status") or "Updated")
    if status != "Updated":
        raise RecordError(
            "FIELD_INTEGRITY_EXCEPTION",
            f"You can't assign the permission set group {group.get('DeveloperName')} while its status is "
            f"{status}; assign it once the status is Updated.",
            ["PermissionSetGroupId"],
        )


def check_license(store: Store, assignee_id: str, permission_set_id: str) -> None:
    """RecordError when the permission set's user licence is not the assignee's profile's."""
    permission_set = store.get("PermissionSet", permission_set_id) or {}
    license_id = permission_set.get("LicenseId")
    if not license_id:
        return
    if str(license_id).startswith(PERMISSION_SET_LICENSE_PREFIX):
        _check_permission_set_license(store, assignee_id, permission_set, str(license_id))
        return
    user = store.get("User", assignee_id) or {}
    profile = store.get("Profile", str(user.get("ProfileId") or "")) or {}
    if profile.get("UserLicenseId") != license_id:
        license_name = (store.get("UserLicense", license_id) or {}).get("Name", license_id)
        raise RecordError(
            "FIELD_INTEGRITY_EXCEPTION",
            f"The user license doesn't match the user license of the permission set ({license_name}).",
            ["PermissionSetId"],
        )


def _check_permission_set_license(
    store: Store, assignee_id: str, permission_set: dict[str, Any], license_id: str
) -> None:
    """RecordError unless the assignee holds the permission set licence (a PermissionSetLicenseAssign)."""
    held = store.find("PermissionSetLicenseAssign", AssigneeId=assignee_id, PermissionSetLicenseId=license_id)
    if held:
        return
    licence = store.get("PermissionSetLicense", license_id) or {}
    user = store.get("User", assignee_id) or {}
    raise RecordError(
        "FIELD_INTEGRITY_EXCEPTION",
        f"Can't assign permission set {permission_set.get('Name')} to user {user.get('Username')}. The user "
        f"must first be assigned the permission set license {licence.get('MasterLabel', license_id)}.",
        ["PermissionSetId"],
    )


def _parse(value: Any) -> dt.datetime:
    text = str(value)
    try:
        if "T" not in text:
            raise ValueError(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of datetime from VALUE_STRING value {text} or request may be "
            "missing a required field",
            ["ExpirationDate"],
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _stored_moment(text: str) -> dt.datetime:
    """A stored ExpirationDate (a dateTime, or a bare date from an older org file) as a UTC moment."""
    if "T" not in text:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
