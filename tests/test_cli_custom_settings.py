"""``[[custom_setting]]`` through the command line on two emulated orgs with different ``vars``: hierarchy
levels (org, profile, user) and list rows, plan, apply, re-plan, diff, drift, import, ownership on
removal, typed values checked in preflight, and the emulator's one-row-per-owner rule."""

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
username_suffix = ".uat"
[orgs.uat.vars]
erp_url = "https://erp-staging.example.com"
timeout = "60"

[orgs.prod]
emulator = "orgs/prod.json"
[orgs.prod.vars]
erp_url = "https://erp.example.com"
timeout = "30"
"""
ENTRIES = """
[[custom_setting]]
object = "Integration_Settings__c"
level = "org"
values = { Endpoint__c = "${var.erp_url}", Timeout__c = "${var.timeout}", Enabled__c = true }

[[custom_setting]]
object = "Integration_Settings__c"
level = "profile:Sales User"
values = { Timeout__c = 90 }

[[custom_setting]]
object = "Integration_Settings__c"
level = "user:alice@acme.com"
values = { Enabled__c = false }

[[custom_setting]]
object = "Country_Codes__c"
name = "US"
values = { Code__c = "USA", Go_Live__c = 2026-01-15 }
"""
SETTING_FIELDS = [
    {"name": "Endpoint__c", "type": "Url"},
    {"name": "Timeout__c", "type": "Number"},
    {"name": "Enabled__c", "type": "Checkbox"},
    {"name": "Notes__c", "type": "Text"},
]


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str) -> Result:
        return invoke(*args, "-c", str(self.root))

    def configure(self, entries: str) -> None:
        (self.root / "reconcile.toml").write_text(ORGS + entries, encoding="utf-8")

    def live_file(self, org: str) -> Path:
        return self.root / ".reconcile" / "emulator" / f"{org}.json"

    def rows(self, org: str, name: str) -> list[dict[str, Any]]:
        document = json.loads(self.live_file(org).read_text(encoding="utf-8"))
        (found,) = [o for o in document["objects"] if o["name"] == name]
        return list(found["records"])


def make_project(tmp_path: Path, entries: str = ENTRIES) -> Project:
    (tmp_path / "orgs").mkdir()
    for org in ("uat", "prod"):
        suffix = ".uat" if org == "uat" else ""
        seed = provider_seed()
        seed["organization"]["name"] = f"Acme {org}"
        seed["profiles"].append({"name": "Sales User"})
        seed["users"].append({"username": f"alice@acme.com{suffix}", "profile": "Sales User"})
        seed["objects"] += [
            {
                "name": "Integration_Settings__c",
                "custom_setting": "hierarchy",
                "fields": SETTING_FIELDS,
                "records": [{"owner": "org", "Notes__c": "kept", "Timeout__c": 10}],
            },
            {
                "name": "Country_Codes__c",
                "custom_setting": "list",
                "fields": [{"name": "Code__c", "type": "Text"}, {"name": "Go_Live__c", "type": "Date"}],
            },
        ]
        (tmp_path / "orgs" / f"{org}.json").write_text(json.dumps(seed), encoding="utf-8")
    project = Project(tmp_path)
    project.configure(entries)
    return project


def test_each_org_gets_its_own_values_and_a_replan_is_clean(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("validate").exit_code == 0, project.run("validate").output

    planned = project.run("plan")
    assert planned.exit_code == 0, planned.output
    assert (
        "~ custom_setting:Integration_Settings__c/org  (differs: Endpoint__c, Timeout__c, Enabled__c)" in planned.stdout
    )
    assert "Timeout__c: 10.0 -> 60" in planned.stdout or "Timeout__c: 10 -> 60" in planned.stdout
    assert "+ custom_setting:Integration_Settings__c/user:alice@acme.com.uat" in planned.stdout
    assert "+ custom_setting:Country_Codes__c/US" in planned.stdout

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    for org, url, timeout in (("uat", "https://erp-staging.example.com", 60), ("prod", "https://erp.example.com", 30)):
        settings = project.rows(org, "Integration_Settings__c")
        assert len(settings) == 3
        org_row = next(r for r in settings if r["SetupOwnerId"].startswith("00D"))
        assert (org_row["Endpoint__c"], org_row["Timeout__c"], org_row["Enabled__c"]) == (url, timeout, True)
        assert org_row["Notes__c"] == "kept"  # undeclared fields are left alone
        (us,) = project.rows(org, "Country_Codes__c")
        assert (us["Name"], us["Code__c"], us["Go_Live__c"]) == ("US", "USA", "2026-01-15")

    again = project.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    diff = project.run("diff", "--from", "uat", "--to", "prod")
    assert diff.exit_code == 0, diff.output
    assert "Endpoint__c https://erp-staging.example.com in uat, https://erp.example.com in prod" in diff.output
    assert "custom_setting:Integration_Settings__c/user:alice@acme.com" in diff.output or "Country" not in diff.output


def test_drift_and_ownership_on_removal(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve").exit_code == 0
    with start_emulator(project.live_file("prod")) as handle:
        sf = client_for(handle)
        row = sf.query("SELECT Id FROM Country_Codes__c WHERE Name = 'US'")["records"][0]
        sf.Country_Codes__c.update(row["Id"], {"Code__c": "U.S."})
    drift = project.run("drift", "--format", "json", "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    orgs = {org["org"]: org for org in json.loads(drift.stdout)["orgs"]}
    assert orgs["prod"]["cells"]["custom_setting"] == {"state": "drifted", "drifted": 1}
    assert orgs["uat"]["cells"]["custom_setting"] == {"state": "in_sync", "drifted": 0}
    (item,) = orgs["prod"]["items"]
    assert item["origin"] == "outside"

    project.configure("")
    plan = json.loads(project.run("plan", "--format", "json").stdout)
    actions = {c["address"]: c["action"] for org in plan["orgs"] if org["org"] == "uat" for c in org["changes"]}
    assert actions == {
        "custom_setting:Integration_Settings__c/org": "forget",  # it was there before: only updated
        "custom_setting:Integration_Settings__c/profile:Sales User": "delete",
        "custom_setting:Integration_Settings__c/user:alice@acme.com.uat": "delete",
        "custom_setting:Country_Codes__c/US": "delete",
    }
    assert project.run("apply", "--auto-approve").exit_code == 0
    (kept,) = project.rows("uat", "Integration_Settings__c")
    assert kept["Endpoint__c"] == "https://erp-staging.example.com"  # forgotten, not reverted
    assert project.rows("uat", "Country_Codes__c") == []


def test_import_writes_entries_that_plan_no_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve", "--org", "uat").exit_code == 0
    project.configure("")
    out = tmp_path / "imported.toml"
    result = project.run("import", "--org", "uat", "--kind", "custom_setting", "--out", str(out))
    assert result.exit_code == 0, result.output
    entries = tomllib.loads(out.read_text(encoding="utf-8"))["custom_setting"]
    levels = {e.get("level") or e.get("name") for e in entries}
    assert levels == {"org", "profile:Sales User", "user:alice@acme.com", "US"}
    planned = project.run("plan", "--org", "uat", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_unknown_fields_wrong_types_and_missing_vars_are_errors_at_the_entry(tmp_path: Path) -> None:
    entries = """
