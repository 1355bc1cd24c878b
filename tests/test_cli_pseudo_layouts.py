"""``[[layout_assignment]]`` of pseudo-object layouts (CaseClose, UserAlt, PersonAccount) through the
command line and the provider on emulated orgs: plan, apply, re-plan, drift, import, diff, preflight, and
the emulator refusing what Salesforce refuses (a record type spelled after the pseudo-object)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from providers.emulator.org.data import SeedError
from providers.emulator.org.seed import build_tables
from tests.support.cli import invoke
from tests.support.emulator import EmulatedOrg, provider_seed

ORGS = """version = 1

[orgs.dev]
emulator = "orgs/dev.json"

[orgs.uat]
emulator = "orgs/uat.json"
"""
ENTRIES = """
[[layout_assignment]]
profile = "Sales User"
object = "CaseClose"
record_type = "Support"
layout = "Close Case Support Layout"

[[layout_assignment]]
profile = "Sales User"
object = "PersonAccount"
record_type = "PersonAccount"
layout = "Person Account VIP Layout"

[[layout_assignment]]
profile = "Sales User"
object = "UserAlt"
layout = "User Profile Alt Layout"
"""
CASE_CLOSE = "layout_assignment:Sales User/CaseClose/Support"


def pseudo_seed() -> dict[str, Any]:
    seed = provider_seed()
    account = seed["objects"][0]
    account["record_types"].append({"developer_name": "PersonAccount", "label": "Person Account", "person": True})
    account["pseudo_layouts"] = [
        {"object": "PersonAccount", "name": "Person Account Layout"},
        {"object": "PersonAccount", "name": "Person Account VIP Layout"},
    ]
    seed["objects"] += [
        {
            "name": "Case",
            "record_types": ["Default_Case", "Support"],
            "layouts": ["Case Layout"],
            "pseudo_layouts": [
                {"object": "CaseClose", "name": "Close Case Layout"},
                {"object": "CaseClose", "name": "Close Case Support Layout"},
            ],
        },
        {
            "name": "User",
            "layouts": ["User Layout"],
            "pseudo_layouts": [
                {"object": "UserAlt", "name": "User Profile Layout"},
                {"object": "UserAlt", "name": "User Profile Alt Layout"},
            ],
        },
    ]
    return seed


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str) -> Result:
        return invoke(*args, "-c", str(self.root))

    def configure(self, entries: str) -> None:
        (self.root / "reconcile.toml").write_text(ORGS + entries, encoding="utf-8")

    def live_file(self, org: str) -> Path:
        return self.root / ".reconcile" / "emulator" / f"{org}.json"

    def live_layouts(self, org: str, profile: str) -> dict[tuple[str, str], str]:
        document = json.loads(self.live_file(org).read_text(encoding="utf-8"))
        return {
            (a["object"], a.get("record_type") or ""): a["layout"]
            for a in document["layout_assignments"]
            if a["profile"] == profile
        }


def make_project(tmp_path: Path, entries: str = ENTRIES) -> Project:
    (tmp_path / "orgs").mkdir()
    for org in ("dev", "uat"):
        seed = pseudo_seed()
        seed["organization"]["name"] = f"Acme {org}"
        (tmp_path / "orgs" / f"{org}.json").write_text(json.dumps(seed), encoding="utf-8")
    project = Project(tmp_path)
    project.configure(entries)
    return project


def test_plan_apply_replan_then_drift_after_a_hand_change(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    planned = project.run("plan")
    assert planned.exit_code == 0, planned.output
    for address in (CASE_CLOSE, "Sales User/PersonAccount/PersonAccount", "Sales User/UserAlt"):
        assert address in planned.stdout, planned.stdout

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    live = project.live_layouts("dev", "Sales User")
    assert live[("CaseClose", "Support")] == "Close Case Support Layout"
    assert live[("CaseClose", "Default_Case")] == "Close Case Layout"  # the overlay kept the others
    assert live[("PersonAccount", "PersonAccount")] == "Person Account VIP Layout"
    assert live[("UserAlt", "")] == "User Profile Alt Layout"
    assert live[("Case", "Support")] == "Case Layout"  # the real object's assignment is its own

    again = project.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    document = json.loads(project.live_file("uat").read_text(encoding="utf-8"))
    for entry in document["layout_assignments"]:
        if (entry["profile"], entry["object"], entry.get("record_type")) == ("Sales User", "CaseClose", "Support"):
            entry["layout"] = "Close Case Layout"  # an admin repoints it in Setup
    project.live_file("uat").write_text(json.dumps(document), encoding="utf-8")
    drift = project.run("drift", "--format", "json", "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    orgs = {org["org"]: org for org in json.loads(drift.stdout)["orgs"]}
    assert orgs["dev"]["cells"]["layout_assignment"]["state"] == "in_sync"
    assert [item["address"] for item in orgs["uat"]["items"]] == [CASE_CLOSE]


def test_import_writes_pseudo_object_entries_that_plan_no_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path, entries="")
    out = tmp_path / "imported.toml"
    result = project.run("import", "--org", "dev", "--kind", "layout_assignment", "--out", str(out))
    assert result.exit_code == 0, result.output
    entries = tomllib.loads(out.read_text(encoding="utf-8"))["layout_assignment"]
    pseudo = {(e["object"], e.get("record_type", ""), e["layout"]) for e in entries if "CaseClose" in e["object"]}
    assert pseudo == {
        ("CaseClose", "", "Close Case Layout"),
        ("CaseClose", "Default_Case", "Close Case Layout"),
        ("CaseClose", "Support", "Close Case Layout"),
    }
    objects = {e["object"] for e in entries}
    assert {"PersonAccount", "UserAlt"} <= objects
    planned = project.run("plan", "--org", "dev", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_diff_between_two_orgs_names_the_pseudo_object_assignment(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve", "--org", "dev").exit_code == 0
    result = project.run("diff", "--from", "dev", "--to", "uat")
    assert CASE_CLOSE in result.output, result.output


def test_preflight_checks_pseudo_objects_against_their_real_object(tmp_path: Path) -> None:
    entries = ENTRIES.replace('record_type = "Support"', 'record_type = "Suport"') + (
        '\n[[layout_assignment]]\nprofile = "Sales User"\nobject = "CaseClose"\nlayout = "Close Case Layot"\n'
    )
    project = make_project(tmp_path, entries)
    planned = project.run("plan")
    assert planned.exit_code == 1, planned.output
    assert "unknown record type CaseClose.Suport" in planned.output and "did you mean Support?" in planned.output
    assert "unknown layout Close Case Layot for CaseClose" in planned.output
    assert "unknown object" not in planned.output  # CaseClose is looked up as Case


def _profile_update(org: EmulatedOrg, layout: str, record_type: str) -> Any:
    transport = org.provider.transport
    assignment = transport.metadata_type("ProfileLayoutAssignment")(layout=layout, recordType=record_type)
    profile = transport.metadata_type("Profile")(fullName="Sales User", layoutAssignments=[assignment])
    [saved] = transport.metadata("updateMetadata", [profile])
    return saved


def test_the_emulator_takes_the_real_objects_record_types_only(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(pseudo_seed())
    assert _profile_update(org, "CaseClose-Close Case Support Layout", "Case.Support").success in (True, "true")
    for layout, record_type in (
        ("CaseClose-Close Case Support Layout", "CaseClose.Support"),  # no such record type
        ("PersonAccount-Person Account Layout", "Account.Enterprise"),  # a business record type
        ("Account-Account Layout", "PersonAccount.PersonAccount"),  # a person record type
    ):
        saved = _profile_update(org, layout, record_type)
        assert saved.success in (False, "false"), (layout, record_type)


@pytest.mark.parametrize(
    ("pseudo", "message"),
    [
        ("CaseClose", "names no pseudo-object of Account (PersonAccount)"),
        ("Nope", '"Nope" is not one of "CaseClose", "UserAlt", "PersonAccount"'),
    ],
)
def test_the_seed_refuses_a_pseudo_layout_on_the_wrong_object(pseudo: str, message: str) -> None:
    seed = provider_seed()
    seed["objects"][0]["pseudo_layouts"] = [{"object": pseudo, "name": "X Layout"}]
    with pytest.raises(SeedError) as caught:
        build_tables(seed)
    assert message in str(caught.value)
