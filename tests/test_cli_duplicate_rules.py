"""``[[duplicate_rule]]`` through the command line on emulated orgs: plan, apply, re-plan, drift, forget,
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

ADDRESS = "duplicate_rule:Account.Standard_Account_Duplicate_Rule"
ORGS = """version = 1

[orgs.dev]
emulator = "orgs/dev.json"

[orgs.uat]
emulator = "orgs/uat.json"
"""
ENTRIES = """
[[duplicate_rule]]
rule = "Account.Standard_Account_Duplicate_Rule"
active = true

[[duplicate_rule]]
rule = "Account.Name_Match"
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

    def set_active_by_hand(self, org: str, full_name: str, active: bool) -> None:
        """What an admin's click does: the whole rule read and written back with isActive changed."""
        with start_emulator(self.live_file(org)) as handle:
            mdapi = client_for(handle).mdapi
            session = mdapi._client.transport.session  # zeep's own session: trust the emulator's CA
            session.verify, session.trust_env = str(handle.ca_cert), False
            component = mdapi.DuplicateRule.read(full_name)
            component.isActive = active
            mdapi.DuplicateRule.update(component)

    def live_active(self, org: str) -> dict[str, bool]:
        document = json.loads(self.live_file(org).read_text(encoding="utf-8"))
        return {f"{r['object']}.{r['name']}": r["active"] for r in document["duplicate_rules"]}


def make_project(tmp_path: Path, entries: str = ENTRIES) -> Project:
    (tmp_path / "orgs").mkdir()
    for org in ("dev", "uat"):
        seed = provider_seed()
        seed["organization"]["name"] = f"Acme {org}"
        seed["duplicate_rules"] = [
            {"object": "Account", "name": n, "active": False} for n in ("Standard_Account_Duplicate_Rule", "Name_Match")
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
    assert "duplicate_rule:Account.Name_Match" not in planned.stdout  # already inactive in dev

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert project.live_active("dev") == {"Account.Standard_Account_Duplicate_Rule": True, "Account.Name_Match": False}
    assert project.live_active("uat")["Account.Standard_Account_Duplicate_Rule"] is True

    again = project.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    project.set_active_by_hand("uat", "Account.Standard_Account_Duplicate_Rule", False)
    drift = project.run("drift", "--format", "json", "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    orgs = {org["org"]: org for org in json.loads(drift.stdout)["orgs"]}
    assert orgs["dev"]["cells"]["duplicate_rule"] == {"state": "in_sync", "drifted": 0}
    assert orgs["uat"]["cells"]["duplicate_rule"] == {"state": "drifted", "drifted": 1}
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
    assert project.live_active("dev")["Account.Standard_Account_Duplicate_Rule"] is True  # never switched back
    resources = LocalStateBackend(tmp_path / ".reconcile" / "state.json").read().orgs["dev"].resources
    assert not [address for address in resources if address.startswith("duplicate_rule:")]


def test_import_writes_the_entries_that_plan_no_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path, entries="")
    out = tmp_path / "imported.toml"
    result = project.run("import", "--org", "dev", "--kind", "duplicate_rule", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert '[[duplicate_rule]]\nrule = "Account.Name_Match"\nactive = false\norgs = ["dev"]' in text, text
    assert tomllib.loads(text)["duplicate_rule"][1] == {
        "rule": "Account.Standard_Account_Duplicate_Rule",
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
    entries = ENTRIES.replace(
        '"Account.Standard_Account_Duplicate_Rule"', '"Account.Standard_Account_Duplicate_Rul"'
    ) + ('\n[[duplicate_rule]]\nrule = "Acount.Name_Match"\nactive = true\n')
    project = make_project(tmp_path, entries)
    planned = project.run("plan")
    assert planned.exit_code == 1, planned.output
    assert (
        "unknown duplicate rule Account.Standard_Account_Duplicate_Rul (did you mean Standard_Account_Duplicate_Rule?)"
        in planned.output
    )
    assert "unknown object Acount" in planned.output and "did you mean Account?" in planned.output
    assert "reconcile.toml:" in planned.output  # placed at the entry


def test_a_malformed_rule_name_is_a_config_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, '\n[[duplicate_rule]]\nrule = "Standard_Account_Duplicate_Rule"\nactive = "yes"\n')
    result = project.run("validate")
    assert result.exit_code == 1, result.output
    assert "'Standard_Account_Duplicate_Rule' must look like Object.Rule_Name" in result.output
    assert "active" in result.output
