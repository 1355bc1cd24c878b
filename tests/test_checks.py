"""Checks and manual steps through the CLI on an emulated org: what a failing, broken or waiting check
reports, how apply runs the checks, and how manual steps are pending, confirmed and pending again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from providers.emulator.embedded import start_emulator
from reconcile.checks.entry import Expectation
from tests.support.cli import invoke
from tests.support.emulator import client_for

SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Checked"},
    "profiles": [{"name": "System Administrator", "full_name": "Admin"}, {"name": "Sales User"}],
    "permission_sets": [{"name": "Sales_Ops"}],
    "users": [
        {"username": "admin@acme.com", "profile": "System Administrator"},
        {"username": "alice@acme.com", "profile": "Sales User"},
    ],
    "objects": [{"name": "Account", "fields": [{"name": "Tier__c", "type": "Picklist", "values": ["Gold"]}]}],
    "apex_test_classes": [
        {"name": "GoodTest", "methods": ["works"]},
        {
            "name": "BrokenTest",
            "methods": [
                "works",
                {
                    "name": "fails",
                    "outcome": "Fail",
                    "message": "System.AssertException: Assertion Failed: tier",
                    "stack_trace": "Class.BrokenTest.fails: line 7, column 1",
                },
            ],
        },
    ],
    "object_permissions": [{"profile": "Sales User", "object": "Account", "read": True}],
    "field_permissions": [{"profile": "Sales User", "field": "Account.Tier__c", "read": True}],
}
HEAD = """
[orgs.dev]
emulator = "orgs/dev.json"

