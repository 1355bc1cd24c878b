"""``[[validation_rule]]`` through the command line on emulated orgs: plan, apply, re-plan, drift, forget,
import, diff and preflight errors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from typer.testing import Result

from providers.emulator.embedded import start_emulator
from state.local import LocalStateBackend
from tests.support.cli import invoke
from tests.support.emulator import client_for, provider_seed

ADDRESS = "validation_rule:Account.Require_Tier"
ORGS = """version = 1

[orgs.dev]
emulator = "orgs/dev.json"

[orgs.uat]
emulator = "orgs/uat.json"
"""
ENTRIES = """
[[validation_rule]]
rule = "Account.Require_Tier"
active = true

[[validation_rule]]
rule = "Account.Name_Length"
active = false
orgs = ["dev"]
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

    def set_active_by_hand(self, org: str, name: str, active: bool) -> None:
        with start_emulator(self.live_file(org)) as handle:
            sf = client_for(handle)
            soql = f"SELECT Id FROM ValidationRule WHERE ValidationName = '{name}'"
            rule_id = sf.toolingexecute("query/", params={"q": soql})["records"][0]["Id"]
            path = f"sobjects/ValidationRule/{rule_id}"
            metadata = sf.toolingexecute(path)["Metadata"]
            sf.toolingexecute(path, method="PATCH", data={"Metadata": {**metadata, "active": active}})

    def live_active(self, org: str) -> dict[str, bool]:
        document = json.loads(self.live_file(org).read_text(encoding="utf-8"))
        return {f"{r['object']}.{r['name']}": r["active"] for r in document["validation_rules"]}


def make_project(tmp_path: Path, entries: str = ENTRIES) -> Project:
    (tmp_path / "orgs").mkdir()
    for org in ("dev", "uat"):
        seed = provider_seed()
        seed["organization"]["name"] = f"Acme {org}"
        seed["validation_rules"] = [
            {"object": "Account", "name": n, "active": False, "error_message": f"{n} failed", "formula": "false"}
            for n in ("Require_Tier", "Name_Length")
        ]
        (tmp_path / "orgs" / f"{org}.json").write_text(json.dumps(seed), encoding="utf-8")
    project = Project(tmp_path)
    project.configure(entries)
    return project


def test_plan_apply_replan_then_drift_after_a_hand_change(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("validate").exit_code == 0

    planned = project.run("plan")
    assert planned.exit_code == 0, planned.output
    assert f"~ {ADDRESS}  (active false -> true)" in planned.stdout
    assert "active: false -> true" in planned.stdout
    assert "validation_rule:Account.Name_Length" not in planned.stdout  # already inactive in dev

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert project.live_active("dev") == {"Account.Require_Tier": True, "Account.Name_Length": False}
    assert project.live_active("uat")["Account.Require_Tier"] is True

    again = project.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    project.set_active_by_hand("uat", "Require_Tier", False)
    drift = project.run("drift", "--format", "json", "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    orgs = {org["org"]: org for org in json.loads(drift.stdout)["orgs"]}
    assert orgs["dev"]["cells"]["validation_rule"] == {"state": "in_sync", "drifted": 0}
    assert orgs["uat"]["cells"]["validation_rule"] == {"state": "drifted", "drifted": 1}
    (item,) = orgs["uat"]["items"]
    assert item["address"] == ADDRESS and item["origin"] == "outside"


def test_a_rule_leaving_the_config_is_forgotten_and_left_as_it_is(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve").exit_code == 0
    project.configure("")
    planned = project.run("plan")
    assert planned.exit_code == 0, planned.output
    assert ADDRESS in planned.stdout and "stays in the org, no longer managed" in planned.stdout, planned.stdout
    plan = json.loads(project.run("plan", "--format", "json").stdout)
    actions = {c["address"]: c["action"] for org in plan["orgs"] for c in org["changes"]}
    assert set(actions.values()) == {"forget"}, actions
    assert project.run("apply", "--auto-approve").exit_code == 0
    assert project.live_active("dev")["Account.Require_Tier"] is True  # never switched back
    resources = LocalStateBackend(tmp_path / ".reconcile" / "state.json").read().orgs["dev"].resources
    assert not [address for address in resources if address.startswith("validation_rule:")]


def test_import_writes_the_entries_that_plan_no_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path, entries="")
    out = tmp_path / "imported.toml"
    result = project.run("import", "--org", "dev", "--kind", "validation_rule", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert '[[validation_rule]]\nrule = "Account.Name_Length"\nactive = false\norgs = ["dev"]' in text, text
    assert tomllib.loads(text)["validation_rule"][1] == {
        "rule": "Account.Require_Tier",
        "active": False,
        "orgs": ["dev"],
    }
    # the configuration is the directory: the imported file is part of it now
    planned = project.run("plan", "--org", "dev", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_diff_between_two_orgs_names_the_rule(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve", "--org", "dev").exit_code == 0
    result = project.run("diff", "--from", "dev", "--to", "uat")
    assert ADDRESS in result.output and "uat has it inactive" in result.output, result.output


def test_an_unknown_rule_or_object_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    entries = ENTRIES.replace('"Account.Require_Tier"', '"Account.Require_Tierr"') + (
        '\n[[validation_rule]]\nrule = "Acount.Name_Length"\nactive = true\n'
    )
    project = make_project(tmp_path, entries)
    planned = project.run("plan")
    assert planned.exit_code == 1, planned.output
    assert "unknown validation rule Account.Require_Tierr (did you mean Require_Tier?)" in planned.output
    assert "unknown object Acount" in planned.output and "did you mean Account?" in planned.output
    assert "reconcile.toml:" in planned.output  # placed at the entry


def test_a_malformed_rule_name_is_a_config_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, '\n[[validation_rule]]\nrule = "Require_Tier"\nactive = "yes"\n')
    result = project.run("validate")
    assert result.exit_code == 1, result.output
    assert "'Require_Tier' must look like Object.Rule_Name" in result.output
    assert "active" in result.output
