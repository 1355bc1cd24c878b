"""``picklist``: the values of a custom picklist field, a global value set or a standard value set.

Addresses: ``picklist:Account.Tier__c``, ``picklist:gvs:Regions``, ``picklist:svs:Industry``.

Ownership (DESIGN.md §4): the live value list (org order, inactive values kept) merged with the declared
values (``reconcile.kinds.picklist_values``). A picklist is never created or deleted as a whole: a
missing target is skipped here (the provider's preflight reports it), and a picklist leaving the
configuration is a ``delete`` that deactivates the values this tool added or reactivated; values are
never hard-deleted. State records those values as ``managed_values``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from reconcile.config.messages import type_name
from reconcile.config.schema import (
    NON_EMPTY,
    Bool,
    Entry,
    FieldName,
    Finding,
    NonEmpty,
    SchemaModel,
    Segment,
    Str,
    duplicates,
    one_of,
)
from reconcile.errors import did_you_mean
from reconcile.kinds.base import Expansion, Exported, PlanContext, ResourceKind, Skipped, value_added
from reconcile.kinds.picklist_values import (
    MAX_VALUE_LENGTH,
    MAX_VALUES,
    Picklist,
    PicklistValue,
    deactivate_owned,
    describe_details,
    managed_values,
    merge_values,
    owned_after_apply,
)
from reconcile.kinds.record_type_picklist import (
    RecordTypePicklist,
    every_record_type_key,
    offered_on,
    unoffered_warnings,
)
from reconcile.model import Action, Address, Change, Resource, ValueChange
from state.base import StateEntry

# -- configuration -----------------------------------------------------------------------------------


class PicklistValueEntry(SchemaModel):
    """One declared picklist value, written as its name or a table; ``label`` defaults to ``name``."""

    PLURAL: ClassVar[str] = "value names or tables {name, label, default, active}"
    DESCRIPTION = "One picklist value written as a table (a plain string is the same as `{ name = ... }`)."
    KEY_DOCS = {
        "name": "The value's API name.",
        "label": "The label users see; defaults to `name`.",
        "default": "Make this value the picklist's default (at most one default per picklist).",
        "active": "`false` deactivates the value (records keep it); default `true`.",
    }
    EXAMPLES = {"name": "Bronze", "label": "Bronze tier", "default": True, "active": True}
    name: NonEmpty
    label: Str = ""
    default: Bool = False
    active: Bool = True

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if not isinstance(data, dict):
            raise ValueError(
                f"expected a value name or a table {{name, label, default, active}}, got {type_name(data)}"
            )
        return data


#: A value in the JSON Schema: a plain name is the same as ``{ name = "..." }``.
_VALUE_NAME: dict[str, Any] = {
    "description": 'A value name (the same as `{ name = "..." }`).',
    "type": "string",
    "minLength": 1,
}


class PicklistEntry(Entry):
    """``[[picklist]]``: the values of a custom field, a global or a standard value set."""

    DESCRIPTION = "The values of a custom picklist field, a global value set or a standard value set."
    KEY_DOCS = {
        "field": "A custom picklist field as `Object.Field__c`. For a standard picklist (Industry, "
        "LeadSource ...) use `standard_value_set`.",
        "global_value_set": "The name of a global value set.",
        "standard_value_set": "The name of a standard value set, e.g. `Industry`.",
        "values": "The declared values, in order: a name, or a table `{ name, label, default, active }`. "
        "Declared values get their label and become active (unless `active = false`); "
        "values the org lacks are appended after "
        "its existing ones.",
        "default": "The value that becomes the default. Without one (here or as `default = true` on a value), "
        "`additive` keeps the org's default and `exact` clears it.",
        "sorted": "Whether the org sorts the values alphabetically. Unset leaves the org's setting.",
        "mode": "`additive`: declared values are added, activated and relabelled; other values are left "
        "alone. `exact`: every active value that is not declared is deactivated.",
        "record_types": 'Record types (developer names; `"*"` for every one) that offer the active declared '
        "values (Salesforce does not offer new values on record types by itself). Fields only.",
    }
    EXAMPLES = {
        "field": "Account.Tier__c",
        "global_value_set": "Regions",
        "standard_value_set": "Industry",
        "values": ["Gold", "Silver", {"name": "Bronze", "label": "Bronze tier"}],
        "default": "Silver",
        "sorted": False,
        "mode": "exact",
        "record_types": ["Enterprise", "SMB"],
    }
    EXACTLY_ONE = ("field", "global_value_set", "standard_value_set")
    SUBTABLES = (PicklistValueEntry,)
    SCHEMA_ITEMS = {"values": _VALUE_NAME}

    field: FieldName | None = None
    global_value_set: NonEmpty | None = None
    standard_value_set: NonEmpty | None = None
    values: tuple[PicklistValueEntry, ...] = Field(min_length=1)
    default: NonEmpty | None = None
    sorted: Bool | None = None
    mode: Literal["additive", "exact"] = "additive"
    record_types: tuple[Annotated[Segment, NON_EMPTY], ...] | None = Field(default=None, min_length=1)

    @property
    def target(self) -> str:
        """``Account.Tier__c``, ``gvs:Regions`` or ``svs:Industry``."""
        if self.global_value_set is not None:
            return f"gvs:{self.global_value_set}"
        if self.standard_value_set is not None:
            return f"svs:{self.standard_value_set}"
        return self.field or ""

    def findings(self) -> list[Finding]:
        found = one_of(self, ("field", "global_value_set", "standard_value_set"))
        if self.record_types is not None and self.field is None:
            hint = "use record_type_picklist entries, or declare the values of a field"
            found.append((("record_types",), "record_types applies to a field's values only", hint))
        found += duplicates(self.record_types or (), "record_types", "record type")
        names = tuple(value.name for value in self.values)
        found += duplicates(names, "values", "value")
        if self.default is not None and self.default not in names:
            found.append(
                (
                    ("default",),
                    f"default '{self.default}' is not one of the values" + did_you_mean(self.default, names),
                    "add it to `values` or fix the spelling",
                )
            )
        if len(self.values) > MAX_VALUES:
            found.append(
                (
                    ("values",),
                    f"{len(self.values)} values: Salesforce allows {MAX_VALUES} in a picklist, inactive ones included",
                    "split the values, or remove the ones no longer used",
                )
            )
        for value in self.values:
            if len(value.name) > MAX_VALUE_LENGTH or len(value.label) > MAX_VALUE_LENGTH:
                found.append(
                    (
                        ("values",),
                        f"value '{value.name[:40]}...' is longer than {MAX_VALUE_LENGTH} characters, the most "
                        "Salesforce allows for a picklist value's name and label",
                        "shorten it",
                    )
                )
        marked = {value.name for value in self.values if value.default}
        defaults = sorted(marked | {self.default} if self.default else marked)
        if len(defaults) > 1:
            message = "a picklist has at most one default; this one has " + " and ".join(map(repr, defaults))
            found.append((("default",) if self.default else ("values",), message, "keep one default"))
        return found


# -- the kind ----------------------------------------------------------------------------------------

_TARGET_ORDER = {"field": 0, "global_value_set": 1, "standard_value_set": 2}


class PicklistKind(ResourceKind[PicklistEntry, Picklist]):
    name = "picklist"
    entry = PicklistEntry
    resource = Picklist

    def declares(self, entry: PicklistEntry) -> tuple[str, ...]:
        return (self.name, "record_type_picklist") if entry.record_types else (self.name,)

    def expand(self, entry: PicklistEntry, org: Expansion) -> list[Picklist | RecordTypePicklist]:
        sub = org.sub
        values = tuple(
            PicklistValue(
                name=sub(value.name),
                label=sub(value.label or value.name),
                default=value.default or value.name == entry.default,
                active=value.active,
            )
            for value in entry.values
        )
        picklist = Picklist(target=sub(entry.target), values=values, sorted=entry.sorted, mode=entry.mode)
        return [picklist, *offered_on(picklist, [sub(name) for name in entry.record_types or ()])]

    def plan(
        self, desired: Picklist, live: Picklist | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        if live is None:
            return None
        values, details = merge_values(desired, live, managed_values(entry))
        sorted_ = desired.sorted if desired.sorted is not None else live.sorted
        if values == live.values and sorted_ == live.sorted:
            return None
        after = Picklist(target=desired.target, values=values, sorted=sorted_, mode=desired.mode, ids=live.ids)
        reason = describe_details(details) or f"sorted becomes {str(sorted_).lower()}"
        return Change(
            address=desired.address, action=Action.UPDATE, before=live, after=after, reason=reason, details=details
        )

    def plan_removal(self, address: Address, live: Picklist | None, entry: StateEntry) -> Change:
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="no longer in the org")
        after_values, details = deactivate_owned(live, managed_values(entry))
        if after_values == live.values:
            reason = "values already inactive" if managed_values(entry) else "it added no values"
            return Change(address=address, action=Action.FORGET, before=live, reason=reason)
        return Change(
            address=address,
            action=Action.DELETE,
            before=live,
            after=live.model_copy(update={"values": after_values}),
            reason="no longer declared: deactivating the values this tool added",
            details=details,
        )

    def state_attributes(self, change: Change, previous: StateEntry | None) -> dict[str, Any]:
        after = change.after
        if not isinstance(after, Picklist):
            return super().state_attributes(change, previous)
        attributes = after.attributes()
        attributes["managed_values"] = owned_after_apply(after, change.details, managed_values(previous))
        return attributes

    def warning_reads(self, changes: Sequence[Change]) -> dict[str, set[str]]:
        """The record types of the objects whose fields get new values (to warn about those not offering them)."""
        keys = {key for key in map(every_record_type_key, changes) if key is not None}
        return {"record_type_picklist": keys} if keys else {}

    def plan_warnings(
        self, changes: Sequence[Change], desired: Mapping[Address, Resource], read: Mapping[Address, Resource]
    ) -> list[str]:
        return [warning for change in changes for warning in unoffered_warnings(change, desired, read)]

    def detail_lines(self, change: Change) -> list[tuple[str, str]]:
        if isinstance(change.after, Picklist) and change.action is Action.CREATE:
            return [("+", value_added(v.name, v.label)) for v in change.after.values]
        return []

    def comparable(self, resource: Picklist) -> Any:
        """A picklist's values by name: order and mode are not what a hand change alters."""
        return sorted((v.name, v.label, v.active, v.default) for v in resource.values)

    def unlisted_keys(self, keys: Iterable[str]) -> set[str]:
        """Standard value sets: Salesforce cannot list them, so only those the config names are read."""
        return {key for key in keys if key.startswith("svs:")}

    # -- diff --------------------------------------------------------------------------------------

    def as_target(self, source: Picklist, target: Picklist | None, key: str, suffix: str) -> Picklist:
        ids = target.ids if target is not None else {}
        active = tuple(value for value in source.values if value.active)
        return source.model_copy(update={"values": active, "ids": ids})

    def compare(self, source: Picklist, target: Picklist, after: Picklist, names: tuple[str, str]) -> Change | None:
        """Active values (name, label) and the default; inactive values and ``sorted`` are not compared
        (an inactive value and a missing one offer users the same choices)."""
        details = _picklist_details(source, target)
        if not details:
            return None
        exact = any(d.change in ("deactivate", "undefault") for d in details)
        after = after.model_copy(update={"mode": "exact" if exact else "additive"})
        reason = f"{len(details)} value difference{'' if len(details) == 1 else 's'}"
        return Change(
            address=target.address, action=Action.UPDATE, before=target, after=after, details=details, reason=reason
        )

    def adoption_problem(self, change: Change, target: str) -> str:
        after = change.after
        if change.action is Action.CREATE and isinstance(after, Picklist) and after.target_type != "global_value_set":
            return f"{after.target_name} does not exist in {target}; reconcile does not create fields or value sets"
        return ""

    # -- import ------------------------------------------------------------------------------------

    def export(self, resources: Sequence[Picklist], org: str, suffix: str) -> Exported:
        """One entry per field or value set: its active values in org order (a value whose label differs
        from its name as ``{ name, label }``) and its ``default``. Inactive values are left out (the default
        ``additive`` mode leaves them inactive); a set with no active value cannot be declared."""
        entries: list[dict[str, Any]] = []
        skipped: list[Skipped] = []
        for picklist in sorted(resources, key=lambda p: (_TARGET_ORDER[p.target_type], p.target_name.casefold())):
            active = [value for value in picklist.values if value.active]
            if not active:
                skipped.append(Skipped(picklist.address, "it has no active value"))
                continue
            entry: dict[str, Any] = {picklist.target_type: picklist.target_name}
            entry["values"] = [v.name if v.label == v.name else {"name": v.name, "label": v.label} for v in active]
            default = next((v.name for v in active if v.default), None)
            if default is not None:
                entry["default"] = default
            if picklist.mode == "exact":
                entry["mode"] = "exact"
            entry["orgs"] = [org]
            entries.append(entry)
        return entries, skipped


def _picklist_details(left: Picklist, right: Picklist) -> tuple[ValueChange, ...]:
    wanted = {value.name: value for value in left.values if value.active}
    held = {value.name: value for value in right.values}
    details: list[ValueChange] = []
    for name, value in wanted.items():
        details += _value_changes(value, held.get(name))
    details += [
        ValueChange(value=value.name, change="deactivate")
        for value in right.values
        if value.active and value.name not in wanted
    ]
    left_default = next((v.name for v in wanted.values() if v.default), None)
    right_default = next((v.name for v in right.values if v.active and v.default), None)
    if left_default is not None and left_default != right_default:
        details.append(ValueChange(value=left_default, change="default", before=right_default))
    elif left_default is None and right_default is not None:
        details.append(ValueChange(value=right_default, change="undefault"))
    return tuple(details)


def _value_changes(value: PicklistValue, held: PicklistValue | None) -> list[ValueChange]:
    if held is None:
        return [ValueChange(value=value.name, change="add", after=value.label)]
    changes: list[ValueChange] = []
    if not held.active:
        changes.append(ValueChange(value=value.name, change="reactivate"))
    if held.label != value.label:
        changes.append(ValueChange(value=value.name, change="relabel", before=held.label, after=value.label))
    return changes
