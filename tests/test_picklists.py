"""Picklist merge rules that the planner relies on."""

from __future__ import annotations

from reconcile.kinds.picklist_values import (
    Picklist,
    PicklistValue,
    describe_details,
    merge_values,
    owned_after_apply,
)
from reconcile.model import ValueChange


def picklist(*values: PicklistValue, mode: str = "additive") -> Picklist:
    return Picklist(target="Account.Tier__c", values=values, mode=mode)  # type: ignore[arg-type]


def test_a_value_declared_inactive_is_deactivated() -> None:
    live = picklist(PicklistValue(name="Gold"), PicklistValue(name="Copper"))
    desired = picklist(PicklistValue(name="Gold"), PicklistValue(name="Copper", active=False))
    merged, details = merge_values(desired, live, set())
    assert [(v.name, v.active) for v in merged] == [("Gold", True), ("Copper", False)]
    assert [(d.value, d.change) for d in details] == [("Copper", "deactivate")]


def test_a_new_value_declared_inactive_is_added_inactive_and_not_owned() -> None:
    live = picklist(PicklistValue(name="Gold"))
    desired = picklist(PicklistValue(name="Gold"), PicklistValue(name="Legacy", active=False))
    merged, details = merge_values(desired, live, set())
    assert [(v.name, v.active) for v in merged] == [("Gold", True), ("Legacy", False)]
    assert owned_after_apply(picklist(*merged), details, set()) == []


def test_declared_values_are_reactivated_and_relabelled() -> None:
    live = picklist(PicklistValue(name="Gold", label="Old", active=False))
    desired = picklist(PicklistValue(name="Gold", label="Gold tier"))
    merged, details = merge_values(desired, live, set())
    assert merged == (PicklistValue(name="Gold", label="Gold tier"),)
    assert {d.change for d in details} == {"relabel", "reactivate"}


def test_a_moved_default_names_the_old_default() -> None:
    live = picklist(PicklistValue(name="Gold", default=True), PicklistValue(name="Silver"))
    desired = Picklist(target="Account.Tier__c", values=(PicklistValue(name="Silver", default=True),))
    _, details = merge_values(desired, live, set())
    moved = [d for d in details if d.change == "default"]
    assert [(d.value, d.before) for d in moved] == [("Silver", "Gold")]


def test_a_summary_names_the_values_and_counts_past_a_few() -> None:
    def deactivated(*names: str) -> list[ValueChange]:
        return [ValueChange(value=name, change="deactivate") for name in names]

    assert describe_details(deactivated("Platinum")) == "value Platinum deactivated"
    assert describe_details(deactivated("Platinum", "Iron")) == "values Platinum, Iron deactivated"
    assert describe_details(deactivated("A", "B", "C")) == "values A, B, C deactivated"
    assert describe_details(deactivated("A", "B", "C", "D", "E")) == "values A, B, C and 2 more deactivated"
    mixed = [
        ValueChange(value="Bronze", change="add", after="Bronze"),
        *deactivated("Copper"),
        ValueChange(value="Gold", change="relabel", before="Gold", after="Gold tier"),
        ValueChange(value="Gold", change="default", before="Silver"),
        ValueChange(value="Silver", change="undefault"),
        ValueChange(value="Iron", change="reactivate"),
    ]
    assert describe_details(mixed) == (
        "value Bronze added, value Copper deactivated, value Gold relabelled, "
        "value Gold made default, value Silver no longer default, "
        "value Iron reactivated"
    )
    assert describe_details([]) == ""
