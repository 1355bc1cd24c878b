"""Custom metadata records through the provider and the emulator, over HTTPS: exact call counts (one
describe and one query per type to read; upsertMetadata and deleteMetadata 10 records a call), the wire
shape of CustomMetadata values, and undeclared fields kept on write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconcile.kinds.custom_metadata import CustomMetadataRecord
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, narrow, provider_seed, trusted_session

KIND = "custom_metadata"


def seed(records: int) -> dict[str, Any]:
    document = provider_seed()
    document["objects"].append(
        {
            "name": "Feature_Flag__mdt",
            "fields": [
                {"name": "Enabled__c", "type": "Checkbox"},
                {"name": "Rollout__c", "type": "Number"},
                {"name": "Team__c", "type": "Text"},
            ],
            "records": [{"DeveloperName": f"Flag_{n:02}", "Team__c": "core"} for n in range(records)],
        }
    )
    return document


def test_reading_costs_a_describe_and_a_query_per_type(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed(25))
    keys = [f"Feature_Flag__mdt.Flag_{n:02}" for n in range(25)] + ["feature_flag__mdt.flag_00", "Other__mdt.X"]
    found = org.provider.read(KIND, keys)
    assert org.provider.usage.by_endpoint == {
        "GET sobjects/Feature_Flag__mdt/describe": 1,
        "GET sobjects/Other__mdt/describe": 1,  # answered 404: no such type
        "GET query": 1,
    }
    assert len(found) == 26
    flag = narrow(found[Address(KIND, "feature_flag__mdt.flag_00")], CustomMetadataRecord)
    assert flag.values == {"Enabled__c": None, "Rollout__c": None, "Team__c": "core"} and flag.label == "Flag 00"


def test_writes_go_ten_a_call_and_keep_undeclared_fields(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed(3))
    keys = [f"Feature_Flag__mdt.Flag_{n:02}" for n in range(12)]
    found = org.provider.read(KIND, keys)
    org.reset_counts()
    changes = []
    for n, key in enumerate(keys):
        after = CustomMetadataRecord(
            type="Feature_Flag__mdt",
            name=key.split(".")[1],
            label=f"F{n}",
            values={"Enabled__c": True, "Rollout__c": n},
        )
        before = found.get(Address(KIND, key))
        changes.append(
            Change(address=after.address, action=Action.UPDATE if before else Action.CREATE, before=before, after=after)
        )
    results = org.provider.apply(KIND, changes)
    assert all(r.ok for r in results), results
    assert org.provider.usage.by_endpoint == {"POST Soap/m upsertMetadata": 2}
    rows = {r["DeveloperName"]: r for r in org.rows("Feature_Flag__mdt")}
    assert (rows["Flag_01"]["Enabled__c"], rows["Flag_01"]["Rollout__c"], rows["Flag_01"]["Team__c"]) == (
        True,
        1.0,
        "core",
    )
    assert rows["Flag_11"]["Team__c"] is None and rows["Flag_11"]["MasterLabel"] == "F11"
    org.reset_counts()
    deletes = [Change(address=Address(KIND, k), action=Action.DELETE) for k in keys]
    assert all(r.ok for r in org.provider.apply(KIND, deletes))
    assert org.provider.usage.by_endpoint == {"POST Soap/m deleteMetadata": 2}
    assert org.rows("Feature_Flag__mdt") == []


def test_read_metadata_returns_typed_values(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed(1))
    org.handle.store.update("Feature_Flag__mdt", org.rows("Feature_Flag__mdt")[0]["Id"], {"Enabled__c": True})
    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="http://soap.sforce.com/2006/04/metadata"><soapenv:Header><SessionHeader><sessionId>'
        f"{org.handle.access_token}</sessionId></SessionHeader></soapenv:Header><soapenv:Body><readMetadata>"
        "<type>CustomMetadata</type><fullNames>Feature_Flag.Flag_00</fullNames></readMetadata></soapenv:Body>"
        "</soapenv:Envelope>"
    )
    with trusted_session(org.handle) as http:
        answer = http.post(
            f"{org.handle.instance_url}/services/Soap/m/62.0",
            data=envelope,
            headers={"Content-Type": "text/xml", "SOAPAction": '""'},
        )
    assert answer.status_code == 200, answer.text
    body = answer.text
    assert "<fullName>Feature_Flag.Flag_00</fullName><label>Flag 00</label><protected>false</protected>" in body
    typed = '<value xmlns:xsd="http://www.w3.org/2001/XMLSchema" xsi:type="xsd:boolean">true</value>'
    assert f"<values><field>Enabled__c</field>{typed}</values>" in body
    assert '<values><field>Rollout__c</field><value xsi:nil="true"/></values>' in body
