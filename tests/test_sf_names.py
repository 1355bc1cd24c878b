"""Name handling of the Salesforce provider: namespaces, percent-encoding, fullNames, SOQL chunks."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from providers.salesforce.names import (
    LayoutRef,
    decode_component,
    encode_component,
    layout_full_name,
    listed_layout_name,
    parse_layout_assignment,
    profile_full_names,
    record_type_full_name,
    same_id,
    split_namespace,
)
from providers.salesforce.soql import in_chunks, in_list, quote


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sales_Ops", (None, "Sales_Ops")),
        ("acme__Billing_Admin", ("acme", "Billing_Admin")),
        ("SBQQ__Attribute Set Layout", ("SBQQ", "Attribute Set Layout")),
        ("Plain Name", (None, "Plain Name")),
        ("trailing__", (None, "trailing__")),
    ],
)
def test_split_namespace_like_the_sf_cli(name: str, expected: tuple[str | None, str]) -> None:
    assert split_namespace(name) == expected


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("Account Layout", "Account Layout"),
        ("Account (Marketing) Layout", "Account %28Marketing%29 Layout"),
        ("EMG - Admin - Prospect/Client Page Layout", "EMG - Admin - Prospect%2FClient Page Layout"),
        ("v1.1 Broker Layout", "v1%2E1 Broker Layout"),
        ("[Beta] Layout", "%5BBeta%5D Layout"),
        ("A, B & C's", "A%2C B %26 C%27s"),
        ('^°!"§$', "%5E%C2%B0%21%22%C2%A7%24"),
        ("取引先 レイアウト", "取引先 レイアウト"),
        ("Layout de Área de venda", "Layout de Área de venda"),
        ("Custom: Marketing Profile", "Custom%3A Marketing Profile"),
        ("my_layout-2", "my_layout-2"),
    ],
)
def test_percent_encoding_round_trips(name: str, encoded: str) -> None:
    assert encode_component(name) == encoded
    assert decode_component(encoded) == name


def test_layout_full_names() -> None:
    assert layout_full_name("Account", "Account (Marketing) Layout") == "Account-Account %28Marketing%29 Layout"
    assert layout_full_name("SBQQ__Quote__c", "SBQQ__Quote Layout") == "SBQQ__Quote__c-SBQQ__Quote Layout"
    assert parse_layout_assignment("Account-Account %28Marketing%29 Layout", "Account.Enterprise") == LayoutRef(
        "Account", "Account (Marketing) Layout", "Enterprise"
    )
    assert parse_layout_assignment("Broker__c-v1%2E1 Broker Layout", None) == LayoutRef(
        "Broker__c", "v1.1 Broker Layout", ""
    )
    assert record_type_full_name("Account", "Enterprise") == "Account.Enterprise"
    assert record_type_full_name("Account", "") == ""
    assert listed_layout_name("SBQQ__Quote__c-Quote Layout", "SBQQ") == "SBQQ__Quote__c-SBQQ__Quote Layout"
    assert listed_layout_name("Account-Account Layout", None) == "Account-Account Layout"


def test_profile_full_names_come_from_list_metadata() -> None:
    profiles = {
        "00e000000000001AAA": "System Administrator",
        "00e000000000002AAA": "Custom: Sales",
        "00e000000000003AAA": "Force.com - Free User",
        "00e000000000004AAA": "Unlisted",
    }
    listed = [("00e000000000001", "Admin"), ("", "Custom%3A Sales"), ("00e000000000003AAA", "Force%2Ecom - Free User")]
    assert profile_full_names(profiles, listed) == {
        "System Administrator": "Admin",
        "Custom: Sales": "Custom%3A Sales",
        "Force.com - Free User": "Force%2Ecom - Free User",
        "Unlisted": "Unlisted",
    }
    assert same_id("00e000000000001AAA", "00e000000000001") and not same_id("", "")


def test_soql_quoting_and_uri_sized_chunks() -> None:
    assert quote("O'Brien\\x") == "'O\\'Brien\\\\x'"
    assert in_list(["a", "b"]) == "('a','b')"
    names = [f"user{n:05d}@example.com" for n in range(3000)] + ["USER00000@example.com"]
    queries = list(in_chunks(names, lambda lst: "SELECT Id FROM User WHERE Username IN " + lst, budget=8000))
    assert all(len(quote_plus(q)) <= 8000 for q in queries)
    sent = [v for q in queries for v in q.split(" IN (", 1)[1].rstrip(")").split(",")]
    assert len(sent) == 3000  # the case-insensitive duplicate is sent once
    assert list(in_chunks([], lambda lst: lst)) == []
