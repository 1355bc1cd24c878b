"""``--replace apex:NAME`` runs a ``once`` script again on purpose; ``state list`` shows the Apex ledger."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.cli import invoke

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
SHA = "bba4a60fa486e7903f0d7d40606528edfb64bbe0e91dad4cb5989edb6224e685"  # scripts/hello.apex


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    """The quickstart, applied once (``apex:hello`` ran once in uat)."""
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".reconcile"))
    result = invoke("apply", "-c", str(root), "--auto-approve")
    assert result.exit_code == 0, result.output
    return root


def ledger(root: Path) -> list[dict[str, object]]:
    listed = invoke("state", "list", "-c", str(root), "--apex", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows: list[dict[str, object]] = json.loads(listed.output)
    return rows


def test_replace_runs_a_once_script_again_and_the_ledger_shows_both_runs(applied: Path) -> None:
    assert invoke("plan", "-c", str(applied), "--detailed-exitcode").exit_code == 0
    planned = invoke("plan", "-c", str(applied), "--replace", "apex:hello", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "> apex:hello  (ran before; run again on request (--replace))" in planned.output
    assert "1 to run, across 2 orgs" in planned.output

    again = invoke("apply", "-c", str(applied), "--replace", "apex:hello", "--auto-approve")
    assert again.exit_code == 0, again.output
    rows = ledger(applied)
    assert [(r["org"], r["script"], r["sha256"], r["success"]) for r in rows] == [("uat", "hello", SHA, True)] * 2
    assert str(rows[0]["at"]) < str(rows[1]["at"])

    listed = invoke("state", "list", "-c", str(applied))
    lines = listed.output.splitlines()
    assert lines[lines.index("Apex runs:") - 1] == "" and lines[0].startswith("dev::")
    runs = lines[lines.index("Apex runs:") + 1 :]
    assert len(runs) == 2 and all(line.startswith("uat::apex:hello  20") and line.endswith(SHA) for line in runs)
    assert all("  ok  " in line for line in runs)
    assert invoke("plan", "-c", str(applied), "--detailed-exitcode").exit_code == 0  # once again, once only


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("apex:nope", "--replace apex:nope: no selected org declares it"),
        ("picklist:Account.Tier__c", "--replace picklist:Account.Tier__c: only apex scripts can be replaced"),
        ("nonsense", "--replace nonsense: "),
    ],
)
def test_replace_names_a_declared_script(applied: Path, address: str, message: str) -> None:
    result = invoke("apply", "-c", str(applied), "--replace", address, "--auto-approve")
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(ledger(applied)) == 1


def test_a_saved_plan_is_applied_as_made(applied: Path, tmp_path: Path) -> None:
    planfile = tmp_path / "replace.plan"
    assert invoke("plan", "-c", str(applied), "--replace", "apex:hello", "--out", str(planfile)).exit_code == 0
    refused = invoke("apply", str(planfile), "-c", str(applied), "--replace", "apex:hello", "--auto-approve")
    assert refused.exit_code == 1 and "plan again with --replace and --out" in refused.output
    done = invoke("apply", str(planfile), "-c", str(applied), "--auto-approve")
    assert done.exit_code == 0, done.output
    assert len(ledger(applied)) == 2
