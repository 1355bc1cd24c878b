"""Import: an org's live configuration as TOML that validates and plans to no changes, for every kind."""

from __future__ import annotations

import math
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from providers.salesforce import OrgConnection, connect
from reconcile.fleet.importer import LINE_WIDTH, Entries, build_entries, join_short_arrays
from reconcile.kinds.base import strip_suffix
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from tests.test_multi_org import make_fleet

#: Limited to gamma, so an import of alpha or beta reads svs:Industry (a standard value set is read only
#: when an entry names it) without declaring it for them.
NAMES_INDUSTRY = """
[[picklist]]
standard_value_set = "Industry"
values = ["Banking"]
orgs = ["gamma"]
"""


def _import(tmp_path: Path, org: str, *kinds: str) -> tuple[Any, dict[str, Any]]:
    fleet = make_fleet(tmp_path, entries=NAMES_INDUSTRY)
    out = fleet.root / f"imported-{org}.toml"
    kind_args = [arg for kind in kinds for arg in ("--kind", kind)]
    result = fleet.invoke("import", "--org", org, *kind_args, "--out", str(out))
    assert result.exit_code == 0, result.output
    return fleet, tomllib.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("org", ["alpha", "beta"])
def test_an_imported_org_validates_and_plans_no_changes(tmp_path: Path, org: str) -> None:
    fleet, written = _import(tmp_path, org)
    assert sorted(written) == ["layout_assignment", "permission_set_grant", "picklist", "record_type_picklist"]
    assert all(entry["orgs"] == [org] for entries in written.values() for entry in entries)
    validated = fleet.invoke("validate")
    assert validated.exit_code == 0, validated.output
    planned = fleet.invoke("plan", "--org", org, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


@pytest.mark.parametrize("kind", ["picklist", "layout_assignment", "permission_set_grant"])
def test_one_kind_at_a_time(tmp_path: Path, kind: str) -> None:
    fleet, written = _import(tmp_path, "beta", kind)
    assert list(written) == [kind]
    assert fleet.invoke("validate").exit_code == 0
    planned = fleet.plan_json("--org", "beta")
    assert planned["orgs"][0]["changes"] == [] and planned["orgs"][0]["errors"] == []
    assert planned["orgs"][0]["unchanged"] == sum(_addresses(entry) for entry in written[kind])


def _addresses(entry: dict[str, Any]) -> int:
    return len(entry.get("profiles") or entry.get("users") or [None])


def test_entries_are_grouped_tidy_and_without_the_suffix(tmp_path: Path) -> None:
    _, alpha = _import(tmp_path / "a", "alpha")
    assert alpha["picklist"] == [
        {
            "field": "Account.acme__Segment__c",
            "values": ["Small", {"name": "Large", "label": "Large accounts"}],
            "orgs": ["alpha"],
        },
        {
            "field": "Account.Tier__c",
            "values": ["Gold", "Silver", {"name": "Bronze", "label": "Bronze tier"}],
            "default": "Silver",
            "orgs": ["alpha"],
        },
        {"global_value_set": "Regions", "values": ["EMEA", "AMER", "APAC"], "orgs": ["alpha"]},
        {"standard_value_set": "Industry", "values": ["Banking", "Energy", "Retail"], "orgs": ["alpha"]},
    ]
    assert alpha["permission_set_grant"] == [
        {
            "permission_set": "acme__Billing_Admin",
            "users": ["dave@acme.com"],
            "expires": date(2031, 6, 30),
            "orgs": ["alpha"],
        },
        {"permission_set": "Sales_Ops", "users": ["alice@acme.com", "bob@acme.com"], "orgs": ["alpha"]},
        {
            "permission_set": "Service_Desk",
            "users": ["carol@acme.com", "dave@acme.com"],
            "expires": date(2031, 6, 30),
            "orgs": ["alpha"],
        },
        {"permission_set_group": "Sales_Bundle", "users": ["alice@acme.com"], "orgs": ["alpha"]},
    ]
    enterprise = [e for e in alpha["layout_assignment"] if e.get("record_type") == "Enterprise"]
    assert enterprise == [
        {
            "profiles": ["Sales Manager", "Sales User"],
            "object": "Account",
            "record_type": "Enterprise",
            "layout": "Account Enterprise Layout",
            "orgs": ["alpha"],
        },
        {
            "profiles": ["Custom: Marketing Profile", "System Administrator"],
            "object": "Account",
            "record_type": "Enterprise",
            "layout": "Account Layout",
            "orgs": ["alpha"],
        },
    ]
    _, beta = _import(tmp_path / "b", "beta", "permission_set_grant")
    assert beta["permission_set_grant"] == [
        {"permission_set": "Sales_Ops", "users": ["alice@acme.com", "carol@acme.com"], "orgs": ["beta"]}
    ]


def test_import_to_stdout_is_stable_and_skips_what_the_config_declares(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, entries=NAMES_INDUSTRY)
    first = fleet.invoke("import", "--org", "gamma")
    second = fleet.invoke("import", "--org", "gamma")
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert first.stdout.startswith("# The configuration of org gamma (Acme Gamma, 00D")
    assert "standard_value_set" not in first.stdout
    assert "left out picklist:svs:Industry: already declared for gamma by the configuration" in first.stderr
    assert "[[apex]]" not in first.stdout


def test_short_arrays_of_scalars_are_written_on_one_line_and_long_ones_one_item_per_line() -> None:
    users = [f"user{n:02d}@acme-corporation.example.com" for n in range(4)]
    grants = [PermissionSetGrant(permission_set="Sales_Ops", username=user) for user in users]
    layouts = [
        LayoutAssignment(profile=profile, object="Account", layout="Account Layout")
        for profile in ("Sales User", "Sales Manager")
    ]
    tier = Picklist(target="Account.Tier__c", values=(PicklistValue(name="Gold"), PicklistValue(name="Silver")))
    regions = Picklist(
        target="gvs:Regions", values=(PicklistValue(name="EMEA"), PicklistValue(name="APAC", label="Asia"))
    )
    entries = build_entries([*grants, *layouts, tier, regions], "qa", "")
    assert entries.toml() == (
        "[[picklist]]\n"
        'field = "Account.Tier__c"\n'
        'values = ["Gold", "Silver"]\n'
        'orgs = ["qa"]\n'
        "\n"
        "[[picklist]]\n"
        'global_value_set = "Regions"\n'
        "values = [\n"
        '    "EMEA",\n'
        '    { name = "APAC", label = "Asia" },\n'
        "]\n"
        'orgs = ["qa"]\n'
        "\n"
        "[[layout_assignment]]\n"
        'profiles = ["Sales Manager", "Sales User"]\n'
        'object = "Account"\n'
        'layout = "Account Layout"\n'
        'orgs = ["qa"]\n'
        "\n"
        "[[permission_set_grant]]\n"
        'permission_set = "Sales_Ops"\n'
        "users = [\n" + "".join(f'    "{user}",\n' for user in users) + "]\n"
        'orgs = ["qa"]\n'
    )


def test_an_imported_file_holds_no_one_item_array_over_three_lines(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, entries=NAMES_INDUSTRY)
    result = fleet.invoke("import", "--org", "alpha")
    assert result.exit_code == 0, result.output
    assert 'orgs = ["alpha"]\n' in result.stdout
    assert '[\n    "alpha",\n]' not in result.stdout
    assert all(len(line) <= LINE_WIDTH for line in result.stdout.splitlines() if not line.startswith("#"))


SCALARS = st.one_of(
    st.text(),
    st.integers(),
    st.booleans(),
    st.dates(),
    st.sampled_from(['a", "b', "x,\n]", "[", "{", "  ", "\\", "é", "#", "= ["]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=6),
    st.lists(st.one_of(SCALARS, st.dictionaries(st.sampled_from(["name", "label"]), SCALARS)), max_size=4),
)


@given(st.lists(st.dictionaries(st.text(min_size=1), VALUES, min_size=1), min_size=1, max_size=3))
def test_joining_arrays_keeps_the_toml_meaning(entries: list[dict[str, Any]]) -> None:
    written = tomli_w.dumps({"picklist": entries})
    joined = join_short_arrays(written)
    assert tomllib.loads(joined) == tomllib.loads(written)
    assert Entries({"picklist": entries}).toml() == joined


def test_unknown_kinds_and_apex_are_refused(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, orgs=("alpha",))
    apex = fleet.invoke("import", "--org", "alpha", "--kind", "apex")
    assert apex.exit_code == 1 and "apex scripts are not read from orgs" in apex.output
    typo = fleet.invoke("import", "--org", "alpha", "--kind", "picklists")
    assert typo.exit_code == 1 and "unknown kind 'picklists'; did you mean 'picklist'?" in typo.output


def test_what_entries_cannot_express_is_left_out_with_a_reason() -> None:
    inactive = Picklist(target="gvs:Old", values=(PicklistValue(name="X", active=False),))
    robot = PermissionSetGrant(permission_set="Sales_Ops", username="robot@acme.com")
    slashed = LayoutAssignment(profile="A/B", object="Account", layout="L")
    placeholder = Picklist(target="gvs:Tmpl", values=(PicklistValue(name="${x}"),))
    kept = PermissionSetGrant(permission_set="Sales_Ops", username="alice@acme.com.uat")
    entries = build_entries([inactive, robot, slashed, placeholder, kept], "uat", ".uat")
    assert entries.sections == {
        "permission_set_grant": [{"permission_set": "Sales_Ops", "users": ["alice@acme.com"], "orgs": ["uat"]}]
    }
    reasons = {str(skipped.address): skipped.reason for skipped in entries.skipped}
    assert sorted(reasons) == [
        "layout_assignment:A/B/Account",
        "permission_set_grant:Sales_Ops/robot@acme.com",
        "picklist:gvs:Old",
        "picklist:gvs:Tmpl",
    ]
    assert "suffix '.uat'" in reasons["permission_set_grant:Sales_Ops/robot@acme.com"]
    assert strip_suffix("alice@acme.com.UAT", ".uat") == "alice@acme.com"
    assert strip_suffix(".uat", ".uat") is None


def _wide_seed(fields: int, profiles: int) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "organization": {"name": "Wide", "is_sandbox": True, "daily_api_limit": 100000},
        "profiles": [
            {"name": "System Administrator", "full_name": "Admin"},
            *({"name": f"Profile {n:02d}"} for n in range(profiles - 1)),
        ],
        "users": [{"username": f"user{n}@acme.com", "profile": "System Administrator"} for n in range(30)],
        "permission_sets": [{"name": "Sales_Ops", "label": "Sales Ops"}],
        "objects": [
            {
                "name": "Account",
                "layouts": ["Account Layout"],
                "fields": [
                    {"name": f"Pick{n:02d}__c", "type": "Picklist", "values": ["A", "B"]} for n in range(fields)
                ],
            }
        ],
        "permission_set_assignments": [
            {"username": f"user{n}@acme.com", "permission_set": "Sales_Ops"} for n in range(30)
        ],
    }


