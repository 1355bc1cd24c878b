"""Picklists (custom fields, global and standard value sets) through the provider and the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, live, narrow, provider_seed

PICK = "picklist"


def value(name: str, label: str = "", default: bool = False, active: bool = True) -> PicklistValue:
    return PicklistValue(name=name, label=label, default=default, active=active)


def test_read_lists_inactive_values_and_skips_bound_fields(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    live = org.provider.read(
        PICK, ["Account.Tier__c", "Account.Region__c", "gvs:Regions", "svs:Industry", "Account.Missing__c"]
    )
    assert sorted(a.key for a in live) == ["Account.Tier__c", "gvs:Regions", "svs:Industry"]
    tier = live[Address(PICK, "Account.Tier__c")]
    assert isinstance(tier, Picklist)
    assert tier.values == (value("Gold"), value("Silver", default=True), value("Legacy", active=False))
    assert tier.sorted is False
    assert org.provider.usage.by_endpoint == {"POST Soap/m readMetadata": 3}


def test_read_apply_read_reaches_the_desired_values(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    found = org.provider.read(PICK, ["Account.Tier__c", "gvs:Regions", "svs:Industry", "gvs:Channels"])
    tier = found[Address(PICK, "Account.Tier__c")]
    regions = found[Address(PICK, "gvs:Regions")]
    industry = found[Address(PICK, "svs:Industry")]
    desired = {
        tier.address: Picklist(
            target="Account.Tier__c",
            values=(
                value("Gold", "Gold tier", default=True),
                value("Silver", active=False),
                value("Legacy"),
                value("Bronze"),
            ),
        ),
        regions.address: Picklist(target="gvs:Regions", values=(value("EMEA"), value("AMER"), value("APAC"))),
        industry.address: Picklist(
            target="svs:Industry", values=(value("Banking"), value("Energy", active=False)), sorted=True
        ),
        Address(PICK, "gvs:Channels"): Picklist(target="gvs:Channels", values=(value("Web"), value("Phone"))),
    }
    changes = [
        Change(address=a, action=Action.UPDATE if a in found else Action.CREATE, before=live(found.get(a)), after=p)
        for a, p in desired.items()
    ]
    org.reset_counts()
    results = org.provider.apply(PICK, changes)
    assert [r.ok for r in results] == [True] * 4, results
    assert org.provider.usage.by_endpoint == {
        "POST Soap/m updateMetadata": 3,  # one per type: CustomField, GlobalValueSet, StandardValueSet
        "POST Soap/m upsertMetadata": 1,  # the new global value set
    }
    again = org.provider.read(PICK, [a.key for a in desired])
    for address, picklist in desired.items():
        assert narrow(again[address], Picklist).values == picklist.values, address
    assert narrow(again[industry.address], Picklist).sorted is True


def test_values_the_list_omits_are_deactivated_not_dropped(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    change = Change(
        address=Address(PICK, "Account.Tier__c"),
        action=Action.UPDATE,
        after=Picklist(target="Account.Tier__c", values=(value("Gold", default=True),)),
    )
    assert org.provider.apply(PICK, [change])[0].ok
    tier = narrow(org.provider.read(PICK, ["Account.Tier__c"])[change.address], Picklist)
    assert tier.values == (
        value("Gold", default=True),
        value("Silver", active=False),
        value("Legacy", active=False),
    )


def test_fifty_fields_read_and_written_ten_a_call(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = provider_seed()
    fields = [{"name": f"Pick{n:02d}__c", "type": "Picklist", "values": ["A", "B"]} for n in range(50)]
    seed["objects"].append({"name": "Invoice__c", "layouts": ["Invoice Layout"], "fields": fields})
    org = emulated(seed)
    keys = [f"Invoice__c.Pick{n:02d}__c" for n in range(50)]
    found = [narrow(p, Picklist) for p in org.provider.read(PICK, keys).values()]
    assert len(found) == 50
    assert org.provider.usage.by_endpoint == {"POST Soap/m readMetadata": 5}
    assert org.requests() == org.provider.usage.by_endpoint

    org.reset_counts()
    changes = [
        Change(
            address=p.address,
            action=Action.UPDATE,
            before=p,
            after=p.model_copy(update={"values": (*p.values, value("C"))}),
        )
        for p in found
    ]
    assert all(r.ok for r in org.provider.apply(PICK, changes))
    assert org.provider.usage.by_endpoint == {"POST Soap/m updateMetadata": 5}
    assert org.requests() == org.provider.usage.by_endpoint
    first = narrow(org.provider.read(PICK, keys[:1])[changes[0].address], Picklist)
    assert [v.name for v in first.values] == ["A", "B", "C"]


def test_preflight_problems(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    desired = [
        Picklist(target="Account.Region__c", values=(value("EMEA"),)),
        Picklist(target="Account.Tierr__c", values=(value("Gold"),)),
        Picklist(target="Acount.Tier__c", values=(value("Gold"),)),
        Picklist(target="svs:Industri", values=(value("Banking"),)),
        Picklist(target="gvs:Brand_New", values=(value("X"),)),
        Picklist(target="Account.Tier__c", values=(value("Gold"),)),
    ]
    problems = org.provider.preflight(PICK, desired)
    assert [(p.address, p.message, p.hint) for p in problems] == [
        (
            "picklist:Account.Region__c",
            "Account.Region__c takes its values from the global value set Regions",
            "manage the global value set gvs:Regions instead",
        ),
        ("picklist:Account.Tierr__c", "unknown field Account.Tierr__c", "did you mean Account.Tier__c?"),
        ("picklist:Acount.Tier__c", "unknown object Acount", "did you mean Account?"),
        ("picklist:svs:Industri", "unknown standard value set Industri", ""),
    ]


def test_a_missing_field_fails_alone(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    changes = [
        Change(
            address=Address(PICK, "Account.Nope__c"),
            action=Action.UPDATE,
            after=Picklist(target="Account.Nope__c", values=(value("A"),)),
        ),
        Change(
            address=Address(PICK, "gvs:Regions"),
            action=Action.UPDATE,
            after=Picklist(target="gvs:Regions", values=(value("EMEA"), value("AMER"))),
        ),
    ]
    results = org.provider.apply(PICK, changes)
    assert [r.ok for r in results] == [False, True]
    assert results[0].code == "NOT_FOUND" and "Account.Nope__c" in results[0].message


def _stage(name: str, probability: int, forecast: str, *, closed: bool = False, won: bool = False) -> dict[str, Any]:
    return {
        "valueName": name,
        "label": name,
        "default": False,
        "isActive": True,
        "color": None,
        "description": None,
        "urls": None,
        "probability": probability,
        "forecastCategory": forecast,
        "closed": closed,
        "won": won,
    }


def test_a_standard_value_set_update_keeps_each_values_own_attributes(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    """OpportunityStage values carry probability, forecast category, closed and won: adding a stage or
    relabelling one must send them back as read, or Salesforce would reset them."""
    seed = provider_seed()
    stages = [_stage("Prospecting", 10, "Pipeline"), _stage("Closed Won", 100, "Closed", closed=True, won=True)]
    seed["standard_value_sets"].append(
        {"name": "OpportunityStage", "metadata": {"standardValue": stages, "sorted": False, "groupingStringEnum": None}}
    )
    org = emulated(seed)
    (stage,) = org.provider.read(PICK, ["svs:OpportunityStage"]).values()
    assert isinstance(stage, Picklist)
    after = Picklist(
        target="svs:OpportunityStage",
        values=(value("Prospecting", "Prospecting (new)"), value("Closed Won"), value("Negotiation")),
    )
    (result,) = org.provider.apply(
        PICK, [Change(address=stage.address, action=Action.UPDATE, before=stage, after=after)]
    )
    assert result.ok, result
    (row,) = org.handle.store.find("StandardValueSet", FullName="OpportunityStage")
    kept = {v["valueName"]: v for v in row["Metadata"]["standardValue"]}
    assert kept["Prospecting"]["label"] == "Prospecting (new)"
    assert (kept["Prospecting"]["probability"], kept["Prospecting"]["forecastCategory"]) == (10, "Pipeline")
    won = kept["Closed Won"]
    assert (won["probability"], won["forecastCategory"], won["closed"], won["won"]) == (100, "Closed", True, True)
    assert "probability" not in kept["Negotiation"]  # a new stage gets Salesforce's defaults, not a copy
