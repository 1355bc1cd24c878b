"""examples/release works as its header says: plan, apply (uat; prod only when named), re-plan clean."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.cli import invoke

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "release"


def test_the_release_example_converges_both_orgs(tmp_path: Path) -> None:
    root = tmp_path / "release"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".reconcile"))
    config = str(root)
    assert invoke("validate", "-c", config).exit_code == 0
    first = invoke("apply", "-c", config, "--auto-approve")
    assert first.exit_code == 0, first.output
    assert "apex:backfill-tiers: switched back on" in first.output
    assert "prod" in first.output  # named as left out: protected
    second = invoke("apply", "-c", config, "--auto-approve", "--org", "prod")
    assert second.exit_code == 0, second.output
    again = invoke("plan", "-c", config, "--org", "uat", "--org", "prod", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes. Your orgs match the configuration." in again.output


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
