"""Record-type picklist values through the provider and the emulator: batched reads and writes."""

from __future__ import annotations

from collections.abc import Callable

from providers.salesforce.provider import connect
from reconcile.kinds.record_type_picklist import RecordTypePicklist
from reconcile.kinds.record_type_visibility import RecordTypeVisibility
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, connection_for, narrow, provider_seed

KIND = "record_type_picklist"
NAMES = [f"Segment_{n:02}" for n in range(12)]


def test_every_record_type_is_read_and_written_ten_a_call(emulated: Callable[..., EmulatedOrg]) -> None:
    seed = provider_seed()
    seed["objects"][0]["record_types"] += NAMES
    seed["objects"][0]["fields"][0]["values"].append({"name": "Bronze", "active": True})
    seed["record_type_picklists"] = [
        {"record_type": f"Account.{n}", "field": "Tier__c", "values": ["Gold", "Silver"]} for n in NAMES
    ]
    org = emulated(seed)
    found = org.provider.read(KIND, ["Account.*/Tier__c"])
    every = narrow(found[Address(KIND, "Account.*/Tier__c")], RecordTypePicklist)
    assert every.values == ("Gold", "Silver") and not every.every_value
    assert len(found) == 15  # the * resource and each record type's own (Enterprise, SMB and 12 more)
    # one query for the record types, 2 readMetadata of RecordType (14 names), 1 of the field
    assert org.provider.usage.by_endpoint == {"GET query": 1, "POST Soap/m readMetadata": 3}

    desired = RecordTypePicklist(object="Account", record_type="*", field="Tier__c", every_value=True)
    change = Change(address=desired.address, action=Action.UPDATE, before=every, after=desired)
    org.reset_counts()
    [result] = org.provider.apply(KIND, [change])
    assert result.ok, result
    # the field re-read (values an apply may just have added), 14 record types in 2 updateMetadata calls
    assert org.provider.usage.by_endpoint == {"POST Soap/m readMetadata": 1, "POST Soap/m updateMetadata": 2}
    assert org.requests() == org.provider.usage.by_endpoint

    again = org.provider.read(KIND, ["Account.Segment_11/Tier__c"])
    segment = narrow(again[Address(KIND, "Account.Segment_11/Tier__c")], RecordTypePicklist)
    assert segment.values == ("Gold", "Silver", "Bronze") and segment.every_value


VISIBILITY = "record_type_visibility"
PROFILES = ["System Administrator", "Sales User", "Sales Manager", "Custom: Marketing Profile"]


def test_visibilities_share_the_profile_reads_of_layouts_and_write_in_one_call(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated()
    org.provider.read("layout_assignment", [f"{p}/Account" for p in PROFILES])
    org.reset_counts()
    keys = [f"{p}/Account.Enterprise" for p in PROFILES]
    found = org.provider.read(VISIBILITY, keys)
    assert org.provider.usage.calls == 0  # every profile was read for its layouts already
    assert not any(narrow(r, RecordTypeVisibility).visible for r in found.values())

    desired = [
        RecordTypeVisibility(profile=p, object="Account", record_type="Enterprise", default=True) for p in PROFILES
    ]
    changes = [
        Change(address=d.address, action=Action.UPDATE, before=found[Address(VISIBILITY, d.key)], after=d)
        for d in desired
    ]
    results = org.provider.apply(VISIBILITY, changes)
    assert all(r.ok for r in results), results
    assert org.provider.usage.by_endpoint == {"POST Soap/m updateMetadata": 1}
    assert org.requests() == org.provider.usage.by_endpoint

    fresh = connect(connection_for(org.handle), sleep=lambda _: None)  # nothing remembered from the first
    again = fresh.read(VISIBILITY, keys)
    fresh.close()
    assert all(narrow(r, RecordTypeVisibility).default for r in again.values()) and len(again) == 4
