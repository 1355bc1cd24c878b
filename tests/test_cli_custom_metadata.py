"""``[[custom_metadata]]`` through the command line on two emulated orgs with different ``vars``: plan,
apply, re-plan, diff, drift, import, ownership on removal, typed values checked in preflight, protected
managed records reported and not attempted, and the emulator's Metadata API CustomMetadata wire shape."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from typer.testing import Result

from providers.emulator.embedded import start_emulator
from tests.support.cli import invoke
from tests.support.emulator import client_for, provider_seed

ORGS = """version = 1

[orgs.uat]
emulator = "orgs/uat.json"
[orgs.uat.vars]
erp_url = "https://erp-staging.example.com"

[orgs.prod]
emulator = "orgs/prod.json"
[orgs.prod.vars]
erp_url = "https://erp.example.com"
"""
ENTRIES = """
[[custom_metadata]]
record = "Feature_Flag__mdt.New_Checkout"
label = "New checkout"
values = { Enabled__c = true, Rollout__c = 25 }

[[custom_metadata]]
record = "Integration__mdt.ERP"
values = { Endpoint__c = "${var.erp_url}" }
"""


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str) -> Result:
        return invoke(*args, "-c", str(self.root))

    def configure(self, entries: str) -> None:
        (self.root / "reconcile.toml").write_text(ORGS + entries, encoding="utf-8")

    def live_file(self, org: str) -> Path:
        return self.root / ".reconcile" / "emulator" / f"{org}.json"

    def records(self, org: str, type_name: str) -> dict[str, dict[str, Any]]:
        document = json.loads(self.live_file(org).read_text(encoding="utf-8"))
        (found,) = [o for o in document["objects"] if o["name"] == type_name]
        return {r["QualifiedApiName"]: r for r in found["records"]}


def make_project(tmp_path: Path, entries: str = ENTRIES) -> Project:
    (tmp_path / "orgs").mkdir()
    for org in ("uat", "prod"):
        seed = provider_seed()
        seed["organization"]["name"] = f"Acme {org}"
        seed["objects"] += [
            {
                "name": "Feature_Flag__mdt",
                "fields": [
                    {"name": "Enabled__c", "type": "Checkbox"},
                    {"name": "Rollout__c", "type": "Number"},
                    {"name": "Owner_Team__c", "type": "Text"},
                ],
                "records": [
                    {"DeveloperName": "Old_Search", "Enabled__c": True, "Owner_Team__c": "search"},
                    {"DeveloperName": "vendor__Locked", "IsProtected": True, "Enabled__c": False},
                ],
            },
            {
                "name": "Integration__mdt",
                "fields": [{"name": "Endpoint__c", "type": "Url"}, {"name": "Owner_Team__c", "type": "Text"}],
                "records": [{"DeveloperName": "ERP", "Endpoint__c": "https://old.example.com", "Owner_Team__c": "erp"}],
            },
        ]
        (tmp_path / "orgs" / f"{org}.json").write_text(json.dumps(seed), encoding="utf-8")
    project = Project(tmp_path)
    project.configure(entries)
    return project


def test_each_org_gets_its_own_values_and_a_replan_is_clean(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("validate").exit_code == 0

    planned = project.run("plan")
    assert planned.exit_code == 0, planned.output
    assert "+ custom_metadata:Feature_Flag__mdt.New_Checkout  (missing record)" in planned.stdout
    assert "~ custom_metadata:Integration__mdt.ERP  (differs: Endpoint__c)" in planned.stdout
    assert "Endpoint__c: https://old.example.com -> https://erp.example.com" in planned.stdout

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    for org, url in (("uat", "https://erp-staging.example.com"), ("prod", "https://erp.example.com")):
        erp = project.records(org, "Integration__mdt")["ERP"]
        assert (erp["Endpoint__c"], erp["Owner_Team__c"]) == (url, "erp")  # the undeclared field kept
        flag = project.records(org, "Feature_Flag__mdt")["New_Checkout"]
        assert (flag["MasterLabel"], flag["Enabled__c"], flag["Rollout__c"]) == ("New checkout", True, 25)

    again = project.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output

    diff = project.run("diff", "--from", "uat", "--to", "prod")
    assert "Endpoint__c https://erp-staging.example.com in uat, https://erp.example.com in prod" in diff.output
    assert "New_Checkout" not in diff.output  # the same in both


def test_drift_and_ownership_on_removal(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve").exit_code == 0
    with start_emulator(project.live_file("prod")) as handle:
        mdapi = client_for(handle).mdapi
        session = mdapi._client.transport.session
        session.verify, session.trust_env = str(handle.ca_cert), False
        component = mdapi.CustomMetadata.read("Integration.ERP")
        assert component.fullName == "Integration.ERP" and component.label == "ERP"
        for value in component.values:
            if value.field == "Endpoint__c":
                value.value = "https://dr.example.com"
        mdapi.CustomMetadata.update(component)
    drift = project.run("drift", "--format", "json", "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    orgs = {org["org"]: org for org in json.loads(drift.stdout)["orgs"]}
    assert orgs["prod"]["cells"]["custom_metadata"] == {"state": "drifted", "drifted": 1}
    assert orgs["uat"]["cells"]["custom_metadata"] == {"state": "in_sync", "drifted": 0}

    project.configure("")
    plan = json.loads(project.run("plan", "--format", "json").stdout)
    actions = {c["address"]: c["action"] for org in plan["orgs"] if org["org"] == "uat" for c in org["changes"]}
    assert actions == {
        "custom_metadata:Feature_Flag__mdt.New_Checkout": "delete",
        "custom_metadata:Integration__mdt.ERP": "forget",
    }
    assert project.run("apply", "--auto-approve").exit_code == 0
    assert set(project.records("uat", "Feature_Flag__mdt")) == {"Old_Search", "vendor__Locked"}
    assert project.records("uat", "Integration__mdt")["ERP"]["Endpoint__c"] == "https://erp-staging.example.com"


def test_import_writes_entries_that_plan_no_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path, "")
    out = tmp_path / "imported.toml"
    result = project.run("import", "--org", "uat", "--kind", "custom_metadata", "--out", str(out))
    assert result.exit_code == 0, result.output
    entries = tomllib.loads(out.read_text(encoding="utf-8"))["custom_metadata"]
    assert entries[0] == {
        "record": "Feature_Flag__mdt.Old_Search",
        "label": "Old Search",
        "values": {"Enabled__c": True, "Owner_Team__c": "search"},
        "orgs": ["uat"],
    }
    planned = project.run("plan", "--org", "uat", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_bad_fields_types_and_protected_records_are_reported_at_the_entry(tmp_path: Path) -> None:
    entries = """
[[custom_metadata]]
record = "Feature_Flag__mdt.New_Checkout"
values = { Enabld__c = true, Rollout__c = "all" }

[[custom_metadata]]
record = "Feature_Flag__mdt.vendor__Locked"
values = { Enabled__c = true }

[[custom_metadata]]
record = "Feature_Flgs__mdt.X"
"""
    project = make_project(tmp_path, entries)
    planned = project.run("plan", "--org", "uat")
    assert planned.exit_code == 1, planned.output
    assert "unknown field Enabld__c on Feature_Flag__mdt (did you mean Enabled__c?)" in planned.output
    assert "Feature_Flag__mdt.Rollout__c takes a number, not 'all'" in planned.output
    assert "Feature_Flag__mdt.vendor__Locked is a protected record of a managed package" in planned.output
    assert "unknown custom metadata type Feature_Flgs__mdt" in planned.output
    assert "reconcile.toml:" in planned.output
