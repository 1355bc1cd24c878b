"""The emulator's public groups and queues: the ``groups`` seed section and GroupMember's one-row-per-member
rule on the REST API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from providers.emulator.embedded import EmulatorHandle
from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from tests.support.emulator import StartOrg, client_for, provider_seed


def seed() -> dict[str, Any]:
    document: dict[str, Any] = provider_seed()
    document["groups"] = [
        {"name": "EMEA_Support", "type": "Queue", "members": ["bob@acme.com", "group:EMEA_Leads"]},
        {"name": "EMEA_Leads", "label": "EMEA Leads"},
    ]
    return document


def test_a_second_row_for_the_same_member_is_a_duplicate_value(start_org: StartOrg) -> None:
    handle: EmulatorHandle = start_org(seed())
    sf = client_for(handle)
    groups = {r["DeveloperName"]: r for r in sf.query("SELECT Id, DeveloperName, Type FROM Group")["records"]}
    assert groups["EMEA_Support"]["Type"] == "Queue" and groups["EMEA_Leads"]["Type"] == "Regular"
    bob = sf.query("SELECT Id FROM User WHERE Username = 'bob@acme.com'")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.GroupMember.create({"GroupId": groups["EMEA_Support"]["Id"], "UserOrGroupId": bob})
    assert refused.value.content[0]["errorCode"] == "DUPLICATE_VALUE"
    created = sf.GroupMember.create({"GroupId": groups["EMEA_Leads"]["Id"], "UserOrGroupId": bob})
    assert created["success"] and created["id"].startswith("011")
    soql = "SELECT UserOrGroupId FROM GroupMember WHERE Group.DeveloperName = 'EMEA_Leads'"
    assert [r["UserOrGroupId"] for r in sf.query(soql)["records"]] == [bob]


def test_the_groups_section_round_trips_and_refuses_unknown_members() -> None:
    document = json.loads(json.dumps(to_document(build_tables(seed()))))
    support = next(g for g in document["groups"] if g["name"] == "EMEA_Support")
    assert support["members"] == ["bob@acme.com", "group:EMEA_Leads"] and support["type"] == "Queue"
    assert to_document(build_tables(document)) == document
    bad = seed()
    bad["groups"][1]["members"] = ["nobody@acme.com"]
    with pytest.raises(SeedError, match=r"unknown member 'nobody@acme\.com'"):
        build_tables(bad)
