"""The emulator store: ids, seed loading, the live org file, mutations and undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from providers.emulator.org import ids
from providers.emulator.org.data import SeedError
from providers.emulator.org.naming import encode_layout_name, layout_full_name, profile_full_name
from providers.emulator.org.seed import build_tables
from providers.emulator.org.store import Store
from providers.emulator.serve import reset
from tests.support.emulator import BASIC_SEED


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.create(BASIC_SEED, tmp_path / "org.json")


def test_checksum_matches_ids_recorded_from_real_orgs() -> None:
    for real in ("0019H00000H1RMDQA3", "0019H00000H28uAQAR", "0039H00000BcB5mQAF"):
        assert ids.to_18(real[:15]) == real
        assert ids.is_well_formed(real)


def test_malformed_ids_are_recognised() -> None:
    assert not ids.is_well_formed("001RM000003oLrB000")
    assert not ids.is_well_formed("not-an-id")
    assert ids.is_well_formed("001RM000003oLrB")


def test_minted_ids_are_valid_deterministic_and_prefixed() -> None:
    first = ids.mint("0PS", "Acme", "PermissionSet", "Sales_Ops")
    assert first == ids.mint("0PS", "Acme", "PermissionSet", "Sales_Ops")
    assert first != ids.mint("0PS", "Other", "PermissionSet", "Sales_Ops")
    assert first.startswith("0PS") and len(first) == 18 and ids.is_well_formed(first)


def test_seed_loads_with_salesforce_shapes(store: Store) -> None:
    ps = store.find("PermissionSet", Name="Billing_Admin")[0]
    assert ps["NamespacePrefix"] == "acme" and ps["Type"] == "Regular"
    field = store.find("CustomField", FullName="Account.acme__Segment__c")[0]
    assert (field["DeveloperName"], field["NamespacePrefix"], field["TableEnumOrId"]) == ("Segment", "acme", "Account")
    invoice = store.find("EntityDefinition", QualifiedApiName="Invoice__c")[0]
    assert invoice["DurableId"].startswith("01I")
    assert store.find("CustomField", FullName="Invoice__c.Status__c")[0]["TableEnumOrId"] == invoice["DurableId"]
    admin = store.find("Profile", Name="System Administrator")[0]
    assert admin["_full_name"] == "Admin"
    assert store.find("Profile", Name="Custom: Marketing Profile")[0]["_full_name"] == "Custom%3A Marketing Profile"


def test_every_profile_owns_a_permission_set_and_every_user_is_assigned_to_it(store: Store) -> None:
    for profile in store.table("Profile").values():
        owned = store.find("PermissionSet", ProfileId=profile["Id"], IsOwnedByProfile=True)
        assert len(owned) == 1 and owned[0]["Type"] == "Profile" and owned[0]["Label"] == profile["Name"]
    for user in store.table("User").values():
        owned = store.find("PermissionSet", ProfileId=user["ProfileId"], IsOwnedByProfile=True)[0]
        assert store.find("PermissionSetAssignment", AssigneeId=user["Id"], PermissionSetId=owned["Id"])


def test_group_assignment_points_at_the_group_aggregate_permission_set(store: Store) -> None:
    group = store.find("PermissionSetGroup", DeveloperName="Sales_Bundle")[0]
    aggregate = store.find("PermissionSet", PermissionSetGroupId=group["Id"])[0]
    assert aggregate["Type"] == "Group"
    psa = store.find("PermissionSetAssignment", PermissionSetGroupId=group["Id"])[0]
    assert psa["PermissionSetId"] == aggregate["Id"] and psa["ExpirationDate"] == "2030-01-31T00:00:00.000+0000"


def test_values_keep_inactive_entries(store: Store) -> None:
    tier = store.find("CustomField", FullName="Account.Tier__c")[0]
    values = {v["valueName"]: v for v in tier["Metadata"]["valueSet"]["valueSetDefinition"]["value"]}
    assert values["Legacy"]["isActive"] is False and values["Silver"]["default"] is True
    assert values["Bronze"]["label"] == "Bronze tier"
    region = store.find("CustomField", FullName="Account.Region__c")[0]["Metadata"]["valueSet"]
    assert region["valueSetName"] == "Regions" and region["valueSetDefinition"] is None


def test_every_profile_sees_a_layout_for_every_record_type(store: Store) -> None:
    profiles = len(store.table("Profile"))
    account_rows = store.find("ProfileLayout", TableEnumOrId="Account")
    assert len(account_rows) == profiles * 3
    sales = store.find("Profile", Name="Sales User")[0]
    enterprise = store.find("RecordType", DeveloperName="Enterprise")[0]
    row = store.find("ProfileLayout", ProfileId=sales["Id"], RecordTypeId=enterprise["Id"])[0]
    assert store.table("Layout")[row["LayoutId"]]["Name"] == "Account Enterprise Layout"


def test_live_file_round_trips_with_the_same_ids(store: Store) -> None:
    document = json.loads(store.path.read_text())
    assert document["schema_version"] == 1 and document["organization"]["id"] == store.org_id
    assert build_tables(document).tables == store.data.tables
    assert Store.load(BASIC_SEED).data.tables["User"] == store.data.tables["User"]


def test_changes_survive_a_reload_and_ids_stay_stable(store: Store) -> None:
    user = store.find("User", Username="carol@acme.com.uat")[0]
    ps = store.find("PermissionSet", Name="Sales_Ops")[0]
    psa_id = store.insert(
        "PermissionSetAssignment",
        {
            "AssigneeId": user["Id"],
            "PermissionSetId": ps["Id"],
            "PermissionSetGroupId": None,
            "ExpirationDate": None,
            "IsActive": True,
            "SystemModstamp": "2024-01-01T00:00:00.000+0000",
        },
    )
    store.update("User", user["Id"], {"IsActive": True})
    store.commit()
    again = Store.load(store.path)
    assert again.get("PermissionSetAssignment", psa_id) is not None
    assert again.get("User", user["Id"])["IsActive"] is True  # type: ignore[index]
    assert [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_get_accepts_15_character_ids_and_find_ignores_case(store: Store) -> None:
    user = store.find("User", Username="ALICE@acme.com.UAT")[0]
    assert store.get("User", user["Id"][:15]) is user
    assert store.locate(user["Id"]) == ("User", user)


def test_delete_keeps_a_tombstone_that_survives_reload(store: Store) -> None:
    psa = store.find("PermissionSetAssignment", PermissionSetGroupId=None, ExpirationDate=None)[0]
    store.delete("PermissionSetAssignment", psa["Id"])
    store.commit()
    assert store.is_deleted(psa["Id"]) and Store.load(store.path).is_deleted(psa["Id"])
    with pytest.raises(KeyError):
        store.delete("PermissionSetAssignment", psa["Id"])


def test_transaction_rollback_undoes_inserts_updates_and_deletes(store: Store) -> None:
    before = json.dumps(store.data.tables, sort_keys=True)
    account = store.find("Account", Name="Globex")[0]
    with store.transaction() as transaction:
        store.insert("Account", {"Name": "Hooli"})
        store.update("Account", account["Id"], {"Name": "Globex Corp"})
        store.delete("Account", store.find("Account", Name="Initech")[0]["Id"])
        transaction.rollback()
    assert json.dumps(store.data.tables, sort_keys=True) == before and not store.deleted


def test_inserted_ids_carry_the_object_prefix(store: Store) -> None:
    account_id = store.insert("Account", {"Name": "Hooli"})
    invoice_id = store.insert("Invoice__c", {"Name": "INV-1"})
    assert account_id.startswith("001") and ids.is_well_formed(account_id)
    assert invoice_id[:3] == store.find("EntityDefinition", QualifiedApiName="Invoice__c")[0]["_key_prefix"]


def test_unknown_references_in_a_seed_are_reported(tmp_path: Path) -> None:
    seed = {"organization": {"name": "Broken"}, "profiles": [], "users": [{"username": "a@b.c", "profile": "Nope"}]}
    with pytest.raises(SeedError, match="unknown profile"):
        build_tables(seed)
    with pytest.raises(SeedError, match="schema_version"):
        build_tables({"schema_version": 2})


def test_full_names_are_encoded_as_salesforce_does() -> None:
    assert profile_full_name("Standard User") == "Standard"
    assert profile_full_name("Force.com - Free User") == "Force%2Ecom - Free User"
    assert encode_layout_name("Account (Marketing) Layout") == "Account %28Marketing%29 Layout"
    assert encode_layout_name("Prospect/Client, A&B's") == "Prospect%2FClient%2C A%26B%27s"
    assert encode_layout_name("取引先 レイアウト_x-y") == "取引先 レイアウト_x-y"
    assert layout_full_name("Obj__c", "Attribute Set Layout", "SBQQ") == "Obj__c-SBQQ__Attribute Set Layout"


def test_reset_starts_the_live_org_over_from_the_seed(store: Store) -> None:
    store.insert("Account", {"Name": "Hooli"})
    store.commit()
    reset(BASIC_SEED, store.path)
    assert Store.load(store.path).find("Account", Name="Hooli") == []
