"""``layout_assignment``: which page layout a profile sees for an object and record type.

Address: ``layout_assignment:Sales User/Account/Enterprise`` (the master record type: ``Sales User/Account``).

Ownership: created or repointed. Salesforce cannot remove an assignment (a profile always sees some
layout), so one leaving the configuration is forgotten: the plan shows ``forget`` and the org is left as
it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field

from reconcile.config.schema import NON_EMPTY, Entry, Finding, NonEmpty, Segment, duplicates, one_of
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind, Skipped
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

ProfileName = Annotated[Segment, NON_EMPTY]


class LayoutAssignmentEntry(Entry):
    """``[[layout_assignment]]``: the layout profiles see for an object and record type ("" = master)."""

    DESCRIPTION = "The page layout that profiles see for an object and record type."
    KEY_DOCS = {
        "profiles": "The profile names (as Setup shows them, e.g. `Sales User`) that get the layout.",
        "profile": "One profile name, instead of `profiles`.",
        "object": "The object's API name, e.g. `Account`.",
        "record_type": "The record type's developer name. Empty (the default) means the master layout, "
        "used where no record type applies.",
        "layout": "The layout's name without the object prefix, e.g. `Account Enterprise Layout`.",
    }
    EXAMPLES = {
        "profiles": ["Sales User", "Sales Manager"],
        "profile": "Sales User",
        "object": "Account",
        "record_type": "Enterprise",
        "layout": "Account Enterprise Layout",
    }
    EXACTLY_ONE = ("profiles", "profile")

    profiles: tuple[ProfileName, ...] | None = Field(default=None, min_length=1)
    profile: ProfileName | None = None
    object: ProfileName
    record_type: Segment = ""
    layout: NonEmpty

    @property
    def profile_names(self) -> tuple[str, ...]:
        return self.profiles if self.profiles is not None else ((self.profile,) if self.profile else ())

    def findings(self) -> list[Finding]:
        found = one_of(self, ("profiles", "profile"))
        return found + duplicates(self.profiles or (), "profiles", "profile")


class LayoutAssignment(Resource):
    """Which page layout a profile sees for an object and record type ("" = the master record type)."""

    kind: Literal["layout_assignment"] = "layout_assignment"
    profile: str
    object: str
    record_type: str = ""
    layout: str

    @property
    def key(self) -> str:
        base = f"{self.profile}/{self.object}"
        return f"{base}/{self.record_type}" if self.record_type else base


class LayoutAssignmentKind(ResourceKind[LayoutAssignmentEntry, LayoutAssignment]):
    name = "layout_assignment"
    entry = LayoutAssignmentEntry
    resource = LayoutAssignment

    def expand(self, entry: LayoutAssignmentEntry, org: Expansion) -> list[LayoutAssignment]:
        sub = org.sub
        return [
            LayoutAssignment(
                profile=sub(profile),
                object=sub(entry.object),
                record_type=sub(entry.record_type),
                layout=sub(entry.layout),
            )
            for profile in entry.profile_names
        ]

    def plan(
        self, desired: LayoutAssignment, live: LayoutAssignment | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        if live is None:
            return Change(address=desired.address, action=Action.CREATE, after=desired, reason="not assigned yet")
        if live.layout == desired.layout:
            return None
        return Change(
            address=desired.address,
            action=Action.UPDATE,
            before=live,
            after=desired.model_copy(update={"ids": live.ids}),
            reason=f"layout is {live.layout!r}",
        )

    def plan_removal(self, address: Address, live: LayoutAssignment | None, entry: StateEntry) -> Change:
        reason = "no longer declared: Salesforce cannot remove an assignment, the org is left as it is"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before.layout if isinstance(change.before, LayoutAssignment) else None
        after = change.after.layout if isinstance(change.after, LayoutAssignment) else None
        if before is not None and after is not None:
            return [("~", f'layout: "{before}" -> "{after}"')]
        if after is not None:
            return [("+", f'layout: "{after}"')]
        if change.action is Action.FORGET:
            return [(" ", f'layout: "{before}" (stays in the org, no longer managed)')]
        return [("-", f'layout: "{before}"')]

    def diff_reason(self, source: LayoutAssignment, target: LayoutAssignment, names: tuple[str, str]) -> str:
        return f"{names[1]} shows {target.layout!r}"

    def export(self, resources: Sequence[LayoutAssignment], org: str, suffix: str) -> Exported:
        """One entry per (object, record type, layout) with every profile that sees it."""
        skipped = [
            Skipped(a.address, "a profile name holding '/' cannot be written in a layout_assignment entry")
            for a in resources
            if "/" in a.profile
        ]
        groups: dict[tuple[str, str, str], list[str]] = {}
        for item in resources:
            if "/" not in item.profile:
                groups.setdefault((item.object, item.record_type, item.layout), []).append(item.profile)
        entries: list[dict[str, Any]] = []
        for (object_name, record_type, layout), profiles in sorted(groups.items(), key=_casefolded_key):
            entry: dict[str, Any] = {"profiles": sorted(profiles, key=str.casefold), "object": object_name}
            if record_type:
                entry["record_type"] = record_type
            entry.update({"layout": layout, "orgs": [org]})
            entries.append(entry)
        return entries, skipped


def _casefolded_key(item: tuple[tuple[str, str, str], list[str]]) -> tuple[str, ...]:
    return tuple(part.casefold() for part in item[0])
