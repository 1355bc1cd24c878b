"""``record_type_visibility``: whether a profile sees a record type, and whether it is the profile's default
record type for the object.

Address: ``record_type_visibility:Sales User/Account.Enterprise``.

Ownership: created or changed. Salesforce keeps a visibility for every (profile, record type) pair, so
one leaving the configuration is forgotten (the org is left as it is), like a layout assignment. One
default per profile and object: two entries making two record types the default of one profile and
object are a validation error naming both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field

from reconcile.config.schema import NON_EMPTY, Bool, Entry, Finding, Segment, duplicates, one_of
from reconcile.kinds.base import DetailLine, Expansion, Exported, ResourceKind, Skipped
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

Name = Annotated[Segment, NON_EMPTY]


class RecordTypeVisibilityEntry(Entry):
    """``[[record_type_visibility]]``: which profiles see a record type, and whether it is their default."""

    DESCRIPTION = "Whether profiles see a record type, and whether it is their default for the object."
    KEY_DOCS = {
        "profiles": "The profile names (as Setup shows them) the setting is for.",
        "profile": "One profile name, instead of `profiles`.",
        "record_type": "The record type as `Object.DeveloperName`, e.g. `Account.Enterprise`.",
        "visible": "Whether the profiles can pick the record type; default `true`.",
        "default": "Make it the profiles' default record type for the object (it must be visible); default `false`.",
    }
    EXAMPLES = {
        "profiles": ["Sales User", "Sales Manager"],
        "profile": "Sales User",
        "record_type": "Account.Enterprise",
        "visible": True,
        "default": True,
    }
    EXACTLY_ONE = ("profiles", "profile")

    profiles: tuple[Name, ...] | None = Field(default=None, min_length=1)
    profile: Name | None = None
    record_type: Name
    visible: Bool = True
    default: Bool = False

    @property
    def profile_names(self) -> tuple[str, ...]:
        return self.profiles if self.profiles is not None else ((self.profile,) if self.profile else ())

    def findings(self) -> list[Finding]:
        found = one_of(self, ("profiles", "profile")) + duplicates(self.profiles or (), "profiles", "profile")
        name, dot, developer_name = self.record_type.partition(".")
        if not dot or not name or not developer_name:
            found.append(
                (("record_type",), f"'{self.record_type}' is not Object.RecordType", "e.g. Account.Enterprise")
            )
        if self.default and not self.visible:
            found.append((("default",), "a default record type must be visible", "set visible = true"))
        return found


class RecordTypeVisibility(Resource):
    """Whether ``profile`` sees ``object``.``record_type``, and whether it is the profile's default there."""

    kind: Literal["record_type_visibility"] = "record_type_visibility"
    profile: str
    object: str
    record_type: str
    visible: bool = True
    default: bool = False

    @property
    def key(self) -> str:
        return f"{self.profile}/{self.object}.{self.record_type}"


def parse_key(key: str) -> tuple[str, str, str] | None:
    """``(profile, object, record_type)`` of ``Sales User/Account.Enterprise``; None when malformed."""
    profile, slash, slot = key.rpartition("/")
    object_name, dot, record_type = slot.partition(".")
    if not slash or not profile or not dot or not object_name or not record_type:
        return None
    return profile, object_name, record_type


class RecordTypeVisibilityKind(ResourceKind[RecordTypeVisibilityEntry, RecordTypeVisibility]):
    name = "record_type_visibility"
    entry = RecordTypeVisibilityEntry
    resource = RecordTypeVisibility
    noun = "record type visibilities"

    def expand(self, entry: RecordTypeVisibilityEntry, org: Expansion) -> list[RecordTypeVisibility]:
        object_name, _, record_type = org.sub(entry.record_type).partition(".")
        return [
            RecordTypeVisibility(
                profile=org.sub(profile),
                object=object_name,
                record_type=record_type,
                visible=entry.visible,
                default=entry.default,
            )
            for profile in entry.profile_names
        ]

    def clashes(self, resources: Sequence[RecordTypeVisibility]) -> list[tuple[Any, Any, str]]:
        """Two defaults for one profile and object."""
        first: dict[tuple[str, str], RecordTypeVisibility] = {}
        found: list[tuple[Any, Any, str]] = []
        for item in resources:
            if not item.default:
                continue
            slot = (item.profile.casefold(), item.object.casefold())
            if slot in first:
                found.append((first[slot], item, f"{item.profile} can have one default record type for {item.object}"))
            else:
                first[slot] = item
        return found

    def plan_removal(self, address: Address, live: RecordTypeVisibility | None, entry: StateEntry) -> Change:
        reason = "no longer declared: the profile keeps its record type settings"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before, after = change.before, change.after
        if not isinstance(after, RecordTypeVisibility):
            return []
        lines: list[DetailLine] = []
        for attribute in ("visible", "default"):
            old = getattr(before, attribute) if isinstance(before, RecordTypeVisibility) else None
            new = getattr(after, attribute)
            if old is None:
                lines.append(("+", f"{attribute}: {str(new).lower()}"))
            elif old != new:
                lines.append(("~", f"{attribute}: {str(old).lower()} -> {str(new).lower()}"))
        return lines

    def diff_reason(self, source: RecordTypeVisibility, target: RecordTypeVisibility, names: tuple[str, str]) -> str:
        return f"{names[1]} has visible={str(target.visible).lower()}, default={str(target.default).lower()}"

    def export(self, resources: Sequence[RecordTypeVisibility], org: str, suffix: str) -> Exported:
        """One entry per (record type, visible, default) with every profile it holds for; record types a
        profile does not see are left out (that is what a profile without an entry gets)."""
        skipped = [
            Skipped(r.address, "a profile name holding '/' cannot be written in an entry")
            for r in resources
            if "/" in r.profile
        ]
        groups: dict[tuple[str, bool], list[str]] = {}
        for item in resources:
            if item.visible and "/" not in item.profile:
                groups.setdefault((f"{item.object}.{item.record_type}", item.default), []).append(item.profile)
        entries: list[dict[str, Any]] = []
        for (record_type, default), profiles in sorted(groups.items(), key=lambda g: g[0][0].casefold()):
            entry: dict[str, Any] = {"profiles": sorted(profiles, key=str.casefold), "record_type": record_type}
            if default:
                entry["default"] = True
            entry["orgs"] = [org]
            entries.append(entry)
        return entries, skipped