[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["alice@acme.com"]
"""


def project(tmp_path: Path, entries: str) -> str:
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "dev.json").write_text(json.dumps(SEED), encoding="utf-8")
    (tmp_path / "reconcile.toml").write_text(HEAD + entries, encoding="utf-8")
    return str(tmp_path)


def test_an_invalid_query_is_a_check_that_cannot_run_naming_the_org_and_salesforces_error(tmp_path: Path) -> None:
    config = project(tmp_path, '[[check]]\nname = "bad query"\nsoql = "SELECT Nope FROM Account"\nexpect = "== 0"\n')
    result = invoke("verify", "-c", config)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "ERROR in dev: bad query: cannot run: org dev:" in result.output
    assert "INVALID_FIELD" in result.output and "Nope" in result.output


def test_an_unknown_user_or_field_in_access_cannot_run_and_suggests_the_name(tmp_path: Path) -> None:
    entries = (
        '[[check]]\nname = "typo user"\naccess = { user = "alise@acme.com", object = "Account", can = "read" }\n'
        '[[check]]\nname = "typo field"\n'
        'access = { user = "alice@acme.com", object = "Account", field = "Tir__c", can = "read" }\n'
    )
    result = invoke("verify", "-c", project(tmp_path, entries))
    assert result.exit_code == 1, result.output
    assert "unknown user 'alise@acme.com'; did you mean 'alice@acme.com'?" in result.output
    assert "unknown field 'Account.Tir__c'; did you mean 'Tier__c'?" in result.output


def test_failing_apex_tests_list_class_method_message_and_stack(tmp_path: Path) -> None:
    entries = '[[check]]\nname = "tests"\napex_tests = ["GoodTest", "BrokenTest"]\n'
    result = invoke("verify", "-c", project(tmp_path, entries), "--format", "json")
    assert result.exit_code == 1, result.output
    [check] = json.loads(result.stdout)["orgs"][0]["checks"]
    assert check["status"] == "fail"
    assert check["summary"] == "1 of 3 test methods failed (run asynchronously)"
    assert check["details"] == [
        "BrokenTest.fails: System.AssertException: Assertion Failed: tier (Class.BrokenTest.fails: line 7, column 1)"
    ]


def test_access_names_the_grant_that_gives_it_and_apply_runs_the_checks(tmp_path: Path) -> None:
    entries = (
        '[[check]]\nname = "alice reads Tier"\n'
        'access = { user = "alice@acme.com", object = "Account", field = "Tier__c", can = "read" }\n'
        '[[check]]\nname = "alice edits Account"\n'
        'access = { user = "alice@acme.com", object = "Account", can = "edit" }\n'
        '[[check]]\nname = "after a failed one"\nafter = ["check:alice edits Account"]\n'
        'soql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
    )
    config = project(tmp_path, entries)
    applied = invoke("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 1, applied.output  # a failed check fails the org's outcome
    assert "PASS  alice reads Tier: alice@acme.com can read Account.Tier__c (Account via profile Sales User; " in (
        applied.output
    )
    assert "FAIL in dev: alice edits Account: alice@acme.com cannot edit Account: no grant gives it" in applied.output
    assert "SKIP in dev: after a failed one: skipped: check 'alice edits Account' did not pass" in applied.output
    # the changes stay applied and recorded
    assert invoke("plan", "-c", config, "--detailed-exitcode").exit_code == 0
    history = json.loads(invoke("history", "-c", config, "--format", "json").stdout)
    run = history["runs"][0] if isinstance(history, dict) else history[0]
    assert run["operation"] == "apply" and run["status"] == "failed"
    skipped = invoke("apply", "-c", config, "--auto-approve", "--skip-checks")
    assert skipped.exit_code == 0, skipped.output
    assert "alice edits Account" not in skipped.output


STEP = '[[manual_step]]\nname = "publish-site"\ninstructions = "{text}"\n'


def test_a_manual_step_is_pending_until_confirmed_and_again_when_its_instructions_change(tmp_path: Path) -> None:
    config = project(tmp_path, STEP.format(text="Setup > Sites > Publish"))
    assert invoke("apply", "-c", config, "--auto-approve").exit_code == 0
    markdown = invoke("plan", "-c", config, "--format", "markdown", "--detailed-exitcode")
    assert markdown.exit_code == 2, markdown.output
    assert "- [ ] **publish-site** (dev): Setup > Sites > Publish _(never confirmed)_" in markdown.stdout
    drift = invoke("drift", "-c", config)
    assert "Manual steps open in dev: publish-site" in drift.output
    wrong = invoke("confirm", "manual:publish-sites", "--org", "dev", "-c", config)
    assert wrong.exit_code == 1
    assert (
        "org dev has no manual step 'publish-sites'; did you mean 'publish-site'? (its manual steps: publish-site)"
        in wrong.output
    )
    done = invoke("confirm", "manual:publish-site", "--org", "dev", "-c", config, "--by", "Bo")
    assert done.exit_code == 0, done.output
    assert invoke("plan", "-c", config, "--detailed-exitcode").exit_code == 0
    assert "Manual steps open" not in invoke("drift", "-c", config).output
    (Path(config) / "reconcile.toml").write_text(HEAD + STEP.format(text="Setup > Sites > Publish both"))
    again = invoke("plan", "-c", config, "--detailed-exitcode")
    assert again.exit_code == 2, again.output
    assert "publish-site: Setup > Sites > Publish both  (instructions changed since Bo confirmed it on" in again.output


def test_a_check_waiting_for_a_pending_manual_step_is_skipped(tmp_path: Path) -> None:
    entries = STEP.format(text="Do it") + (
        '[[check]]\nname = "after the step"\nafter = ["manual_step:publish-site"]\n'
        'soql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
    )
    config = project(tmp_path, entries)
    waiting = invoke("verify", "-c", config)
    assert waiting.exit_code == 1, waiting.output
    assert "SKIP  after the step: skipped: manual step 'publish-site' is pending" in waiting.output
    assert invoke("confirm", "manual:publish-site", "--org", "dev", "-c", config).exit_code == 0
    assert invoke("verify", "-c", config).exit_code == 0


@pytest.mark.parametrize(
    ("text", "value", "holds"),
    [("== 0", 0, True), ("!= 0", 0, False), (">= 2", 3, True), ("<= 2", 3, False), ("== true", True, True)],
)
def test_an_expectation_compares_a_count_or_a_value(text: str, value: float | bool, holds: bool) -> None:
    expectation = Expectation.parse(text)
    assert expectation is not None and expectation.holds(value) is holds


@pytest.mark.parametrize("text", ["= 0", "== zero", ">= true", "0"])
def test_an_unreadable_expectation_is_refused(text: str) -> None:
    assert Expectation.parse(text) is None


def test_verify_and_confirm_runs_journal_who_ran_them(tmp_path: Path) -> None:
    config = project(
        tmp_path,
        STEP.format(text="Do it") + '[[check]]\nname = "users"\nsoql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n',
    )
    assert invoke("verify", "-c", config, "--by", "Carol").exit_code == 0
    assert invoke("confirm", "manual:publish-site", "--org", "dev", "-c", config, "--by", "Bo").exit_code == 0
    runs = json.loads(invoke("history", "-c", config, "--format", "json").stdout)
    runs = runs["runs"] if isinstance(runs, dict) else runs
    by_operation = {run["operation"]: run for run in runs}
    verify_run = invoke("history", "show", by_operation["verify"]["run_id"], "-c", config)
    assert verify_run.exit_code == 0, verify_run.output
    assert "who: Carol" in verify_run.output
    confirm_run = invoke("history", "show", by_operation["confirm"]["run_id"], "-c", config)
    assert "who: Bo" in confirm_run.output


INACTIVE = (
    '[[permission_set_grant]]\npermission_set = "Sales_Ops"\nusers = ["admin@acme.com"]\n'
    '[[check]]\nname = "no inactive user holds Sales_Ops"\n'
    "soql = \"SELECT COUNT() FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Sales_Ops' "
    'AND Assignee.IsActive = false"\nexpect = "== 0"\n'
    '[[check]]\nname = "users exist"\nsoql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
)


def test_a_check_broken_by_hand_fails_the_orgs_outcome_in_the_apply_summary(tmp_path: Path) -> None:
    config = project(tmp_path, INACTIVE)
    first = invoke("apply", "-c", config, "--auto-approve")
    assert first.exit_code == 0, first.output
    assert "Apply complete." in first.output
    # by hand: alice is deactivated (she still holds Sales_Ops) and admin's grant is taken away
    with start_emulator(Path(config) / ".reconcile" / "emulator" / "dev.json") as handle:
        sf = client_for(handle)
        alice = sf.query("SELECT Id FROM User WHERE Username = 'alice@acme.com'")["records"][0]["Id"]
        sf.User.update(alice, {"IsActive": False})
        grant = sf.query(
            "SELECT Id FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Sales_Ops' "
            "AND Assignee.Username = 'admin@acme.com'"
        )["records"][0]["Id"]
        sf.PermissionSetAssignment.delete(grant)
    applied = invoke("apply", "-c", config, "--auto-approve")
    assert applied.exit_code == 1, applied.output
    [row] = [line for line in applied.output.splitlines() if line.lstrip().startswith("dev │")]
    assert [cell.strip() for cell in row.split("│")][:3] == ["dev", "checks failed (1 of 2)", "1"], row
    assert "Changes applied; checks failed in dev." in applied.output
    assert "Apply complete." not in applied.output
    assert "FAIL in dev: no inactive user holds Sales_Ops: count 1, expected == 0" in applied.output
    # the grant stays applied and recorded; the run is failed in the history
    assert invoke("plan", "-c", config, "--detailed-exitcode").exit_code == 0
    runs = json.loads(invoke("history", "-c", config, "--format", "json").stdout)
    runs = runs["runs"] if isinstance(runs, dict) else runs
    assert runs[0]["operation"] == "apply" and runs[0]["status"] == "failed"


def test_checks_and_manual_steps_may_name_each_other_in_after_but_not_a_check_of_another_org(tmp_path: Path) -> None:
    entries = (
        '[[check]]\nname = "users exist"\nsoql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
        '[[manual_step]]\nname = "publish-site"\ninstructions = "Publish"\nafter = ["check:users exist"]\n'
        '[[check]]\nname = "after publishing"\nafter = ["manual_step:publish-site", "permission_set_grant:Sales_Ops"]\n'
        'soql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
    )
    config = project(tmp_path, entries)
    assert invoke("validate", "-c", config).exit_code == 0
    other = (
        '[orgs.qa]\nemulator = "orgs/dev.json"\n'
        '[[check]]\nname = "qa only"\norgs = ["qa"]\nsoql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
        '[[check]]\nname = "dev"\norgs = ["dev"]\nafter = ["check:qa only"]\n'
        'soql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
    )
    (Path(config) / "reconcile.toml").write_text(HEAD + other, encoding="utf-8")
    refused = invoke("validate", "-c", config)
    assert refused.exit_code == 1, refused.output
    assert "`after` names `check:qa only`, which is declared for none of the orgs this entry applies to (dev)" in (
        refused.output
    )
