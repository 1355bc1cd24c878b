"""Diff between two orgs: exact differences, usernames mapped across suffixes, and entries to adopt them."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from reconcile.fleet.diff import OrgDiff, canonical_address, compare
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.render.drift import render_diff_text
from tests.test_multi_org import FLEET_ENTRIES, make_fleet


def _grant(username: str, expires: str | None = None) -> PermissionSetGrant:
    return PermissionSetGrant.model_validate({"permission_set": "Sales_Ops", "username": username, "expires": expires})


def test_usernames_compare_without_their_org_suffix() -> None:
    assert canonical_address(_grant("alice@acme.com.uat").address, ".uat") == _grant("alice@acme.com").address
    assert canonical_address(_grant("robot@acme.com").address, ".uat") == _grant("robot@acme.com").address
    source = {canonical_address(g.address, ""): g for g in (_grant("alice@acme.com"), _grant("bob@acme.com"))}
    target = {
        canonical_address(g.address, ".uat"): g
        for g in (_grant("alice@acme.com.uat", "2030-01-31"), _grant("carol@acme.com.uat"))
    }
    changes = compare(source, target, ".uat", names=("dev", "uat"))
    assert [(c.action.symbol, str(c.address), c.reason) for c in changes] == [
        ("~", "permission_set_grant:Sales_Ops/alice@acme.com.uat", "expires 2030-01-31 in uat, never in dev"),
        ("+", "permission_set_grant:Sales_Ops/bob@acme.com.uat", "only in dev"),
        ("-", "permission_set_grant:Sales_Ops/carol@acme.com.uat", "only in uat"),
    ]
    created = changes[1].after
    assert isinstance(created, PermissionSetGrant) and created.username == "bob@acme.com.uat"


def test_picklists_compare_active_values_labels_and_default() -> None:
    source = Picklist(
        target="Account.Tier__c",
        values=(
            PicklistValue(name="Gold"),
            PicklistValue(name="Silver", default=True),
            PicklistValue(name="Old", active=False),
        ),
    )
    same_choices = Picklist(
        target="Account.Tier__c",
        sorted=True,
        values=(
            PicklistValue(name="Silver", default=True),
            PicklistValue(name="Gold"),
            PicklistValue(name="Legacy", active=False),
        ),
    )
    address = source.address
    assert compare({address: source}, {address: same_choices}, "", names=("a", "b")) == []

    target = Picklist(
        target="Account.Tier__c",
        values=(
            PicklistValue(name="Gold", label="Gold!", default=True),
            PicklistValue(name="Silver", active=False),
            PicklistValue(name="Platinum"),
        ),
    )
    [change] = compare({address: source}, {address: target}, "", names=("a", "b"))
    assert [(d.value, d.change) for d in change.details] == [
        ("Gold", "relabel"),
        ("Silver", "reactivate"),
        ("Platinum", "deactivate"),
        ("Silver", "default"),
    ]
    assert isinstance(change.after, Picklist)
    assert change.after.mode == "exact"
    assert [v.name for v in change.after.values] == ["Gold", "Silver"]


def test_layouts_compare_the_layout_and_text_reads_like_a_plan() -> None:
    left = LayoutAssignment(profile="Sales User", object="Account", layout="Account Layout")
    right = left.model_copy(update={"layout": "Other Layout"})
    changes = compare({left.address: left}, {right.address: right}, "", names=("dev", "uat"))
    diff = OrgDiff(
        source="dev", target="uat", kinds=("layout_assignment",), scope="managed", compared=1, changes=tuple(changes)
    )
    assert render_diff_text(diff) == (
        "Diff: what would make uat like dev (the keys the configuration manages; 1 compared)\n\n"
        "  ~ layout_assignment:Sales User/Account  (uat shows 'Other Layout')\n"
        '      ~ layout: "Other Layout" -> "Account Layout"\n\n'
        "Diff: 0 only in dev, 1 different, 0 only in uat.\n"
    )


# -- against emulated orgs ---------------------------------------------------------------------------


def test_diff_of_managed_keys_is_exact(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    result = fleet.invoke("diff", "--from", "alpha", "--to", "beta", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["from"], data["to"], data["scope"], data["compared"]) == ("alpha", "beta", "managed", 8)
    assert [(d["symbol"], d["address"]) for d in data["differences"]] == [
        ("~", "picklist:Account.Tier__c"),
        ("~", "picklist:gvs:Regions"),
        ("~", "layout_assignment:Sales Manager/Account/Enterprise"),
        ("~", "layout_assignment:Sales User/Account/Enterprise"),
        ("+", "permission_set_grant:Sales_Ops/bob@acme.com.beta"),
        ("-", "permission_set_grant:Sales_Ops/carol@acme.com.beta"),
        ("+", "permission_set_grant:group:Sales_Bundle/alice@acme.com.beta"),
    ]
    tier = data["differences"][0]["details"]
    assert [(d["value"], d["change"], d["before"], d["after"]) for d in tier] == [
        ("Silver", "relabel", "Silver (old)", "Silver"),
        ("Bronze", "add", None, "Bronze tier"),
        ("Platinum", "deactivate", None, None),
        ("Silver", "default", "Gold", None),
    ]
    assert data["differences"][2]["to"]["layout"] == "Account Layout"
    assert data["differences"][2]["from"]["layout"] == "Account Enterprise Layout"
    assert data["summary"] == {"only_in_from": 2, "different": 4, "only_in_to": 1}

    assert fleet.invoke("apply", "--auto-approve", "--org", "beta").exit_code == 0
    converged = fleet.invoke("diff", "--from", "alpha", "--to", "beta")
    assert converged.exit_code == 0, converged.output
    assert converged.stdout.strip().endswith("No differences: beta matches alpha (7 compared).")


def test_diff_of_a_whole_kind_reads_everything_of_it(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    result = fleet.invoke(
        "diff", "--from", "alpha", "--to", "gamma", "--kind", "permission_set_grant", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["scope"], data["kinds"]) == ("everything", ["permission_set_grant"])
    assert [(d["symbol"], d["address"]) for d in data["differences"]] == [
        ("+", "permission_set_grant:Sales_Ops/alice@acme.com.gamma"),
        ("+", "permission_set_grant:Sales_Ops/bob@acme.com.gamma"),
        ("+", "permission_set_grant:Service_Desk/carol@acme.com.gamma"),
        ("~", "permission_set_grant:Service_Desk/dave@acme.com.gamma"),
        ("+", "permission_set_grant:acme__Billing_Admin/dave@acme.com.gamma"),
        ("+", "permission_set_grant:group:Sales_Bundle/alice@acme.com.gamma"),
    ]
    assert data["differences"][3]["from"]["expires"] == "2031-06-30"
    assert data["differences"][3]["to"]["expires"] is None


def test_diff_out_writes_entries_the_target_can_adopt(tmp_path: Path) -> None:
    only_alpha = re.sub(r"(\[\[\w+\]\]\n)", r'\1orgs = ["alpha"]\n', FLEET_ENTRIES)
    fleet = make_fleet(tmp_path, orgs=("alpha", "beta"), entries=only_alpha)
    out = fleet.root / "adopt-beta.toml"

    result = fleet.invoke("diff", "--from", "alpha", "--to", "beta", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 5 entries" in result.stderr
    assert "left out permission_set_grant:Sales_Ops/carol@acme.com.beta: only in beta" in result.stderr
    written = tomllib.loads(out.read_text(encoding="utf-8"))
    assert written["picklist"] == [
        {
            "field": "Account.Tier__c",
            "values": ["Gold", "Silver", {"name": "Bronze", "label": "Bronze tier"}],
            "default": "Silver",
            "mode": "exact",
            "orgs": ["beta"],
        },
        {"global_value_set": "Regions", "values": ["EMEA", "AMER", "APAC"], "orgs": ["beta"]},
    ]
    assert written["layout_assignment"] == [
        {
            "profiles": ["Sales Manager", "Sales User"],
            "object": "Account",
            "record_type": "Enterprise",
            "layout": "Account Enterprise Layout",
            "orgs": ["beta"],
        }
    ]
    assert written["permission_set_grant"] == [
        {"permission_set": "Sales_Ops", "users": ["bob@acme.com"], "orgs": ["beta"]},
        {"permission_set_group": "Sales_Bundle", "users": ["alice@acme.com"], "orgs": ["beta"]},
    ]

    validated = fleet.invoke("validate")
    assert validated.exit_code == 0, validated.output
    applied = fleet.invoke("apply", "--auto-approve", "--org", "beta")
    assert applied.exit_code == 0, applied.output
    after = json.loads(fleet.invoke("diff", "--from", "alpha", "--to", "beta", "--format", "json").stdout)
    assert [(d["symbol"], d["address"]) for d in after["differences"]] == [
        ("-", "permission_set_grant:Sales_Ops/carol@acme.com.beta")
    ]


def test_diff_refuses_one_org_twice_and_unknown_orgs(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, orgs=("alpha", "beta"))
    same = fleet.invoke("diff", "--from", "alpha", "--to", "alpha")
    assert same.exit_code == 1 and "name the same org 'alpha'" in same.output
    unknown = fleet.invoke("diff", "--from", "alpha", "--to", "betta")
    assert unknown.exit_code == 1 and "unknown org 'betta'" in unknown.output
    apex = fleet.invoke("diff", "--from", "alpha", "--to", "beta", "--kind", "apex")
    assert apex.exit_code == 1 and "apex scripts are not read from orgs" in apex.output


def test_diff_renders_markdown_for_a_pull_request(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    result = fleet.invoke("diff", "--from", "alpha", "--to", "beta", "--format", "markdown")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("### Diff: what would make `beta` like `alpha`\n")
    block = text.split("```diff\n", 1)[1].split("\n```", 1)[0].splitlines()
    headlines = [line for line in block if not line.startswith(("+ ", "- ", "! ", "#  "))]
    assert headlines == [], headlines  # every line starts with a symbol GitHub colours
    assert any(line.startswith("! picklist:Account.Tier__c") for line in block)
    assert "Diff: 2 only in alpha, 4 different, 1 only in beta." in text
    assert "Legend:" in text
