"""What the provider learns about users, permission sets and groups of one org.

A ``Directory`` asks the org once per batch of names it has not seen yet (users by ``Username``,
permission sets by ``Name`` + ``NamespacePrefix``, groups by ``DeveloperName`` + ``NamespacePrefix``)
and remembers both hits and misses, so read, preflight and apply of the same run share the lookups.
Names compare case-insensitively; an assignable keeps the spelling it was first asked for. The same
queries bring a group's ``Status`` and a permission set's admin permissions (which forbid an expiry);
a group's admin permissions, on its aggregate permission set, cost one query, asked only for groups
granted with an expiry, and a group's status is read again only while the provider waits for it. Users
come with their profile's user licence and permission sets with the licence they require: a user licence
(``LicenseId`` 100…) or a permission set licence (0PL…). Which permission set licences users hold
(PermissionSetLicenseAssign) costs one query for the users asked, which preflight asks only when a
granted permission set requires one.

"Did you mean" hints need the names the org does have: ``all_names`` fetches each list only when a
caller asks (one query each), which preflight does only when something is unknown, and keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from providers.salesforce.names import join_namespace, split_namespace
from providers.salesforce.soql import in_chunks
from providers.salesforce.transport import Transport

GROUP = "group:"
#: PermissionSet fields of the permissions that forbid an expiring assignment (help.salesforce.com "Set
#: Assignment Expiration Details": Assign Permission Sets, Manage Profiles and Permission Sets, Manage Users).
ADMIN_FIELDS = (
    "PermissionsManageUsers",
    "PermissionsAssignPermissionSets",
    "PermissionsManageProfilesPermissionsets",
)
_ADMIN = ", ".join(ADMIN_FIELDS)
#: Key prefix of UserLicense ids; a PermissionSet's LicenseId may also be a PermissionSetLicense (0PL).
USER_LICENSE_PREFIX = "100"
PERMISSION_SET_LICENSE_PREFIX = "0PL"


@dataclass(frozen=True)
class UserRecord:
    record_id: str
    username: str
    active: bool
    #: The user licence of the user's profile (Id, Name).
    license_id: str = ""
    license_name: str = ""


@dataclass(frozen=True)
class Assignable:
    """A permission set or group: ``key`` as in addresses (``Sales_Ops``, ``group:Sales_Bundle``)."""

    key: str
    record_id: str
    is_group: bool
    #: A group's ``Status`` (Updated, Outdated, Updating, Failed); a permission set is always Updated.
    status: str = "Updated"
    #: Holds a permission that forbids an expiring assignment (None: not looked up yet, for a group).
    admin: bool | None = False
    #: The user licence (100…) a permission set requires ("" for none, or a permission set licence).
    license_id: str = ""
    license_name: str = ""
    #: The permission set licence (0PL…) a permission set requires ("" for none, or a user licence).
    psl_id: str = ""
    psl_name: str = ""

    @property
    def name(self) -> str:
        return self.key.removeprefix(GROUP)

    @property
    def id_key(self) -> str:
        return "permission_set_group" if self.is_group else "permission_set"


class Directory:
    """Users, permission sets and groups of one org, looked up in batches and remembered."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._users: dict[str, UserRecord] = {}
        self._assignables: dict[str, Assignable] = {}
        self._by_id: dict[str, Assignable] = {}
        self._missing: set[str] = set()
        self._all: dict[str, list[str]] = {}
        self._holders: dict[str, set[str]] = {}  # user Id -> 15-character PermissionSetLicense Ids

    def user(self, username: str) -> UserRecord | None:
        return self._users.get(username.casefold())

    def assignable(self, key: str) -> Assignable | None:
        return self._assignables.get(key.casefold())

    def assignable_by_id(self, record_id: str) -> Assignable | None:
        return self._by_id.get(record_id[:15])

    def lookup_users(self, usernames: Iterable[str]) -> None:
        wanted = [u for u in usernames if u and u != "*" and not self._known(u)]
        soql = (
            "SELECT Id, Username, IsActive, Profile.UserLicenseId, Profile.UserLicense.Name FROM User "
            "WHERE Username IN "
        )
        for query in in_chunks(wanted, lambda lst: soql + lst):
            for record in self.transport.query_all(query):
                profile = record.get("Profile") or {}
                user = UserRecord(
                    str(record["Id"]),
                    str(record["Username"]),
                    bool(record.get("IsActive")),
                    str(profile.get("UserLicenseId") or ""),
                    str((profile.get("UserLicense") or {}).get("Name") or ""),
                )
                self._users[user.username.casefold()] = user
        self._missing.update(u.casefold() for u in wanted if u.casefold() not in self._users)

    def lookup_assignables(self, keys: Iterable[str]) -> None:
        wanted = [k for k in dict.fromkeys(keys) if k and not self._known(k)]
        sets = [k for k in wanted if not k.startswith(GROUP)]
        groups = [k for k in wanted if k.startswith(GROUP)]
        self._lookup(
            sets,
            f"SELECT Id, Name, NamespacePrefix, Type, LicenseId, License.Name, {_ADMIN} FROM PermissionSet "
            "WHERE IsOwnedByProfile = false AND Name IN ",
            "Name",
            group=False,
        )
        self._lookup(
            groups,
            "SELECT Id, DeveloperName, NamespacePrefix, Status FROM PermissionSetGroup WHERE DeveloperName IN ",
            "DeveloperName",
            group=True,
        )
        self._missing.update(k.casefold() for k in wanted if k.casefold() not in self._assignables)

    def all_names(self, what: Literal["users", "sets", "groups"]) -> list[str]:
        """The names the org has: usernames of active users, permission sets (not profile-owned) or
        groups, namespaced as users write them; fetched once, for "did you mean" hints."""
        if what not in self._all:
            soql = {
                "users": ("SELECT Username FROM User WHERE IsActive = true", "Username"),
                "sets": (
                    "SELECT Name, NamespacePrefix FROM PermissionSet WHERE IsOwnedByProfile = false",
                    "Name",
                ),
                "groups": ("SELECT DeveloperName, NamespacePrefix FROM PermissionSetGroup", "DeveloperName"),
            }[what]
            records = self.transport.query_all(soql[0])
            self._all[what] = [join_namespace(r.get("NamespacePrefix"), str(r[soql[1]])) for r in records]
        return self._all[what]

    def _known(self, name: str) -> bool:
        key = name.casefold()
        return key in self._users or key in self._assignables or key in self._missing

    def _lookup(self, keys: list[str], soql: str, name_field: str, *, group: bool) -> None:
        split = {k: split_namespace(k.removeprefix(GROUP)) for k in keys}
        wanted = {(ns.casefold() if ns else "", bare.casefold()): k for k, (ns, bare) in split.items()}
        for query in in_chunks([bare for _, bare in split.values()], lambda lst: soql + lst):
            for record in self.transport.query_all(query):
                if str(record.get("Type") or "Regular") in ("Group", "Profile"):
                    continue
                found = (
                    str(record.get("NamespacePrefix") or "").casefold(),
                    str(record[name_field]).casefold(),
                )
                if found in wanted:
                    status = str(record.get("Status") or "Updated")
                    admin = None if group else any(bool(record.get(f)) for f in ADMIN_FIELDS)
                    assignable = Assignable(wanted[found], str(record["Id"]), group, status, admin)
                    self._remember(_with_license(assignable, record))

    def lookup_license_holders(self, users: Iterable[UserRecord]) -> None:
        """Learn which permission set licences ``users`` hold: one query (a chunk) for those not asked yet."""
        wanted = [u.record_id for u in dict.fromkeys(users) if u.record_id not in self._holders]
        soql = "SELECT AssigneeId, PermissionSetLicenseId FROM PermissionSetLicenseAssign WHERE AssigneeId IN "
        for user_id in wanted:
            self._holders[user_id] = set()
        for query in in_chunks(wanted, lambda lst: soql + lst):
            for record in self.transport.query_all(query):
                held = self._holders.setdefault(str(record["AssigneeId"]), set())
                held.add(str(record["PermissionSetLicenseId"])[:15])

    def holds_license(self, user: UserRecord, psl_id: str) -> bool | None:
        """Whether ``user`` holds the permission set licence (None: not looked up)."""
        held = self._holders.get(user.record_id)
        return None if held is None else psl_id[:15] in held

    def refresh_groups(self, groups: Iterable[Assignable]) -> None:
        """Read the ``Status`` of these groups again (one query per 200 or so)."""
        known = {g.record_id: g for g in groups if g.is_group}
        soql = "SELECT Id, Status FROM PermissionSetGroup WHERE Id IN "
        for query in in_chunks(sorted(known), lambda lst: soql + lst):
            for record in self.transport.query_all(query):
                group = self.assignable_by_id(str(record["Id"]))
                if group is not None:
                    self._remember(replace(group, status=str(record.get("Status") or "Updated")))

    def lookup_group_permissions(self, groups: Iterable[Assignable]) -> None:
        """Learn which of these groups hold an admin permission (through their aggregate permission set)."""
        wanted = sorted({g.record_id for g in groups if g.is_group and g.admin is None})
        soql = f"SELECT PermissionSetGroupId, {_ADMIN} FROM PermissionSet WHERE PermissionSetGroupId IN "
        for query in in_chunks(wanted, lambda lst: soql + lst):
            for record in self.transport.query_all(query):
                group = self.assignable_by_id(str(record.get("PermissionSetGroupId") or ""))
                if group is not None:
                    self._remember(replace(group, admin=any(bool(record.get(f)) for f in ADMIN_FIELDS)))

    def _remember(self, assignable: Assignable) -> None:
        self._assignables[assignable.key.casefold()] = assignable
        self._by_id[assignable.record_id[:15]] = assignable


def _with_license(assignable: Assignable, record: dict[str, object]) -> Assignable:
    """``assignable`` with the licence its PermissionSet row requires: a user licence (100) or a permission
    set licence (0PL); ``License.Name`` names a user licence (a permission set licence has no Name)."""
    license_id = str(record.get("LicenseId") or "")
    parent = record.get("License")
    name = str(parent.get("Name") or parent.get("MasterLabel") or "") if isinstance(parent, dict) else ""
    if license_id.startswith(USER_LICENSE_PREFIX):
        return replace(assignable, license_id=license_id, license_name=name)
    if license_id.startswith(PERMISSION_SET_LICENSE_PREFIX):
        return replace(assignable, psl_id=license_id, psl_name=name)
    return assignable
