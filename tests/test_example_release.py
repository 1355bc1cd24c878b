"""examples/release works as its header says: plan, apply (uat; prod only when named), re-plan clean, and
the release is verified: its checks pass after apply, fail after a hand change, and its manual step stays
pending until confirmed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from providers.emulator.embedded import start_emulator
from state.local import LocalStateBackend
from tests.support.cli import invoke
from tests.support.emulator import client_for

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "release"


def copy_example(tmp_path: Path) -> str:
    root = tmp_path / "release"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".reconcile"))
    return str(root)


def apply_both(config: str) -> None:
    first = invoke("apply", "-c", config, "--auto-approve")
    assert first.exit_code == 0, first.output
    assert "apex:backfill-tiers: switched back on" in first.output
    assert "prod" in first.output  # named as left out: protected
    assert "Verified: 5 check results passed in 1 org(s)." in first.output  # uat's checks, after converging
    assert "record_type_picklist:Account.*/Tier__c" in first.output and "warning" not in first.output
    assert "group_membership:Tier_Review/alice@acme.com.uat" in first.output
    second = invoke("apply", "-c", config, "--auto-approve", "--org", "prod")
    assert second.exit_code == 0, second.output
    assert "Manual steps pending in prod:" in second.output
    assert "[ ] reauthenticate-erp: Setup > Named Credentials > ERP > Authenticate" in second.output


def test_the_release_example_converges_both_orgs(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    assert invoke("validate", "-c", config).exit_code == 0
    apply_both(config)
    pending = invoke("plan", "-c", config, "--org", "uat", "--org", "prod", "--detailed-exitcode")
    assert pending.exit_code == 2, pending.output  # the manual step counts as a change
    assert "No changes. Your orgs match the configuration." in pending.output
    confirmed = invoke("confirm", "manual:reauthenticate-erp", "--org", "prod", "-c", config, "--by", "Ada Admin")
    assert confirmed.exit_code == 0, confirmed.output
    again = invoke("plan", "-c", config, "--org", "uat", "--org", "prod", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "Manual steps pending" not in again.output


def test_verify_passes_after_apply_and_fails_after_a_hand_change(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    before = invoke("verify", "-c", config, "--org", "uat")
    assert before.exit_code == 1, before.output  # the release is not applied yet: the rule is still off
    assert "FAIL in uat: Require_Tier is active: value False, expected == true" in before.output
    apply_both(config)
    passed = invoke("verify", "-c", config, "--org", "uat", "--org", "prod")
    assert passed.exit_code == 0, passed.output
    assert "Verified: 10 check results passed in 2 org(s)." in passed.output

    # someone deactivates carol, who still holds Sales_Ops, and takes Sales_Ops from alice in uat
    with start_emulator(Path(config) / ".reconcile" / "emulator" / "uat.json") as handle:
        sf = client_for(handle)
        carol = sf.query("SELECT Id FROM User WHERE Username = 'carol@acme.com.uat'")["records"][0]["Id"]
        sf.User.update(carol, {"IsActive": False})
        grant = sf.query(
            "SELECT Id FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Sales_Ops' "
            "AND Assignee.Username = 'alice@acme.com.uat'"
        )["records"][0]["Id"]
        sf.PermissionSetAssignment.delete(grant)
    failed = invoke("verify", "-c", config, "--org", "uat", "--org", "prod")
    assert failed.exit_code == 1, failed.output
    assert "FAIL in uat: no inactive user holds Sales_Ops: count 1, expected == 0" in failed.output
    assert (
        "FAIL in uat: alice can edit Tier: alice@acme.com.uat cannot edit Account: no grant gives it" in failed.output
    )
    assert "FAIL in prod" not in failed.output

    as_json = json.loads(invoke("verify", "-c", config, "--format", "json").stdout)
    assert as_json["passed"] is False
    assert as_json["summary"] == {"checks": 10, "passed": 8, "failed": 2, "errors": 0, "skipped": 0}
    matrix = invoke("verify", "-c", config, "--format", "markdown").stdout
    assert "| check | prod | uat |" in matrix
    assert "| no inactive user holds Sales_Ops | ✅ pass | ❌ fail |" in matrix


def test_confirmations_survive_in_state_and_show_in_the_report(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    apply_both(config)
    done = invoke(
        "confirm", "manual:reauthenticate-erp", "--org", "prod", "-c", config, "--by", "Ada Admin", "--note", "CHG-1042"
    )
    assert done.exit_code == 0, done.output
    state = LocalStateBackend(Path(config) / ".reconcile" / "state.json").read()
    entry = state.orgs["prod"].resources["manual_step:reauthenticate-erp"]
    assert entry.attributes["confirmed_by"] == "Ada Admin" and entry.attributes["note"] == "CHG-1042"
    assert invoke("verify", "-c", config, "--org", "prod").exit_code == 0
    html = invoke("report", "-c", config, "--format", "html").stdout
    assert "<h2>Checks</h2>" in html and "<th>prod</th>" in html
    assert "<td>alice can edit Tier</td><td>✅ pass</td>" in html
    assert "<td>reauthenticate-erp</td>" in html and "<td>Ada Admin</td>" in html and "<td>CHG-1042</td>" in html


def test_the_release_example_points_each_org_at_its_own_erp(tmp_path: Path) -> None:
    root = tmp_path / "release"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".reconcile"))
    config = str(root)
    for org in ("uat", "prod"):
        assert invoke("apply", "-c", config, "--auto-approve", "--org", org).exit_code == 0
    diff = invoke("diff", "-c", config, "--from", "uat", "--to", "prod")
    assert diff.exit_code == 0, diff.output
    assert "url https://erp-staging.acme.example in uat, https://erp.acme.example in prod" in diff.output
    assert "endpoint https://erp-staging.acme.example/api in uat, https://erp.acme.example/api in prod" in diff.output
    assert "ERP_Endpoint__c https://erp-staging.acme.example in uat, https://erp.acme.example in prod" in diff.output
    assert "Enabled__c true in uat, false in prod" in diff.output
    assert "not-a-real-password" not in diff.output
