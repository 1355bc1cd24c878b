"""``[[apex]] disable``: what a script switches off while it runs is switched back after, also when the
script fails, and a run killed half-way is switched back by the next plan (state ``restore``)."""

from __future__ import annotations

from pathlib import Path

from state.base import StateEntry
from tests.test_cli_validation_rules import ADDRESS, Project, make_project

RULE = """
[[validation_rule]]
rule = "Account.Require_Tier"
active = true
"""
SCRIPT = """
[[apex]]
name = "backfill"
file = "backfill.apex"
run = "always"
disable = ["validation_rule:Account.Require_Tier"]
"""


def _project(tmp_path: Path, body: str = "System.debug('backfill');\n") -> Project:
    project = make_project(tmp_path, RULE)
    (tmp_path / "backfill.apex").write_text(body, encoding="utf-8")
    result = project.run("apply", "--auto-approve")  # the rule is active before any script runs
    assert result.exit_code == 0, result.output
    project.configure(RULE + SCRIPT)
    return project


def _state(project: Project) -> dict[str, dict[str, StateEntry]]:
    from state.local import LocalStateBackend

    state = LocalStateBackend(project.root / ".reconcile" / "state.json").read()
    return {org: value.restore for org, value in state.orgs.items()}


def test_a_script_runs_with_the_rule_switched_off_and_it_is_switched_back_on(tmp_path: Path) -> None:
    project = _project(tmp_path)
    plan = project.run("plan", "--org", "dev")
    assert "switched off while it runs, then back on: validation_rule:Account.Require_Tier" in plan.output
    applied = project.run("apply", "--auto-approve", "--org", "dev")
    assert applied.exit_code == 0, applied.output
    switched = applied.output.index(f"apex:backfill: switched off {ADDRESS}")
    assert switched < applied.output.index(f"apex:backfill: switched back on {ADDRESS}")
    assert project.live_active("dev")["Account.Require_Tier"] is True
    assert _state(project)["dev"] == {}
    journal = (project.root / ".reconcile" / "history.jsonl").read_text(encoding="utf-8")
    assert '"apex:backfill"' in journal
    assert f"apex:backfill: switched off {ADDRESS}" in journal  # the journal keeps what was switched


def test_a_failing_script_still_gets_the_rule_switched_back_on(tmp_path: Path) -> None:
    project = _project(tmp_path, "System.debug('before');\nthrow new TierException('no tier');\n")
    applied = project.run("apply", "--auto-approve", "--org", "dev")
    assert applied.exit_code == 1, applied.output
    assert "runtime exception" in applied.output
    assert project.live_active("dev")["Account.Require_Tier"] is True
    assert _state(project)["dev"] == {}


def test_a_run_killed_after_switching_off_is_switched_back_by_the_next_plan(tmp_path: Path) -> None:
    from state.local import LocalStateBackend

    project = _project(tmp_path)
    project.configure(RULE)  # the script has left the configuration; the rule stays declared
    backend = LocalStateBackend(project.root / ".reconcile" / "state.json")
    state = backend.read()
    state.orgs["dev"].restore[ADDRESS] = StateEntry(
        kind="validation_rule", attributes={"object": "Account", "rule": "Require_Tier", "active": True}
    )
    backend.write(state)
    project.set_active_by_hand("dev", "Require_Tier", False)  # as the killed run left it

    plan = project.run("plan", "--org", "dev")
    assert f"~ {ADDRESS}" in plan.output, plan.output
    applied = project.run("apply", "--auto-approve", "--org", "dev")
    assert applied.exit_code == 0, applied.output
    assert project.live_active("dev")["Account.Require_Tier"] is True
    assert _state(project)["dev"] == {}


def test_a_restore_of_a_rule_no_longer_declared_is_planned_with_its_reason(tmp_path: Path) -> None:
    from state.local import LocalStateBackend

    project = _project(tmp_path)
    project.configure("")
    backend = LocalStateBackend(project.root / ".reconcile" / "state.json")
    state = backend.read()
    state.orgs["dev"].resources.pop(ADDRESS, None)
    state.orgs["dev"].restore[ADDRESS] = StateEntry(
        kind="validation_rule", attributes={"object": "Account", "rule": "Require_Tier", "active": True}
    )
    backend.write(state)
    project.set_active_by_hand("dev", "Require_Tier", False)
    plan = project.run("plan", "--org", "dev")
    assert f"~ {ADDRESS}  (switched back on: a script that switched it off was interrupted)" in plan.output
    assert project.run("apply", "--auto-approve", "--org", "dev").exit_code == 0
    assert project.live_active("dev")["Account.Require_Tier"] is True
    assert _state(project)["dev"] == {}


def test_disable_must_name_something_that_can_be_switched_off(tmp_path: Path) -> None:
    project = make_project(tmp_path, RULE)
    (tmp_path / "backfill.apex").write_text("System.debug(1);\n", encoding="utf-8")
    project.configure(
        RULE
        + """
[[picklist]]
global_value_set = "Regions"
values = ["EMEA"]
"""
        + SCRIPT.replace("validation_rule:Account.Require_Tier", "picklist:gvs:Regions")
    )
    result = project.run("validate")
    assert result.exit_code == 1
    assert "`disable` names `picklist:gvs:Regions`: picklist cannot be switched off while a script runs" in (
        result.output
    )
