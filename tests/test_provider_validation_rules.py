"""Validation rules (Tooling ValidationRule) through the provider and the emulator, over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from providers.emulator.org import ids
from reconcile.kinds.validation_rule import ValidationRule
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, live, narrow, provider_seed

KIND = "validation_rule"
RULES = [
    ("Account", "Require_Tier", False),
    ("Account", "Region_Set", True),
    ("Account", "Name_Length", True),
    ("Contact", "Email_Required", False),
]


def seed_with_rules() -> dict[str, Any]:
    seed = provider_seed()
    seed["objects"].append({"name": "Contact"})
    seed["validation_rules"] = [
        {"object": o, "name": n, "active": a, "error_message": f"{n} failed", "formula": "false"} for o, n, a in RULES
    ]
    return seed


def rule(key: str, active: bool) -> ValidationRule:
    object_name, _, name = key.partition(".")
    return ValidationRule(object=object_name, rule=name, active=active)


def switch(found: dict[Address, Any], key: str, active: bool) -> Change:
    before = found[Address(KIND, key)]
    after = rule(key, active).model_copy(update={"ids": before.ids})
    return Change(address=after.address, action=Action.UPDATE, before=live(before), after=after)


def test_read_costs_one_query_for_any_number_of_rules(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    keys = [f"{o}.{n}" for o, n, _ in RULES] + ["account.require_tier", "Account.No_Such_Rule"]
    found = org.provider.read(KIND, keys)
    assert org.provider.usage.by_endpoint == {"GET tooling/query": 1}
    assert org.requests() == org.provider.usage.by_endpoint
    assert set(found) == {Address(KIND, k) for k in keys[:-1]}  # keyed as asked, the unknown one left out
    tier = narrow(found[Address(KIND, "Account.Require_Tier")], ValidationRule)
    assert tier.active is False and tier.ids["rule"].startswith("03d")
    assert narrow(found[Address(KIND, "Account.Region_Set")], ValidationRule).active is True


def test_switching_writes_the_whole_metadata_one_rule_at_a_time(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    found = org.provider.read(KIND, ["Account.Require_Tier", "Account.Region_Set"])
    org.reset_counts()
    changes = [switch(found, "Account.Require_Tier", True), switch(found, "Account.Region_Set", False)]
    results = org.provider.apply(KIND, changes)
    assert all(r.ok for r in results), results
    assert [r.message for r in results] == ["activated", "deactivated"]
    calls = org.requests()
    assert calls == {"GET tooling/sobjects/ValidationRule/{id}": 2, "PATCH tooling/sobjects/ValidationRule/{id}": 2}
    assert sum(calls.values()) == org.provider.usage.calls

    row = org.rows("ValidationRule", ValidationName="Require_Tier")[0]
    assert row["Active"] is True and row["Metadata"]["active"] is True
    assert row["Metadata"]["errorMessage"] == "Require_Tier failed"  # the rest of Metadata kept
    again = org.provider.read(KIND, ["Account.Require_Tier", "Account.Region_Set"])
    assert narrow(again[Address(KIND, "Account.Require_Tier")], ValidationRule).active is True
    assert narrow(again[Address(KIND, "Account.Region_Set")], ValidationRule).active is False


def test_forget_touches_nothing_and_an_unknown_id_fails_alone(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    found = org.provider.read(KIND, ["Account.Require_Tier"])
    gone = rule("Account.Require_Tier", True).model_copy(update={"ids": {"rule": ids.to_18("03dEm0000000000")}})
    changes = [
        Change(address=Address(KIND, "Account.Name_Length"), action=Action.FORGET),
        Change(address=gone.address, action=Action.UPDATE, before=live(gone), after=gone),
        switch(found, "Account.Require_Tier", True),
    ]
    org.reset_counts()
    results = org.provider.apply(KIND, changes)
    assert results[0].ok and "untouched" in results[0].message
    assert not results[1].ok and results[1].code == "NOT_FOUND", results[1]
    assert results[2].ok, results[2]


def test_preflight_names_unknown_rules_and_objects(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    desired = [rule("Account.Require_Tier", True), rule("Account.Require_Tierr", True), rule("Acount.Region_Set", True)]
    org.provider.read(KIND, [d.key for d in desired])
    org.reset_counts()
    problems = org.provider.preflight(KIND, desired)
    texts = sorted(str(p) for p in problems)
    assert len(texts) == 2, texts
    assert any("unknown object Acount" in t and "did you mean Account?" in t for t in texts), texts
    assert any(
        "unknown validation rule Account.Require_Tierr" in t and "did you mean Require_Tier?" in t for t in texts
    )


def test_preflight_of_rules_read_costs_nothing(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    desired = [rule(f"{o}.{n}", True) for o, n, _ in RULES]
    org.provider.read(KIND, [d.key for d in desired])
    org.reset_counts()
    assert org.provider.preflight(KIND, desired) == []
    assert org.provider.usage.calls == 0


def test_inventory_lists_every_rule_in_one_query(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    listed = org.provider.inventory(KIND)
    assert org.provider.usage.by_endpoint == {"GET tooling/query": 1}
    assert list(listed) == sorted(Address(KIND, f"{o}.{n}") for o, n, _ in RULES)
    assert narrow(listed[Address(KIND, "Contact.Email_Required")], ValidationRule).active is False
