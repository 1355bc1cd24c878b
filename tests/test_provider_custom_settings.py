"""Custom settings through the provider and the emulator, over HTTPS: exact call counts for reads and
writes, 200 records a call, and a refused row failing alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconcile.kinds.custom_setting import CustomSetting
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, narrow, provider_seed

KIND = "custom_setting"


def seed(users: int = 0, rows: int = 0) -> dict[str, Any]:
    document = provider_seed()
    document["profiles"].append({"name": "Sales User"})
    document["users"] += [{"username": f"u{n:03}@acme.com", "profile": "Sales User"} for n in range(users)]
    document["objects"] += [
        {
            "name": "Integration_Settings__c",
            "custom_setting": "hierarchy",
            "fields": [{"name": "Endpoint__c", "type": "Url"}, {"name": "Timeout__c", "type": "Number"}],
            "records": [{"owner": "org", "Timeout__c": 10}, {"owner": "profile:Sales User", "Timeout__c": 20}],
        },
        {
            "name": "Country_Codes__c",
            "custom_setting": "list",
            "fields": [{"name": "Code__c", "type": "Text"}],
            "records": [{"Name": f"C{n:03}", "Code__c": f"c{n}"} for n in range(rows)],
        },
    ]
    return document


def row(key: str, values: dict[str, Any], *, hierarchy: bool = True) -> CustomSetting:
    object_name, _, name = key.partition("/")
    return CustomSetting(object=object_name, row=name, hierarchy=hierarchy, values=values)


def test_reading_costs_a_describe_and_a_query_per_object_and_one_per_owner_type(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated(seed(rows=250))
    keys = ["Integration_Settings__c/org", "integration_settings__c/profile:sales user"]
    keys += [f"Country_Codes__c/C{n:03}" for n in range(250)] + ["Country_Codes__c/Nope"]
    found = org.provider.read(KIND, keys)
    assert org.provider.usage.by_endpoint == {
        "GET sobjects/Integration_Settings__c/describe": 1,
        "GET sobjects/Country_Codes__c/describe": 1,
        "GET query": 3,  # one query per object, one Profile query naming the profile owner
    }
    assert org.requests() == org.provider.usage.by_endpoint
    assert len(found) == 252 and Address(KIND, "Country_Codes__c/Nope") not in found
    profile = narrow(found[Address(KIND, keys[1])], CustomSetting)
    assert profile.values == {"Endpoint__c": None, "Timeout__c": 20}


def test_creates_go_200_a_call_and_a_duplicate_fails_alone(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed(users=250))
    keys = [f"Integration_Settings__c/user:u{n:03}@acme.com" for n in range(250)] + ["Integration_Settings__c/org"]
    found = org.provider.read(KIND, keys)
    desired = [row(k, {"Timeout__c": 5}) for k in keys[:-1]]
    assert org.provider.preflight(KIND, desired) == []
    org.reset_counts()
    changes = [Change(address=d.address, action=Action.CREATE, after=d) for d in desired]
    org_row = row(keys[-1], {"Timeout__c": 7})
    changes.append(Change(address=org_row.address, action=Action.CREATE, after=org_row))  # it exists: refused
    update = row(keys[-1], {"Endpoint__c": "https://erp.example.com"}).model_copy(
        update={"ids": found[Address(KIND, keys[-1])].ids}
    )
    changes.append(Change(address=update.address, action=Action.UPDATE, after=update))
    results = org.provider.apply(KIND, changes)
    assert org.provider.usage.by_endpoint == {"POST composite/sobjects": 2, "PATCH composite/sobjects": 1}
    assert [r.ok for r in results] == [True] * 250 + [False, True]
    assert results[250].code == "DUPLICATE_VALUE"
    assert len(org.rows("Integration_Settings__c")) == 252
