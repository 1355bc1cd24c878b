"""``group_membership``: a user, or another group, in a public group or queue.

Address: ``group_membership:EMEA_Support/alice@acme.com``; a nested group: ``EMEA_Support/group:EMEA_Leads``.
The group is its DeveloperName. Usernames carry the org's ``username_suffix``; ``diff`` compares them
without it and ``import`` writes them without it.

Ownership: added, removed when it leaves the configuration. With ``exclusive = true`` every undeclared
member of the group (users and groups) is removed too, like an exclusive permission set grant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from reconcile.config.schema import Bool, Entry, Finding, NonEmpty, OrgConfig, Username, duplicates
from reconcile.kinds.base import DetailLine, Expansion, Exported, ResourceKind, Skipped, strip_suffix
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

GROUP = "group:"


class GroupMembershipEntry(Entry):
    """``[[group_membership]]``: users and groups in a public group or queue."""

    DESCRIPTION = "Users and groups that are members of a public group or queue."
    KEY_DOCS = {
        "group": "The public group's or queue's developer name, e.g. `EMEA_Support`.",
        "users": "The usernames that are members; each org's `username_suffix` is appended.",
        "groups": "Developer names of public groups that are members (nested groups).",
        "exclusive": "When true, every member not listed (user or group) is removed, in each org the entry applies to.",
    }
    EXAMPLES = {"group": "EMEA_Support", "users": ["alice@acme.com"], "groups": ["EMEA_Leads"], "exclusive": True}

    group: NonEmpty
    users: tuple[Username, ...] = ()
    groups: tuple[NonEmpty, ...] = ()
    exclusive: Bool = False

    def findings(self) -> list[Finding]:
        found = duplicates(self.users, "users", "user") + duplicates(self.groups, "groups", "group")
        if not self.users and not self.groups:
            found.append((("users",), "a group membership names no member", "list `users` or `groups`"))
        if any("/" in name for name in (self.group, *self.groups)):
            found.append((("group",), "a group name cannot contain '/'", "use the developer name"))
        return found


class GroupMembership(Resource):
    """One GroupMember: ``member`` is a username (suffix applied) or ``group:`` and a group's name."""

    kind: Literal["group_membership"] = "group_membership"
    group: str
    member: str

    @property
    def key(self) -> str:
        return f"{self.group}/{self.member}"


class GroupMembershipKind(ResourceKind[GroupMembershipEntry, GroupMembership]):
    name = "group_membership"
    entry = GroupMembershipEntry
    resource = GroupMembership
    noun = "group memberships"

    def expand(self, entry: GroupMembershipEntry, org: Expansion) -> list[GroupMembership]:
        sub, suffix = org.sub, org.org.username_suffix
        group = sub(entry.group)
        members = [sub(user) + suffix for user in entry.users] + [GROUP + sub(name) for name in entry.groups]
        return [GroupMembership(group=group, member=member) for member in members]

    def resolve_reference(self, key: str, resources: Mapping[Address, Resource], org: OrgConfig) -> list[Address]:
        """``EMEA_Support`` names every membership of the group; ``EMEA_Support/alice@acme.com`` also the one
        with the org's username suffix."""
        if "/" in key:
            suffixed = Address(self.name, key + org.username_suffix)
            return [suffixed] if org.username_suffix and suffixed in resources else []
        return [a for a, r in resources.items() if isinstance(r, GroupMembership) and r.group == key]

    def exclusive_groups(self, entry: GroupMembershipEntry, resources: Sequence[GroupMembership]) -> set[Address]:
        return {Address(self.name, m.group) for m in resources} if entry.exclusive else set()

    def group_of(self, resource: GroupMembership) -> str | None:
        return resource.group

    def plan_removal(self, address: Address, live: GroupMembership | None, entry: StateEntry) -> Change:
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="no longer a member")
        return Change(address=address, action=Action.DELETE, before=live, reason="no longer declared")

    def detail_lines(self, change: Change) -> list[DetailLine]:
        return []

    # -- diff --------------------------------------------------------------------------------------

    def canonical_key(self, key: str, suffix: str) -> str:
        group, _, member = key.partition("/")
        if member.startswith(GROUP) or not suffix:
            return key
        stripped = strip_suffix(member, suffix)
        return f"{group}/{stripped if stripped is not None else member}"

    def org_key(self, key: str, suffix: str) -> str:
        member = key.partition("/")[2]
        return key if member == "*" or member.startswith(GROUP) else key + suffix

    def as_target(
        self, source: GroupMembership, target: GroupMembership | None, key: str, suffix: str
    ) -> GroupMembership:
        ids = target.ids if target is not None else {}
        return GroupMembership(group=source.group, member=self.org_key(key, suffix).partition("/")[2], ids=ids)

    # -- import ------------------------------------------------------------------------------------

    def export(self, resources: Sequence[GroupMembership], org: str, suffix: str) -> Exported:
        """One entry per group: its users (without the org's suffix) and its member groups."""
        skipped: list[Skipped] = []
        members: dict[str, tuple[list[str], list[str]]] = {}
        for item in resources:
            users, groups = members.setdefault(item.group, ([], []))
            if item.member.startswith(GROUP):
                groups.append(item.member.removeprefix(GROUP))
                continue
            user = strip_suffix(item.member, suffix)
            if user is None:
                skipped.append(Skipped(item.address, f"the username does not end with the org's suffix {suffix!r}"))
            else:
                users.append(user)
        entries: list[dict[str, Any]] = []
        for group, (users, groups) in sorted(members.items(), key=lambda item: item[0].casefold()):
            if not users and not groups:
                continue
            entry: dict[str, Any] = {"group": group}
            if users:
                entry["users"] = sorted(users, key=str.casefold)
            if groups:
                entry["groups"] = sorted(groups, key=str.casefold)
            entry["orgs"] = [org]
            entries.append(entry)
        return entries, skipped
