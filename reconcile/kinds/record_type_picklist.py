"""``record_type_picklist``: which values of a picklist field a record type offers, and its default.

Address: ``record_type_picklist:Account.Enterprise/Tier__c``; ``Account.*/Tier__c`` means every record type
of the object (what ``[[picklist]] record_types = ["*"]`` declares).

Salesforce does not offer a value added to a field on the object's record types: each record type keeps
its own list (RecordType ``picklistValues``). An entry makes its values available there and keeps the
values it does not name (the way picklist values are ``additive``); ``values = "*"`` offers every active
value of the field. ``default`` sets the record type's default for the field. A live resource lists the
values the record type offers (for ``*``: the values every record type offers) and ``every_value`` says
whether that is every active value of the field.

Ownership: Salesforce always keeps some list per record type, so an entry leaving the configuration is
forgotten (the org is left as it is), like a layout assignment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field

from reconcile.config.schema import NON_EMPTY, Entry, Finding, NonEmpty, Segment, duplicates
from reconcile.errors import did_you_mean
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind
from reconcile.kinds.picklist_values import Picklist
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

EVERY_RECORD_TYPE = "*"


class RecordTypePicklistEntry(Entry):
    """``[[record_type_picklist]]``: values of a field a record type offers, and its default."""

    DESCRIPTION = "The values of a picklist field that a record type offers, and its default there."
    KEY_DOCS = {
        "record_type": "The record type as `Object.DeveloperName`, e.g. `Account.Enterprise`; `Account.*` "
        "means every record type of the object.",
        "field": "The picklist field's API name on that object, e.g. `Tier__c`.",
        "values": 'The values the record type offers (others it offers are kept), or `"*"` for every active '
        "value of the field.",
        "default": "The record type's default value for the field (one of `values`). Unset leaves it as it is.",
    }
    EXAMPLES = {
        "record_type": "Account.Enterprise",
        "field": "Tier__c",
        "values": ["Gold", "Silver"],
        "default": "Gold",
    }

    record_type: Annotated[Segment, NON_EMPTY]
    field: Annotated[Segment, NON_EMPTY]
    values: tuple[NonEmpty, ...] | Literal["*"] = Field(min_length=1)
    default: NonEmpty | None = None

    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        name, dot, developer_name = self.record_type.partition(".")
        if not dot or not name or not developer_name:
            found.append(
                (("record_type",), f"'{self.record_type}' is not Object.RecordType", "e.g. Account.Enterprise")
            )
        if isinstance(self.values, tuple):
            found += duplicates(self.values, "values", "value")
            if self.default is not None and self.default not in self.values:
                hint = "add it to `values` or fix the spelling"
                message = f"default '{self.default}' is not one of the values" + did_you_mean(self.default, self.values)
                found.append((("default",), message, hint))
        if developer_name == EVERY_RECORD_TYPE and self.default is not None:
            found.append((("default",), "a default is set per record type", "name the record type instead of *"))
        return found


class RecordTypePicklist(Resource):
    """The values one record type (``*``: every one) offers for a picklist field of its object."""

    kind: Literal["record_type_picklist"] = "record_type_picklist"
    object: str
    record_type: str
    field: str
    values: tuple[str, ...] = ()
    every_value: bool = False
    default: str | None = None
    #: Declared by a ``[[picklist]] record_types`` entry, whose values exist once that picklist is applied
    #: (preflight does not look for them in the org). Not an attribute: never compared or stored.
    from_picklist: bool = Field(default=False, exclude=True)

    @property
    def key(self) -> str:
        return f"{self.object}.{self.record_type}/{self.field}"


def parse_key(key: str) -> tuple[str, str, str] | None:
    """``(object, record_type, field)`` of ``Account.Enterprise/Tier__c``; None when malformed."""
    slot, slash, field_name = key.rpartition("/")
    object_name, dot, record_type = slot.partition(".")
    if not slash or not dot or not object_name or not record_type or not field_name:
        return None
    return object_name, record_type, field_name


def _missing(desired: RecordTypePicklist, live: RecordTypePicklist) -> list[str]:
    offered = {v.casefold() for v in live.values}
    return [v for v in desired.values if v.casefold() not in offered]


class RecordTypePicklistKind(ResourceKind[RecordTypePicklistEntry, RecordTypePicklist]):
    name = "record_type_picklist"
    entry = RecordTypePicklistEntry
    resource = RecordTypePicklist
    noun = "record type picklist values"

    def expand(self, entry: RecordTypePicklistEntry, org: Expansion) -> list[RecordTypePicklist]:
        object_name, _, record_type = org.sub(entry.record_type).partition(".")
        every = entry.values == "*"
        values = () if every else tuple(org.sub(v) for v in entry.values)
        default = org.sub(entry.default) if entry.default else None
        return [
            RecordTypePicklist(
                object=object_name,
                record_type=record_type,
                field=org.sub(entry.field),
                values=values,
                every_value=every,
                default=default,
            )
        ]

    def plan(
        self, desired: RecordTypePicklist, live: RecordTypePicklist | None, entry: StateEntry | None, ctx: PlanContext
    ) -> Change | None:
        if live is None:
            return None  # an unknown record type or field: preflight reports it
        added = _missing(desired, live)  # a value the field is about to get is not among live.values
        missing = ["every value"] if desired.every_value and not live.every_value else added
        new_default = desired.default is not None and desired.default.casefold() != (live.default or "").casefold()
        if not missing and not new_default:
            return None
        after = live.model_copy(
            update={
                "values": live.values + tuple(added),
                "every_value": desired.every_value,  # live.every_value: the values active when read
                "default": desired.default if desired.default is not None else live.default,
            }
        )
        reasons = [f"not offered: {', '.join(missing)}"] if missing else []
        reasons += [f"default is {live.default or 'none'}"] if new_default else []
        return Change(
            address=desired.address, action=Action.UPDATE, before=live, after=after, reason="; ".join(reasons)
        )

    def plan_removal(self, address: Address, live: RecordTypePicklist | None, entry: StateEntry) -> Change:
        reason = "no longer declared: the record type keeps the values it offers"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before, after = change.before, change.after
        if not isinstance(after, RecordTypePicklist):
            return []
        held = set(before.values) if isinstance(before, RecordTypePicklist) else set()
        lines = [("+", f"value {v}") for v in after.values if v not in held]
        if after.every_value and not (isinstance(before, RecordTypePicklist) and before.every_value):
            lines.append(("+", "every active value"))
        if isinstance(before, RecordTypePicklist) and before.default != after.default:
            lines.append(("~", f"default: {before.default or 'none'} -> {after.default or 'none'}"))
        return lines

    def comparable(self, resource: RecordTypePicklist) -> Any:
        return (sorted(v.casefold() for v in resource.values), resource.every_value, resource.default)

    def diff_reason(self, source: RecordTypePicklist, target: RecordTypePicklist, names: tuple[str, str]) -> str:
        return f"{names[1]} offers {', '.join(target.values) or 'no value'}"

    def export(self, resources: Sequence[RecordTypePicklist], org: str, suffix: str) -> Exported:
        """One entry per record type and field: the values it offers and its default."""
        entries: list[dict[str, Any]] = []
        for item in sorted(resources, key=lambda r: r.key.casefold()):
            if item.record_type == EVERY_RECORD_TYPE:
                continue
            entry: dict[str, Any] = {"record_type": f"{item.object}.{item.record_type}", "field": item.field}
            entry["values"] = list(item.values) if item.values else "*"
            if item.default:
                entry["default"] = item.default
            entry["orgs"] = [org]
            entries.append(entry)
        return entries, []


def offered_on(picklist: Picklist, record_types: Sequence[str]) -> list[RecordTypePicklist]:
    """What ``[[picklist]] record_types`` declares: its active values offered on each named record type."""
    field = field_key(picklist.target)
    if field is None:
        return []
    values = tuple(value.name for value in picklist.values if value.active)
    return [
        RecordTypePicklist(object=field[0], record_type=name, field=field[1], values=values, from_picklist=True)
        for name in record_types
    ]


def added_values(change: Change) -> list[str]:
    """The values a picklist change makes active that were not active before (added or reactivated)."""
    if not isinstance(change.after, Picklist) or change.action not in (Action.CREATE, Action.UPDATE):
        return []
    before = change.before.values if isinstance(change.before, Picklist) else ()
    was_active = {v.name.casefold() for v in before if v.active}
    return [v.name for v in change.after.values if v.active and v.name.casefold() not in was_active]


def every_record_type_key(change: Change) -> str | None:
    """``Account.*/Tier__c`` for a change that adds values to the field ``Account.Tier__c``; else None."""
    field = field_key(change.address.key)
    if field is None or not added_values(change):
        return None
    return f"{field[0]}.{EVERY_RECORD_TYPE}/{field[1]}"


def unoffered_warnings(
    change: Change, desired: Mapping[Address, Resource], read: Mapping[Address, Resource]
) -> list[str]:
    """ "value Bronze is not available on record types Enterprise, SMB" for values a picklist change adds
    that a record type of the object (as ``read``) neither offers nor is declared to offer."""
    field = field_key(change.address.key)
    if field is None:
        return []
    object_name, field_name = (part.casefold() for part in field)

    def same_field(resource: Resource) -> bool:
        return (
            isinstance(resource, RecordTypePicklist)
            and resource.object.casefold() == object_name
            and resource.field.casefold() == field_name
        )

    live = [r for r in read.values() if same_field(r) and isinstance(r, RecordTypePicklist)]
    declared = [r for r in desired.values() if same_field(r) and isinstance(r, RecordTypePicklist)]
    lacking: dict[tuple[str, ...], list[str]] = {}
    for value in added_values(change):
        missing = tuple(
            sorted(
                (r.record_type for r in live if r.record_type != EVERY_RECORD_TYPE and not _offers(r, value, declared)),
                key=str.casefold,
            )
        )
        if missing:
            lacking.setdefault(missing, []).append(value)
    return [
        f"{change.address}: {'value' if len(values) == 1 else 'values'} {', '.join(values)} "
        f"{'is' if len(values) == 1 else 'are'} not available on record types {', '.join(record_types)} "
        "(add record_types to the picklist entry, or a record_type_picklist entry)"
        for record_types, values in lacking.items()
    ]


def _offers(live: RecordTypePicklist, value: str, declared: Sequence[RecordTypePicklist]) -> bool:
    """Whether the record type ``live`` offers ``value`` now or once the configuration is applied (a live
    ``every_value`` covers only the values active when it was read, not the one being added)."""
    covering = [d for d in declared if d.record_type.casefold() in (live.record_type.casefold(), EVERY_RECORD_TYPE)]
    offered = {v.casefold() for r in (live, *covering) for v in r.values}
    return value.casefold() in offered or any(r.every_value for r in covering)


def field_key(key: str) -> tuple[str, str] | None:
    """``(object, field)`` of a picklist key ``Account.Tier__c``; None for value sets (``gvs:``/``svs:``)."""
    if ":" in key:
        return None
    object_name, dot, field_name = key.partition(".")
    return (object_name, field_name) if dot else None
