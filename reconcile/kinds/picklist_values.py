"""Picklist value sets: the resource model, how declared values merge into a live list, and which values
this tool owns.

Merging keeps the live list (org order, inactive values kept) and appends new values. A declared value
gets its declared label and becomes active (inactive when declared ``active = false``). The default
follows a declared ``default``; without one, ``additive`` keeps the live default and ``exact`` clears
it. An undeclared active value is deactivated in ``exact`` mode, and in either mode when this tool owns
it (it added or reactivated it earlier and the config no longer declares it). An inactive value is
never the default.

Ownership (state ``managed_values``) is the values this tool made active: added or reactivated, kept while
they stay active. When a picklist leaves the config, exactly those values are deactivated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from reconcile.model import Frozen, Resource, ValueChange
from state.base import StateEntry

#: Salesforce's caps: 1,000 values in one picklist (active and inactive, custom fields and global value
#: sets: "General Picklist Limits" in Salesforce Help), 255 characters for a value's name and label.
MAX_VALUES = 1000
MAX_VALUE_LENGTH = 255


class PicklistValue(Frozen):
    """One value of a picklist. ``name`` is the API name (Salesforce ``valueName``/``fullName``)."""

    name: str
    label: str = ""
    default: bool = False
    active: bool = True

    def model_post_init(self, __context: Any) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)


class Picklist(Resource):
    """A picklist's value set: a custom field (``Account.Tier__c``), a global value set (``gvs:Regions``)
    or a standard value set (``svs:Industry``).

    Read from an org it lists every value, inactive ones included, in the org's order. Desired, it lists
    the declared values; ``mode`` says whether undeclared live values are left alone (``additive``) or
    deactivated (``exact``). ``sorted`` is None when the config does not say.
    """

    kind: Literal["picklist"] = "picklist"
    target: str
    values: tuple[PicklistValue, ...] = ()
    sorted: bool | None = None
    mode: Literal["additive", "exact"] = "additive"

    @property
    def key(self) -> str:
        return self.target

    @property
    def target_type(self) -> Literal["field", "global_value_set", "standard_value_set"]:
        if self.target.startswith("gvs:"):
            return "global_value_set"
        if self.target.startswith("svs:"):
            return "standard_value_set"
        return "field"

    @property
    def target_name(self) -> str:
        """``Account.Tier__c``, or the value set's name without its ``gvs:``/``svs:`` prefix."""
        return self.target.split(":", 1)[1] if ":" in self.target else self.target

    @property
    def default_value(self) -> str | None:
        return next((v.name for v in self.values if v.default), None)


_PAST = {
    "add": "added",
    "relabel": "relabelled",
    "default": "made default",
    "undefault": "no longer default",
    "deactivate": "deactivated",
    "reactivate": "reactivated",
}


def managed_values(entry: StateEntry | None) -> set[str]:
    """The picklist values a state entry says this tool made active (empty without an entry)."""
    if entry is None:
        return set()
    return {str(name) for name in entry.attributes.get("managed_values", ())}


def _target_default(name: str, active: bool, was_default: bool, desired: Picklist) -> bool:
    if not active:
        return False
    if desired.default_value is not None:
        return name == desired.default_value
    return was_default and desired.mode == "additive"


def _target_value(
    live: PicklistValue | None, want: PicklistValue | None, desired: Picklist, managed: set[str]
) -> PicklistValue:
    if want is not None:
        name, label, active = want.name, want.label, want.active
    elif live is not None:
        name, label = live.name, live.label
        owned = desired.mode == "exact" or live.name in managed
        active = live.active and not owned
    else:
        raise ValueError("a value must be live, declared or both")
    was_default = live.default if live is not None else False
    default = _target_default(name, active, was_default, desired)
    return PicklistValue(name=name, label=label, active=active, default=default)


def value_details(before: PicklistValue | None, after: PicklistValue) -> list[ValueChange]:
    """What changes for one value, in the order add, relabel, (de|re)activate, (un)default."""
    if before is None:
        return [ValueChange(value=after.name, change="add", after=after.label)]
    details: list[ValueChange] = []
    if before.label != after.label:
        details.append(ValueChange(value=after.name, change="relabel", before=before.label, after=after.label))
    if before.active != after.active:
        details.append(ValueChange(value=after.name, change="reactivate" if after.active else "deactivate"))
    if before.default != after.default:
        details.append(ValueChange(value=after.name, change="default" if after.default else "undefault"))
    return details


def merge_values(
    desired: Picklist, live: Picklist, managed: set[str]
) -> tuple[tuple[PicklistValue, ...], tuple[ValueChange, ...]]:
    """The complete value list to write (live values in org order, then new ones in declared order)
    and its value-level detail. ``managed`` are the values this tool owns from earlier applies."""
    declared = {value.name: value for value in desired.values}
    live_names = {value.name for value in live.values}
    pairs: list[tuple[PicklistValue | None, PicklistValue | None]] = [
        (value, declared.get(value.name)) for value in live.values
    ]
    pairs += [(None, value) for value in desired.values if value.name not in live_names]
    merged = tuple(_target_value(before, want, desired, managed) for before, want in pairs)
    details = [d for (before, _), after in zip(pairs, merged, strict=True) for d in value_details(before, after)]
    old_default = live.default_value
    details = [
        d.model_copy(update={"before": old_default}) if d.change == "default" and old_default else d for d in details
    ]
    return merged, tuple(details)


def deactivate_owned(live: Picklist, managed: set[str]) -> tuple[tuple[PicklistValue, ...], tuple[ValueChange, ...]]:
    """The live list with the owned values that are still active deactivated (and no longer default)."""
    values = tuple(
        value.model_copy(update={"active": False, "default": False})
        if value.active and value.name in managed
        else value
        for value in live.values
    )
    details = tuple(d for b, a in zip(live.values, values, strict=True) for d in value_details(b, a))
    return values, details


def owned_after_apply(after: Picklist, details: Iterable[ValueChange], previously: set[str]) -> list[str]:
    """The values this tool owns once ``after`` is written: those it owned before or just added or
    reactivated, that are active in ``after``; in list order."""
    made_active = {d.value for d in details if d.change in ("add", "reactivate")}
    owned = previously | made_active
    return [value.name for value in after.values if value.active and value.name in owned]


#: How many values a summary names for one kind of change before it counts the rest.
NAMED_VALUES = 3


def describe_details(details: Iterable[ValueChange]) -> str:
    """A short summary naming the values, one part per kind of change in the order they come, such as
    ``value Bronze added, values Copper, Iron deactivated``; past ``NAMED_VALUES`` names a part counts the
    rest (``values A, B, C and 2 more deactivated``)."""
    names: dict[str, list[str]] = {}
    for detail in details:
        names.setdefault(detail.change, []).append(detail.value)
    return ", ".join(f"{_named(values)} {_PAST[change]}" for change, values in names.items())


def _named(values: list[str]) -> str:
    noun = "value" if len(values) == 1 else "values"
    more = len(values) - NAMED_VALUES
    return f"{noun} {', '.join(values[:NAMED_VALUES])}" + (f" and {more} more" if more > 0 else "")
