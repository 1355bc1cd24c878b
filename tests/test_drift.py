"""Drift: the org × kind matrix and where each difference comes from.

The first tests build plans and state by hand (the classification is pure); the others run
``reconcile drift`` against emulated orgs, change one org by hand through its API, and check that the
matrix, the notes and the exit codes say so.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from providers.emulator.embedded import start_emulator
from reconcile.fleet.drift import drift_report
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Action, Address, Change
from reconcile.plan import OrgPlan, Plan
from reconcile.render.drift import render_drift_markdown, render_drift_text
from state.base import OrgState, State, StateEntry
from tests.support.emulator import client_for
from tests.test_multi_org import FLEET_ENTRIES, Fleet, make_fleet

APPLIED = datetime(2025, 3, 1, 10, 15, tzinfo=UTC)


def _layout(layout: str) -> LayoutAssignment:
    return LayoutAssignment(profile="Sales User", object="Account", record_type="Enterprise", layout=layout)


def _entry(resource: Picklist | LayoutAssignment | PermissionSetGrant, **extra: Any) -> StateEntry:
    return StateEntry(kind=resource.address.kind, attributes={**resource.attributes(), **extra}, applied_at=APPLIED)


def _plan(changes: list[Change], errors: tuple[str, ...] = ()) -> Plan:
    return Plan(
        created_at=APPLIED,
        config_digest="c",
        state_lineage="l",
        state_serial=1,
        orgs=(OrgPlan(org="uat", changes=tuple(changes), errors=errors), OrgPlan(org="dev")),
    )


def test_each_drifted_item_says_where_the_difference_comes_from() -> None:
    tier = Picklist(target="Account.Tier__c", values=(PicklistValue(name="Gold"), PicklistValue(name="Silver")))
    hand_edited = tier.model_copy(
        update={"values": (PicklistValue(name="Gold", label="Gold!"), PicklistValue(name="Silver"))}
    )
    layout = _layout("Account Layout")
    revoked = PermissionSetGrant(permission_set="Sales_Ops", username="alice@acme.com.uat")
    stray = PermissionSetGrant(permission_set="Sales_Ops", username="carol@acme.com.uat")
    old = PermissionSetGrant(permission_set="Service_Desk", username="bob@acme.com.uat")
    changes = [
        Change(address=tier.address, action=Action.UPDATE, before=hand_edited, after=tier, reason="1 value relabelled"),
        Change(address=layout.address, action=Action.UPDATE, before=layout, after=_layout("Account Enterprise Layout")),
        Change(address=revoked.address, action=Action.CREATE, after=revoked, reason="not granted yet"),
        Change(address=Address("permission_set_grant", "Sales_Ops/dave@acme.com.uat"), action=Action.CREATE),
        Change(address=stray.address, action=Action.DELETE, before=stray),
        Change(address=old.address, action=Action.DELETE, before=old),
        Change(address=Address("apex", "hello"), action=Action.RUN),
    ]
    state = State(
        orgs={
            "uat": OrgState(
                resources={
                    str(tier.address): _entry(tier, managed_values=["Gold"]),
                    str(layout.address): _entry(layout),
                    str(revoked.address): _entry(revoked),
                    str(old.address): _entry(old),
                }
            )
        }
    )

    report = drift_report(_plan(changes), state)

    uat = report.orgs[0]
    origins = {str(item.address): item.origin for item in uat.items}
    assert origins == {
        "picklist:Account.Tier__c": "outside",
        "layout_assignment:Sales User/Account/Enterprise": "config",
        "permission_set_grant:Sales_Ops/alice@acme.com.uat": "outside",
        "permission_set_grant:Sales_Ops/dave@acme.com.uat": "pending",
        "permission_set_grant:Sales_Ops/carol@acme.com.uat": "undeclared",
        "permission_set_grant:Service_Desk/bob@acme.com.uat": "removed",
    }
    notes = {str(item.address): item.note for item in uat.items}
    assert notes["picklist:Account.Tier__c"] == (
        "changed outside reconcile since the last apply (applied 2025-03-01 10:15:00 UTC)"
    )
    assert notes["permission_set_grant:Sales_Ops/alice@acme.com.uat"].endswith("it is no longer in the org")
    assert notes["permission_set_grant:Sales_Ops/dave@acme.com.uat"] == "not yet applied"
    assert [uat.cells[kind].text for kind in report.kinds] == [
        "1 drifted",
        "1 drifted",
        "4 drifted",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
    ]
    assert report.orgs[1].in_sync and report.has_drift and not report.has_errors


def test_a_picklist_still_as_applied_is_a_config_change_whatever_the_value_order() -> None:
    applied = Picklist(target="gvs:Regions", values=(PicklistValue(name="EMEA"), PicklistValue(name="AMER")))
    live = applied.model_copy(update={"values": tuple(reversed(applied.values)), "sorted": True})
    wanted = applied.model_copy(update={"values": (*applied.values, PicklistValue(name="APAC"))})
    change = Change(address=applied.address, action=Action.UPDATE, before=live, after=wanted)
    state = State(orgs={"uat": OrgState(resources={str(applied.address): _entry(applied)})})
    item = drift_report(_plan([change]), state).orgs[0].items[0]
    assert item.origin == "config"
    assert item.note.startswith("the configuration changed since the last apply (applied 2025-03-01")


def test_an_error_naming_an_address_marks_only_its_kind() -> None:
    grant = PermissionSetGrant(permission_set="Sales_Ops", username="x@acme.com.uat")
    change = Change(address=grant.address, action=Action.CREATE, after=grant)
    errors = ("layout_assignment:Nobody/Account: unknown profile Nobody",)
    uat = drift_report(_plan([change], errors), State()).orgs[0]
    assert [cell.text for cell in uat.cells.values()] == [
        "in sync",
        "error",
        "1 drifted",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
        "in sync",
    ]
    whole = drift_report(_plan([change], ("org uat: login failed",)), State()).orgs[0]
    assert [cell.state for cell in whole.cells.values()] == ["error"] * 14


def test_renderers_show_the_matrix_and_every_drifted_address() -> None:
    grant = PermissionSetGrant(permission_set="Sales_Ops", username="x@acme.com.uat")
    report = drift_report(_plan([Change(address=grant.address, action=Action.CREATE, after=grant)]), State())
    text = render_drift_text(report, width=120)
    assert "uat   in sync    in sync             1 drifted" in text
    assert "  + permission_set_grant:Sales_Ops/x@acme.com.uat\n      not yet applied\n" in text
    assert text.rstrip().endswith("Drift: 1 in sync, 1 drifted, 0 with errors (2 orgs).")
    markdown = render_drift_markdown(report)
    assert "| uat | in sync | in sync | 1 drifted |" in markdown
    assert "- `+ permission_set_grant:Sales_Ops/x@acme.com.uat`: not yet applied" in markdown


# -- against emulated orgs ---------------------------------------------------------------------------


def _hand_change(fleet: Fleet, org: str) -> None:
    """Relabel Account.Tier__c's Gold and revoke alice's Sales_Ops, the way an admin would: through the
    org's own API, on the org's live file, after the CLI runs ended."""
    suffix = {"gamma": ".gamma", "beta": ".beta"}[org]
    with start_emulator(fleet.live_file(org)) as handle:
        sf = client_for(handle)
        found = sf.toolingexecute("query/?q=SELECT+Id+FROM+CustomField+WHERE+DeveloperName='Tier'")
        field_id = found["records"][0]["Id"]
        metadata = sf.toolingexecute(f"sobjects/CustomField/{field_id}")["Metadata"]
        for value in metadata["valueSet"]["valueSetDefinition"]["value"]:
            if value["valueName"] == "Gold":
                value["label"] = "Gold (by hand)"
        sf.toolingexecute(f"sobjects/CustomField/{field_id}", method="PATCH", data={"Metadata": metadata})
        assignment = sf.query(
            "SELECT Id FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Sales_Ops' "
            f"AND Assignee.Username = 'alice@acme.com{suffix}'"
        )
        sf.restful(f"sobjects/PermissionSetAssignment/{assignment['records'][0]['Id']}", method="DELETE")


def test_drift_names_a_hand_change_and_a_config_change(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    assert fleet.invoke("apply", "--auto-approve").exit_code == 0
    in_sync = fleet.invoke("drift", "--detailed-exitcode")
    assert in_sync.exit_code == 0, in_sync.output
    assert "Drift: 3 in sync, 0 drifted, 0 with errors (3 orgs)." in in_sync.stdout

    _hand_change(fleet, "gamma")
    fleet.write(
        "reconcile.toml",
        fleet.root.joinpath("reconcile.toml")
        .read_text(encoding="utf-8")
        .replace('layout = "Account Enterprise Layout"', 'layout = "Account Layout"'),
    )

    result = fleet.invoke("drift", "--format", "json", "--detailed-exitcode", "--parallelism", "3")
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    orgs = {org["org"]: org for org in data["orgs"]}
    assert data["summary"] == {"orgs": 3, "in_sync": 0, "drifted": 3, "errors": 0}
    assert (
        orgs["alpha"]["cells"]
        == orgs["beta"]["cells"]
        == {
            "picklist": {"state": "in_sync", "drifted": 0},
            "layout_assignment": {"state": "drifted", "drifted": 2},
            "permission_set_grant": {"state": "in_sync", "drifted": 0},
        }
    )
    assert {item["origin"] for item in orgs["beta"]["items"]} == {"config"}
    gamma = {item["address"]: item for item in orgs["gamma"]["items"]}
    assert sorted(gamma) == [
        "layout_assignment:Sales Manager/Account/Enterprise",
        "layout_assignment:Sales User/Account/Enterprise",
        "permission_set_grant:Sales_Ops/alice@acme.com.gamma",
        "picklist:Account.Tier__c",
    ]
    tier = gamma["picklist:Account.Tier__c"]
    applied_at = fleet.state().orgs["gamma"].resources["picklist:Account.Tier__c"].applied_at
    assert applied_at is not None
    assert tier["origin"] == "outside" and tier["applied_at"] == applied_at.isoformat()
    when = f"{applied_at:%Y-%m-%d %H:%M:%S} UTC"
    assert tier["note"] == f"changed outside reconcile since the last apply (applied {when})"
    assert tier["details"] == [{"value": "Gold", "change": "relabel", "before": "Gold (by hand)", "after": "Gold"}]
    revoked = gamma["permission_set_grant:Sales_Ops/alice@acme.com.gamma"]
    assert (revoked["origin"], revoked["action"]) == ("outside", "create")

    text = fleet.invoke("drift")
    assert text.exit_code == 0
    assert "gamma   1 drifted   2 drifted           1 drifted" in text.stdout
    assert (
        "  ~ picklist:Account.Tier__c  (value Gold relabelled)\n"
        "      changed outside reconcile since the last apply (applied "
    ) in text.stdout


def _add_values(fleet: Fleet, org: str, names: list[str]) -> None:
    """Add active values to Account.Tier__c by hand, through the org's Tooling API."""
    with start_emulator(fleet.live_file(org)) as handle:
        sf = client_for(handle)
        found = sf.toolingexecute("query/?q=SELECT+Id+FROM+CustomField+WHERE+DeveloperName='Tier'")
        field_id = found["records"][0]["Id"]
        metadata = sf.toolingexecute(f"sobjects/CustomField/{field_id}")["Metadata"]
        values = metadata["valueSet"]["valueSetDefinition"]["value"]
        values += [{"valueName": name, "label": name, "default": False} for name in names]
        sf.toolingexecute(f"sobjects/CustomField/{field_id}", method="PATCH", data={"Metadata": metadata})