def test_inventory_is_batched(start_org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fields, profiles = 25, 12
    handle = start_org(_wide_seed(fields, profiles), name="wide")
    monkeypatch.setenv("WIDE_TOKEN", handle.access_token)
    provider = connect(
        OrgConnection(
            name="wide",
            instance_url=handle.instance_url,
            auth_method="access_token",
            auth={"token_env": "WIDE_TOKEN"},
            ca_cert=handle.ca_cert,
        )
    )
    try:
        picklists = provider.inventory("picklist")
        assert len(picklists) == fields
        assert provider.usage.by_endpoint.get("POST Soap/m readMetadata") == math.ceil(fields / 10)
        assert provider.usage.by_endpoint.get("POST Soap/m listMetadata") == 1
        layouts = provider.inventory("layout_assignment")
        assert len(layouts) == profiles
        reads = math.ceil(fields / 10) + math.ceil(profiles / 10)
        assert provider.usage.by_endpoint.get("POST Soap/m readMetadata") == reads
        queries_before = provider.usage.by_endpoint.get("GET query", 0)
        assert queries_before <= 2
        grants = provider.inventory("permission_set_grant")
        assert len(grants) == 30
        assert provider.usage.by_endpoint.get("GET query", 0) == queries_before + 1
        assert provider.inventory("apex") == {}
    finally:
        provider.close()
