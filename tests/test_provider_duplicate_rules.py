"""Duplicate rules (Metadata API DuplicateRule, listed by the DuplicateRule sObject) through the provider
and the emulator, over HTTPS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from providers.salesforce import SalesforceProvider, connect
from reconcile.kinds.duplicate_rule import DuplicateRule
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, connection_for, live, narrow, provider_seed

KIND = "duplicate_rule"
READ = "POST Soap/m readMetadata"
UPDATE = "POST Soap/m updateMetadata"
RULES = [
    ("Account", "Standard_Account_Duplicate_Rule", True),
    ("Contact", "Standard_Contact_Duplicate_Rule", False),
    ("Lead", "Standard_Lead_Duplicate_Rule", True),
] + [("Account", f"Account_Rule_{n:02}", n % 2 == 0) for n in range(12)]


def seed_with_rules() -> dict[str, Any]:
    seed = provider_seed()
    seed["objects"] += [{"name": "Contact"}, {"name": "Lead"}]
    seed["duplicate_rules"] = [{"object": o, "name": n, "active": a} for o, n, a in RULES]
    return seed


@contextmanager
def fresh(org: EmulatedOrg) -> Iterator[SalesforceProvider]:
    """A second provider on the same org: it remembers nothing ``org.provider`` read."""
    provider = connect(connection_for(org.handle))
    try:
        yield provider
    finally:
        provider.close()


def rule(key: str, active: bool) -> DuplicateRule:
    object_name, _, name = key.partition(".")
    return DuplicateRule(object=object_name, rule=name, active=active)


def switch(found: dict[Address, Any], key: str, active: bool) -> Change:
    before = found[Address(KIND, key)]
    after = rule(key, active).model_copy(update={"ids": before.ids})
    return Change(address=after.address, action=Action.UPDATE, before=live(before), after=after)


def test_read_costs_one_query_for_any_number_of_rules(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    keys = [f"{o}.{n}" for o, n, _ in RULES] + ["account.standard_account_duplicate_rule", "Account.No_Such_Rule"]
    found = org.provider.read(KIND, keys)
    assert org.provider.usage.by_endpoint == {"GET query": 1}  # 15 rules, no Metadata API call
    assert org.requests() == org.provider.usage.by_endpoint
    assert set(found) == {Address(KIND, k) for k in keys[:-1]}  # keyed as asked, the unknown one left out
    contact = narrow(found[Address(KIND, "Contact.Standard_Contact_Duplicate_Rule")], DuplicateRule)
    assert contact.active is False and contact.ids["rule"].startswith("0Bm")
    assert narrow(found[Address(KIND, "Account.Account_Rule_00")], DuplicateRule).active is True


def test_switching_writes_whole_components_ten_a_call(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    keys = [f"{o}.{n}" for o, n, _ in RULES]
    found = org.provider.read(KIND, keys)
    org.reset_counts()
    changes = [switch(found, f"{o}.{n}", not a) for o, n, a in RULES]
    results = org.provider.apply(KIND, changes)
    assert all(r.ok for r in results), results
    assert results[0].message == "deactivated" and results[1].message == "activated"
    assert org.requests() == {READ: 2, UPDATE: 2}  # the whole components of 15 rules, 10 a call
    assert org.provider.usage.calls == 4

    row = org.rows("DuplicateRule", DeveloperName="Standard_Contact_Duplicate_Rule")[0]
    assert row["IsActive"] is True and row["Metadata"]["isActive"] is True
    assert row["Metadata"]["operationsOnInsert"] == ["Alert", "Report"]  # the rest of the component kept
    assert row["Metadata"]["duplicateRuleMatchRules"][0]["matchingRule"] == "Standard_Contact_Match_Rule_v1_0"
    with fresh(org) as provider:
        again = provider.read(KIND, keys)
    assert all(narrow(again[Address(KIND, f"{o}.{n}")], DuplicateRule).active is (not a) for o, n, a in RULES)


def test_apply_without_a_read_reads_the_components_first(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    found = org.provider.read(KIND, ["Lead.Standard_Lead_Duplicate_Rule"])
    with fresh(org) as provider:
        org.reset_counts()
        results = provider.apply(KIND, [switch(found, "Lead.Standard_Lead_Duplicate_Rule", False)])
    assert results[0].ok, results
    assert org.requests() == {"GET query": 1, READ: 1, UPDATE: 1}


def test_forget_touches_nothing_and_an_unknown_rule_fails_alone(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    found = org.provider.read(KIND, ["Lead.Standard_Lead_Duplicate_Rule"])
    gone = rule("Lead.Gone_Rule", True)
    changes = [
        Change(address=Address(KIND, "Account.Account_Rule_01"), action=Action.FORGET),
        Change(address=gone.address, action=Action.UPDATE, before=live(gone), after=gone),
        switch(found, "Lead.Standard_Lead_Duplicate_Rule", False),
    ]
    org.reset_counts()
    results = org.provider.apply(KIND, changes)
    assert results[0].ok and "untouched" in results[0].message
    assert not results[1].ok and results[1].code == "NOT_FOUND", results[1]
    assert results[2].ok, results[2]
    assert org.requests() == {READ: 1, UPDATE: 1}


def test_preflight_names_unknown_rules_and_objects(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_rules())
    desired = [
        rule("Account.Standard_Account_Duplicate_Rule", True),
        rule("Account.Standard_Account_Duplicate_Rul", True),
        rule("Acount.Standard_Account_Duplicate_Rule", True),
    ]
    org.provider.read(KIND, [d.key for d in desired])
    problems = org.provider.preflight(KIND, desired)
    texts = sorted(str(p) for p in problems)
    assert len(texts) == 2, texts
    assert any("unknown object Acount" in t and "did you mean Account?" in t for t in texts), texts
    assert any(
        "unknown duplicate rule Account.Standard_Account_Duplicate_Rul" in t
        and "did you mean Standard_Account_Duplicate_Rule?" in t
        for t in texts
    ), texts


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
    assert org.provider.usage.by_endpoint == {"GET query": 1}
    assert list(listed) == sorted(Address(KIND, f"{o}.{n}") for o, n, _ in RULES)
    assert narrow(listed[Address(KIND, "Contact.Standard_Contact_Duplicate_Rule")], DuplicateRule).active is False


def test_a_rule_salesforce_refuses_fails_alone_with_its_own_error(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = seed_with_rules()
    seed["duplicate_rules"][1]["metadata"] = {"securityOption": "Bogus"}  # the org refuses to save it back
    org = emulated(seed)
    keys = ["Account.Standard_Account_Duplicate_Rule", "Contact.Standard_Contact_Duplicate_Rule"]
    found = org.provider.read(KIND, keys)
    org.reset_counts()
    results = org.provider.apply(KIND, [switch(found, keys[0], False), switch(found, keys[1], True)])
    assert results[0].ok, results
    assert not results[1].ok and results[1].code == "FIELD_INTEGRITY_EXCEPTION", results[1]
    assert org.requests() == {READ: 1, UPDATE: 1}
    assert org.rows("DuplicateRule", DeveloperName="Standard_Contact_Duplicate_Rule")[0]["IsActive"] is False
    again = org.provider.read(KIND, keys)
    assert narrow(again[Address(KIND, keys[1])], DuplicateRule).active is False