def test_values_added_by_hand_are_named_wherever_the_drift_is_shown(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, orgs=("gamma",))
    assert fleet.invoke("apply", "--auto-approve").exit_code == 0
    _add_values(fleet, "gamma", ["Platinum"])
    text = fleet.invoke("drift").stdout
    assert "  ~ picklist:Account.Tier__c  (value Platinum deactivated)\n" in text
    _add_values(fleet, "gamma", ["Iron", "Tin", "Lead", "Zinc"])
    reason = "values Platinum, Iron, Tin and 2 more deactivated"
    assert f"  ~ picklist:Account.Tier__c  ({reason})\n" in fleet.invoke("drift").stdout
    markdown = fleet.invoke("drift", "--format", "markdown").stdout
    assert f"- `~ picklist:Account.Tier__c` ({reason}): changed outside reconcile" in markdown
    plan = fleet.invoke("plan").stdout
    assert f"  ~ picklist:Account.Tier__c  ({reason})\n" in plan
    assert "      - value Zinc (deactivate)\n" in plan
    assert f"! picklist:Account.Tier__c  ({reason})\n" in fleet.invoke("plan", "--format", "markdown").stdout


def test_an_org_that_cannot_be_planned_is_an_error_cell_and_exit_1(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, orgs=("alpha", "broken"), entries=FLEET_ENTRIES)
    result = fleet.invoke("drift", "--format", "json", "--detailed-exitcode")
    assert result.exit_code == 1, result.output
    orgs = {org["org"]: org for org in json.loads(result.stdout)["orgs"]}
    assert orgs["broken"]["cells"]["permission_set_grant"]["state"] == "error"
    assert orgs["broken"]["cells"]["picklist"] == {"state": "drifted", "drifted": 2}
    assert any("unknown permission set Sales_Ops" in error for error in orgs["broken"]["errors"])
    assert orgs["alpha"]["errors"] == []


def test_outside_a_terminal_the_matrix_prints_whole_at_any_width() -> None:
    names = ("customer-success-production-emea", "customer-success-sandbox-full-copy-apac")
    grant = PermissionSetGrant(permission_set="Sales_Ops", username="x@acme.com.uat")
    change = Change(address=grant.address, action=Action.CREATE, after=grant)
    plan = Plan(
        created_at=APPLIED,
        config_digest="c",
        state_lineage="l",
        state_serial=1,
        orgs=tuple(OrgPlan(org=name, changes=(change,)) for name in names),
    )
    report = drift_report(plan, State())
    text = render_drift_text(report, width=80)
    assert "…" not in text
    assert " org " in text and "picklist" in text and "layout_assignment" in text
    assert "permission_set_grant" in text
    for name in names:
        row = rf"^ {name} +in sync +in sync +1 drifted" + r" +in sync" * 11 + "$"
        assert re.search(row, text, re.M), name
    fitted = render_drift_text(report, width=80, terminal=True)
    assert all(len(line) <= 80 for line in fitted.splitlines())
