"""``permission_set_grant``: a permission set (or permission set group) assigned to one user.

Address: ``permission_set_grant:Sales_Ops/alice@acme.com`` (a group: ``group:Sales_Bundle/alice@acme.com``).

Expiry: Salesforce removes an assignment once its ``ExpirationDate`` has passed and refuses to set one
in the past, so a grant whose ``expires`` is today (UTC) or earlier is never created: the plan revokes a
live one ("expired on ...") and forgets a recorded one that Salesforce has already removed, once; after
that the grant plans nothing. Writing the date in the configuration is therefore not an error that
blocks every later run.

Ownership: created, its expiry updated, revoked when it leaves the configuration. With
``exclusive = true`` every undeclared assignment of that permission set (group) is revoked too; the
provider never touches profile-owned permission sets. Usernames carry the org's ``username_suffix``;
``diff`` compares them without it, and ``import`` writes them without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import Field

from reconcile.config.schema import Bool, Entry, Finding, NonEmpty, OrgConfig, PlainDate, Username, duplicates, one_of
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind, Skipped, strip_suffix
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry


class PermissionSetGrantEntry(Entry):
    """``[[permission_set_grant]]``: a permission set (or group) granted to users. ``exclusive`` revokes
    it from users not listed; ``expires`` sets the assignment's expiration date."""

    DESCRIPTION = "A permission set (or permission set group) assigned to users."
    KEY_DOCS = {
        "permission_set": "The permission set's API name, e.g. `Sales_Ops` (namespaced: `acme__Billing_Admin`).",
        "permission_set_group": "The permission set group's developer name, instead of `permission_set`.",
        "users": "The usernames that hold it; each org's `username_suffix` is appended.",
        "exclusive": "When true, the permission set (or group) is revoked from every user not listed, in each "
        "org the entry applies to.",
        "expires": "The assignments' expiration date, as a TOML date (no quotes). Unset: they never expire. "
        "Once the date has come (UTC) the grant is revoked if still there and never created again.",
    }
    EXAMPLES = {
        "permission_set": "Sales_Ops",
        "permission_set_group": "Sales_Bundle",
        "users": ["alice@acme.com", "bob@acme.com"],
        "exclusive": True,
        "expires": "2030-06-30",
    }
    EXACTLY_ONE = ("permission_set", "permission_set_group")

    permission_set: NonEmpty | None = None
    permission_set_group: NonEmpty | None = None
    users: tuple[Username, ...] = Field(min_length=1)
    exclusive: Bool = False
    expires: PlainDate | None = None

    @property
    def assignable(self) -> str:
        """``Sales_Ops`` or ``group:Sales_Bundle`` (placeholders not yet substituted)."""
        if self.permission_set_group is not None:
            return f"group:{self.permission_set_group}"
        return self.permission_set or ""

    def findings(self) -> list[Finding]:
        return one_of(self, ("permission_set", "permission_set_group")) + duplicates(self.users, "users", "user")


class PermissionSetGrant(Resource):
    """A PermissionSetAssignment of a permission set (or a permission set group) to one user.

    ``permission_set`` / ``permission_set_group`` are written as users reference them, namespaced ones as
    ``ns__Name``. ``username`` is the org's username (suffix already applied).
    """

    kind: Literal["permission_set_grant"] = "permission_set_grant"
    permission_set: str = ""
    permission_set_group: str = ""
    username: str
    expires: date | None = None

    @property
    def key(self) -> str:
        if self.permission_set_group:
            return f"group:{self.permission_set_group}/{self.username}"
        return f"{self.permission_set}/{self.username}"

    @property
    def assignable(self) -> str:
        """The key part before the username: ``Sales_Ops`` or ``group:Sales_Bundle``."""
        return self.key.rsplit("/", 1)[0]


