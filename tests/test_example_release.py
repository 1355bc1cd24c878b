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
    assert "record_type_picklist:Account.*/Tier__c" in first.output and "warning" not in first.output
    assert "group_membership:Tier_Review/alice@acme.com.uat" in first.output
    second = invoke("apply", "-c", config, "--auto-approve", "--org", "prod")
    assert second.exit_code == 0, second.output
    again = invoke("plan", "-c", config, "--org", "uat", "--org", "prod", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes. Your orgs match the configuration." in again.output