[[custom_setting]]
object = "Integration_Settings__c"
level = "org"
values = { Endpont__c = "x", Timeout__c = "soon", Enabled__c = "${var.flag}" }
"""
    project = make_project(tmp_path, entries)
    validated = project.run("validate")
    assert validated.exit_code == 1
    assert "${var.flag}" in validated.output and "reconcile.toml:" in validated.output
    assert "uat" in validated.output and "prod" in validated.output

    project.configure(entries.replace("${var.flag}", "yes"))
    planned = project.run("plan", "--org", "uat")
    assert planned.exit_code == 1, planned.output
    assert "unknown field Endpont__c on Integration_Settings__c (did you mean Endpoint__c?)" in planned.output
    assert "Integration_Settings__c.Timeout__c takes a number, not 'soon'" in planned.output
    assert "Integration_Settings__c.Enabled__c takes true or false, not 'yes'" in planned.output
    assert "reconcile.toml:" in planned.output


def test_the_emulator_keeps_one_row_per_owner(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    with start_emulator(project.root / "live.json", seed=project.root / "orgs" / "prod.json") as handle:
        sf = client_for(handle)
        org_id = sf.query("SELECT Id FROM Organization")["records"][0]["Id"]
        body = {
            "allOrNone": False,
            "records": [{"attributes": {"type": "Integration_Settings__c"}, "SetupOwnerId": org_id}],
        }
        (answer,) = sf.restful("composite/sobjects", method="POST", json=body)
        assert answer["success"] is False
        assert answer["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
        assert "SetupOwnerId duplicates value on record with id" in answer["errors"][0]["message"]
        describe = sf.Integration_Settings__c.describe()
        assert describe["customSetting"] is True
        assert "SetupOwnerId" in {f["name"] for f in describe["fields"]}