class PermissionSetGrantKind(ResourceKind[PermissionSetGrantEntry, PermissionSetGrant]):
    name = "permission_set_grant"
    entry = PermissionSetGrantEntry
    resource = PermissionSetGrant

    def expand(self, entry: PermissionSetGrantEntry, org: Expansion) -> list[PermissionSetGrant]:
        sub, suffix = org.sub, org.org.username_suffix
        return [
            PermissionSetGrant(
                permission_set=sub(entry.permission_set or ""),
                permission_set_group=sub(entry.permission_set_group or ""),
                username=sub(user) + suffix,
                expires=entry.expires,
            )
            for user in entry.users
        ]

    def resolve_reference(self, key: str, resources: Mapping[Address, Resource], org: OrgConfig) -> list[Address]:
        """``Sales_Ops`` names every grant of that permission set in the org; ``Sales_Ops/alice@acme.com``
        also matches the grant with the org's username suffix."""
        if "/" in key:
            suffixed = Address(self.name, key + org.username_suffix)
            return [suffixed] if org.username_suffix and suffixed in resources else []
        return [
            address
            for address, resource in resources.items()
            if isinstance(resource, PermissionSetGrant) and resource.assignable == key
        ]

    def exclusive_groups(self, entry: PermissionSetGrantEntry, resources: Sequence[PermissionSetGrant]) -> set[Address]:
        return {Address(self.name, grant.assignable) for grant in resources} if entry.exclusive else set()

    def group_of(self, resource: PermissionSetGrant) -> str | None:
        return resource.assignable

    def plan(
        self,
        desired: PermissionSetGrant,
        live: PermissionSetGrant | None,
        entry: StateEntry | None,
        context: PlanContext,
    ) -> Change | None:
        if desired.expires is not None and desired.expires <= utc_today():
            return _expired(desired, live, entry)
        if live is None:
            return Change(address=desired.address, action=Action.CREATE, after=desired, reason="not granted yet")
        if live.expires == desired.expires:
            return None
        reason = f"expires {live.expires or 'never'}, should expire {desired.expires or 'never'}"
        return Change(
            address=desired.address,
            action=Action.UPDATE,
            before=live,
            after=desired.model_copy(update={"ids": live.ids}),
            reason=reason,
        )

    def plan_removal(self, address: Address, live: PermissionSetGrant | None, entry: StateEntry) -> Change:
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="already revoked")
        return Change(address=address, action=Action.DELETE, before=live, reason="no longer declared")

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before.expires if isinstance(change.before, PermissionSetGrant) else None
        after = change.after.expires if isinstance(change.after, PermissionSetGrant) else None
        if change.action is Action.UPDATE:
            return [("~", f"expires: {before or 'never'} -> {after or 'never'}")]
        if change.action is Action.CREATE and after is not None:
            return [("+", f"expires: {after}")]
        return []

    # -- diff --------------------------------------------------------------------------------------

    def canonical_key(self, key: str, suffix: str) -> str:
        """The key with the username's ``suffix`` removed."""
        assignable, _, username = key.rpartition("/")
        if suffix and username.casefold().endswith(suffix.casefold()) and len(username) > len(suffix):
            username = username[: -len(suffix)]
        return f"{assignable}/{username}"

    def org_key(self, key: str, suffix: str) -> str:
        return key if key.endswith("/*") else key + suffix

    def as_target(
        self, source: PermissionSetGrant, target: PermissionSetGrant | None, key: str, suffix: str
    ) -> PermissionSetGrant:
        ids = target.ids if target is not None else {}
        username = target.username if target is not None else key.rpartition("/")[2] + suffix
        return source.model_copy(update={"username": username, "ids": ids})

    def diff_reason(self, source: PermissionSetGrant, target: PermissionSetGrant, names: tuple[str, str]) -> str:
        return f"expires {target.expires or 'never'} in {names[1]}, {source.expires or 'never'} in {names[0]}"

    # -- import ------------------------------------------------------------------------------------

    def export(self, resources: Sequence[PermissionSetGrant], org: str, suffix: str) -> Exported:
        """One entry per permission set (or group) and expiry date, ``users`` sorted and written without
        the org's suffix. A username that does not end with the suffix cannot be written (expansion would
        append the suffix to it) and is left out."""
        skipped: list[Skipped] = []
        groups: dict[tuple[str, date | None], list[str]] = {}
        for grant in resources:
            user = strip_suffix(grant.username, suffix)
            if user is None:
                skipped.append(Skipped(grant.address, f"the username does not end with the org's suffix {suffix!r}"))
                continue
            groups.setdefault((grant.assignable, grant.expires), []).append(user)
        entries: list[dict[str, Any]] = []
        for (assignable, expires), users in sorted(groups.items(), key=_grant_order):
            entry: dict[str, Any] = (
                {"permission_set_group": assignable.removeprefix("group:")}
                if assignable.startswith("group:")
                else {"permission_set": assignable}
            )
            entry["users"] = sorted(users, key=str.casefold)
            if expires is not None:
                entry["expires"] = expires
            entry["orgs"] = [org]
            entries.append(entry)
        return entries, skipped


def utc_today() -> date:
    """Today in UTC, the calendar Salesforce expires assignments by."""
    return datetime.now(UTC).date()


def _expired(desired: PermissionSetGrant, live: PermissionSetGrant | None, entry: StateEntry | None) -> Change | None:
    """The change for a grant whose expiry date has come: revoke it if it is still there, forget it once
    if Salesforce removed it, and nothing after that (never a create Salesforce would refuse)."""
    reason = f"expired on {desired.expires}"
    if live is not None:
        return Change(address=desired.address, action=Action.DELETE, before=live, reason=reason)
    if entry is not None:
        return Change(address=desired.address, action=Action.FORGET, reason=reason + "; Salesforce removed it")
    return None


def _grant_order(item: tuple[tuple[str, date | None], list[str]]) -> tuple[bool, str, date]:
    (assignable, expires), _ = item
    return assignable.startswith("group:"), assignable.casefold(), expires or date.max
