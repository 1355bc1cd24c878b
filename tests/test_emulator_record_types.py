"""The emulator's record-type picklist values: the seed section, Tooling RecordType ``Metadata``, Metadata
API read and update of RecordType ``picklistValues``, and new field values not reaching record types."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from providers.salesforce.schema import zeep_list
from tests.support.emulator import EmulatedOrg, client_for, provider_seed


def seed(**sections: Any) -> dict[str, Any]:
    document = provider_seed()
    document["record_type_picklists"] = [
        {"record_type": "Account.Enterprise", "field": "Tier__c", "values": ["Gold"], "default": "Gold"}
    ]
    document.update(sections)
    return document


def tooling_offered(org: EmulatedOrg, record_type: str) -> dict[str, list[str]]:
    sf = client_for(org.handle)
    soql = f"SELECT Id, Metadata FROM RecordType WHERE DeveloperName = '{record_type}'"
    [row] = sf.toolingexecute("query/", params={"q": soql})["records"]
    return {p["picklist"]: [v["valueName"] for v in p["values"]] for p in row["Metadata"]["picklistValues"]}


def metadata_offered(org: EmulatedOrg, record_type: str) -> dict[str, list[tuple[str, bool]]]:
    answer = org.provider.transport.metadata("readMetadata", "RecordType", [f"Account.{record_type}"])
    [record] = zeep_list(getattr(answer, "records", answer))
    return {
        str(p.picklist): [(str(v.fullName), bool(v.default)) for v in zeep_list(p.values)]
        for p in zeep_list(record.picklistValues)
    }


def update(org: EmulatedOrg, full_name: str, picklist: str, values: list[tuple[str, bool]]) -> Any:
    t = org.provider.transport
    component = t.metadata_type("RecordType")(
        fullName=full_name,
        label=full_name.split(".")[1],
        active=True,
        picklistValues=[
            t.metadata_type("RecordTypePicklistValue")(
                picklist=picklist,
                values=[t.metadata_type("PicklistValue")(fullName=n, default=d) for n, d in values],
            )
        ],
    )
    [saved] = zeep_list(t.metadata("updateMetadata", [component]))
    return saved


def test_the_seed_section_sets_lists_and_other_pairs_offer_every_active_value(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated(seed())
    assert tooling_offered(org, "Enterprise") == {"Tier__c": ["Gold"], "Region__c": ["EMEA", "AMER"]}
    assert tooling_offered(org, "SMB") == {"Tier__c": ["Gold", "Silver"], "Region__c": ["EMEA", "AMER"]}
    assert metadata_offered(org, "Enterprise")["Tier__c"] == [("Gold", True)]
    assert metadata_offered(org, "SMB")["Tier__c"] == [("Gold", False), ("Silver", True)]


def test_a_value_added_to_the_field_reaches_no_record_type(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed())
    sf = client_for(org.handle)
    soql = "SELECT Id, Metadata FROM CustomField WHERE DeveloperName = 'Tier' AND TableEnumOrId = 'Account'"
    [field] = sf.toolingexecute("query/", params={"q": soql})["records"]
    metadata = field["Metadata"]
    metadata["valueSet"]["valueSetDefinition"]["value"].append({"valueName": "Bronze", "label": "Bronze"})
    sf.toolingexecute(f"sobjects/CustomField/{field['Id']}", method="PATCH", data={"Metadata": metadata})
    assert tooling_offered(org, "SMB")["Tier__c"] == ["Gold", "Silver"]
    saved = update(org, "Account.SMB", "Tier__c", [("Gold", False), ("Bronze", True)])
    assert saved.success
    assert metadata_offered(org, "SMB") == {
        "Tier__c": [("Gold", False), ("Bronze", True)],  # the sent list replaces the old one
        "Region__c": [("EMEA", False), ("AMER", False)],  # a picklist not sent is kept
    }


def test_updates_naming_unknown_values_or_record_types_fail_per_component(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated(seed())
    unknown_value = update(org, "Account.SMB", "Tier__c", [("Legacy", False)])  # inactive on the field
    assert not unknown_value.success
    assert unknown_value.errors[0].statusCode == "FIELD_INTEGRITY_EXCEPTION"
    assert "Legacy is not an active value of Account.Tier__c" in unknown_value.errors[0].message
    unknown_type = update(org, "Account.Partner", "Tier__c", [("Gold", False)])
    assert unknown_type.errors[0].statusCode == "INVALID_CROSS_REFERENCE_KEY"
    assert metadata_offered(org, "SMB")["Tier__c"] == [("Gold", False), ("Silver", True)]


def test_the_live_file_keeps_every_list_and_a_bad_section_is_refused(tmp_path: Path) -> None:
    data = build_tables(seed())
    document = json.loads(json.dumps(to_document(data)))
    assert {"record_type": "Account.Enterprise", "field": "Tier__c", "values": ["Gold"], "default": "Gold"} in (
        document["record_type_picklists"]
    )
    assert to_document(build_tables(document)) == document
    with pytest.raises(SeedError, match=r"unknown record type 'Account\.Partner'"):
        build_tables(seed(record_type_picklists=[{"record_type": "Account.Partner", "field": "Tier__c"}]))
    with pytest.raises(SeedError, match="has no value 'Bronze'"):
        bad = [{"record_type": "Account.SMB", "field": "Tier__c", "values": ["Bronze"]}]
        build_tables(seed(record_type_picklists=bad))


def profile_visibilities(org: EmulatedOrg, full_name: str) -> dict[str, tuple[bool, bool]]:
    answer = org.provider.transport.metadata("readMetadata", "Profile", [full_name])
    [record] = zeep_list(getattr(answer, "records", answer))
    return {str(v.recordType): (bool(v.visible), bool(v.default)) for v in zeep_list(record.recordTypeVisibilities)}


def set_visibility(org: EmulatedOrg, record_type: str, visible: bool, default: bool) -> Any:
    t = org.provider.transport
    item = t.metadata_type("ProfileRecordTypeVisibility")(recordType=record_type, visible=visible, default=default)
    [saved] = zeep_list(
        t.metadata("updateMetadata", [t.metadata_type("Profile")(fullName="Admin", recordTypeVisibilities=[item])])
    )
    return saved


def test_profile_visibilities_overlay_and_keep_one_default_per_object(emulated: Callable[..., EmulatedOrg]) -> None:
    pairs = [{"profile": "System Administrator", "record_type": "Account.SMB", "visible": True, "default": True}]
    org = emulated(seed(record_type_visibilities=pairs))
    assert profile_visibilities(org, "Admin") == {"Account.Enterprise": (False, False), "Account.SMB": (True, True)}
    assert set_visibility(org, "Account.Enterprise", True, True).success
    assert profile_visibilities(org, "Admin") == {"Account.Enterprise": (True, True), "Account.SMB": (True, False)}

    refused = set_visibility(org, "Account.SMB", False, True)
    assert refused.errors[0].statusCode == "FIELD_INTEGRITY_EXCEPTION"
    unknown = set_visibility(org, "Account.Partner", True, False)
    assert unknown.errors[0].statusCode == "INVALID_CROSS_REFERENCE_KEY"
    assert profile_visibilities(org, "Admin") == {"Account.Enterprise": (True, True), "Account.SMB": (True, False)}
    document = json.loads(org.handle.store.path.read_text(encoding="utf-8"))
    assert {"profile": "System Administrator", "record_type": "Account.SMB", "visible": True, "default": False} in (
        document["record_type_visibilities"]
    )
