"""Salesforce's rules for assigning a permission set or group, checked before the provider writes.

- ``assignment_problems``: what preflight reports for one grant: a permission set requiring a user
  licence other than the user's profile's ("its UserLicenseId and the Profile UserLicenseId must match",
  object reference, PermissionSetAssignment), a permission set requiring a permission set licence
  (``LicenseId`` 0PL…) the user does not hold (no PermissionSetLicenseAssign row), a group whose recalculation failed
  (Status ``Failed``), and an expiry on a permission set or group holding Manage Users, Assign Permission
  Sets or Manage Profiles and Permission Sets (help.salesforce.com "Set Assignment Expiration Details":
  such assignments cannot expire).
- ``await_groups``: a group is assignable only while its Status is ``Updated``. For grants of an
  ``Outdated`` or ``Updating`` group it re-reads the Status (one query per round, the transport's backoff
  between rounds, at most ``GROUP_CHECKS`` rounds) and returns why each group still is not assignable.
  No call is made when every group is Updated.
"""

from __future__ import annotations

from collections.abc import Iterable

from providers.salesforce.lookups import GROUP, Assignable, Directory, UserRecord
from providers.salesforce.transport import Transport
from reconcile.errors import Problem
from reconcile.kinds.permission_set_grant import PermissionSetGrant

GROUP_CHECKS = 6
_RECALCULATING = ("Outdated", "Updating")


def assignment_problems(
    target: Assignable | None,
    user: UserRecord | None,
    grant: PermissionSetGrant,
    address: str,
    holds_license: bool | None = None,
) -> list[Problem]:
    """Preflight problems of ``grant`` given its permission set or group and its user (None: unknown,
    reported elsewhere); ``holds_license``: whether the user holds the permission set licence the set
    requires (None: not looked up, or none required)."""
    problems: list[Problem] = []
    if target is not None and user is not None and target.psl_id and holds_license is False:
        problems.append(
            Problem(
                f"{user.username} does not hold the permission set licence {target.psl_name or target.psl_id} "
                f"required by {target.name}: Salesforce refuses the assignment",
                hint="assign the user that permission set licence first (Setup > Users > Permission Set "
                "License Assignments), or grant another permission set",
                address=address,
            )
        )
    if target is not None and user is not None and target.license_id and target.license_id != user.license_id:
        problems.append(
            Problem(
                f"permission set {target.name} requires the {target.license_name or target.license_id} user "
                f"licence, and {user.username}'s profile has the {user.license_name or 'another'} licence: "
                "Salesforce refuses the assignment",
                hint="give the user a profile with that licence, or grant another permission set",
                address=address,
            )
        )
    if target is not None and target.status == "Failed":
        problems.append(
            Problem(
                f"permission set group {target.name} failed its recalculation (Status Failed): Salesforce "
                "refuses to assign it",
                hint="fix the group in Setup > Permission Set Groups, then plan again",
                address=address,
            )
        )
    if target is not None and grant.expires is not None and target.admin:
        what = "permission set group" if grant.assignable.startswith(GROUP) else "permission set"
        problems.append(
            Problem(
                f"{what} {target.name} holds Manage Users, Assign Permission Sets or Manage Profiles and "
                "Permission Sets: Salesforce refuses an expiry date on its assignments",
                hint="remove `expires` from this grant",
                address=address,
            )
        )
    return problems


def await_groups(transport: Transport, directory: Directory, assignables: Iterable[str]) -> dict[str, str]:
    """Wait for the groups among ``assignables`` to be Updated (see the module docstring); returns the
    reason, by casefolded group key, for each group that still is not."""
    targets = [directory.assignable(key) for key in assignables]
    groups = {t.key.casefold(): t for t in targets if t is not None and t.is_group}
    for attempt in range(1, GROUP_CHECKS + 1):
        waiting = [g for g in groups.values() if g.status in _RECALCULATING]
        if not waiting:
            break
        transport.pause(attempt)
        directory.refresh_groups(waiting)
        groups = {key: directory.assignable(key) or group for key, group in groups.items()}
    return {key: _not_assignable(group) for key, group in groups.items() if group.status != "Updated"}


def _not_assignable(group: Assignable) -> str:
    if group.status == "Failed":
        return f"permission set group {group.name} is Failed: its recalculation failed; fix it in Setup"
    return (
        f"permission set group {group.name} is still {group.status} after {GROUP_CHECKS} checks; "
        "apply again once its status is Updated"
    )
