"""The quickstart end to end through the CLI: plan, apply, re-plan shows nothing; saved plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from state.local import LocalStateBackend
from tests.support.cli import invoke

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    target = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, target, ignore=shutil.ignore_patterns(".reconcile"))
    return target


def test_plan_apply_replan(quickstart: Path) -> None:
    result = invoke("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "dev" in result.output and "uat" in result.output
    assert "Deletes in this plan:" in result.output

    result = invoke("apply", "-c", str(quickstart), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply complete." in result.output

    result = invoke("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "No changes." in result.output

    state = LocalStateBackend(quickstart / ".reconcile" / "state.json").read()
    assert set(state.orgs) == {"dev", "uat"}
    assert state.orgs["uat"].apex_runs["hello"][0].success is True
    history = (quickstart / ".reconcile" / "history.jsonl").read_text().splitlines()
    assert json.loads(history[0])["type"] == "run_start"
    assert json.loads(history[-1])["type"] == "run_end"


def test_apply_without_terminal_refuses_and_changes_nothing(quickstart: Path) -> None:
    result = invoke("apply", "-c", str(quickstart))
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert "Traceback" not in result.output
    assert not (quickstart / ".reconcile" / "state.json").exists()


def test_saved_plan_applies_then_is_stale(quickstart: Path) -> None:
    planfile = quickstart / "release.plan"
    result = invoke("plan", "-c", str(quickstart), "--out", str(planfile))
    assert result.exit_code == 0, result.output
    result = invoke("apply", str(planfile), "-c", str(quickstart), "--auto-approve")
    assert result.exit_code == 0, result.output
    result = invoke("apply", str(planfile), "-c", str(quickstart), "--auto-approve")
    assert result.exit_code == 1
    assert "stale" in result.output
    assert "serial" in result.output


def test_saved_plan_is_stale_after_a_config_edit(quickstart: Path) -> None:
    planfile = quickstart / "release.plan"
    assert invoke("plan", "-c", str(quickstart), "--out", str(planfile)).exit_code == 0
    config = quickstart / "reconcile.toml"
    config.write_text(config.read_text() + "\n# edited\n")
    result = invoke("apply", str(planfile), "-c", str(quickstart), "--auto-approve")
    assert result.exit_code == 1
    assert "config" in result.output.lower()
    assert not (quickstart / ".reconcile" / "state.json").exists()


def test_single_org_selection_and_unknown_org(quickstart: Path) -> None:
    result = invoke("plan", "-c", str(quickstart), "--org", "dev")
    assert result.exit_code == 0, result.output
    assert "uat" not in result.output.split("Deletes")[0].split("\n\n")[1]
    result = invoke("plan", "-c", str(quickstart), "--org", "uta")
    assert result.exit_code == 1
    assert "did you mean" in result.output.lower()


def test_validate_quickstart() -> None:
    result = invoke("validate", "-c", str(QUICKSTART))
    assert result.exit_code == 0, result.output


def test_shards_cover_every_org_exactly_once(quickstart: Path) -> None:
    seen: list[str] = []
    for k in (1, 2):
        result = invoke("plan", "-c", str(quickstart), "--shard", f"{k}/2", "--format", "json")
        assert result.exit_code == 0, result.output
        seen += [org["org"] for org in json.loads(result.output)["orgs"]]
    assert sorted(seen) == ["dev", "uat"]
    result = invoke("plan", "-c", str(quickstart), "--shard", "3/2")
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_applying_shard_by_shard_converges_each_org_once(quickstart: Path) -> None:
    from reconcile.fleet.sharding import shard_orgs

    applied: list[str] = []
    for k in (1, 2, 3):
        result = invoke("apply", "-c", str(quickstart), "--shard", f"{k}/3", "--auto-approve")
        assert result.exit_code == 0, result.output
        applied += shard_orgs(["dev", "uat"], f"{k}/3")
        state_file = quickstart / ".reconcile" / "state.json"
        managed = sorted(json.loads(state_file.read_text())["orgs"]) if state_file.exists() else []
        assert managed == sorted(applied)
    assert sorted(applied) == ["dev", "uat"]
    result = invoke("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def test_an_expired_grant_is_forgotten_once_and_never_created_again(quickstart: Path) -> None:
    config = quickstart / "reconcile.toml"
    grant = '\n[[permission_set_grant]]\npermission_set = "Service_Desk"\nusers = ["carol@acme.com"]\norgs = ["uat"]\n'
    config.write_text(config.read_text() + grant + "expires = 2099-12-31\n")
    assert invoke("apply", "-c", str(quickstart), "--auto-approve").exit_code == 0
    # The date passes: the configuration says a past date and Salesforce has removed the assignment.
    config.write_text(config.read_text().replace("expires = 2099-12-31", "expires = 2001-01-31"))
    live = quickstart / ".reconcile" / "emulator" / "uat.json"
    document = json.loads(live.read_text())
    for entry in document["permission_set_assignments"]:
        if entry["username"] == "carol@acme.com.uat" and entry.get("permission_set") == "Service_Desk":
            entry["expiration_date"] = "2001-01-31T00:00:00.000+0000"
    live.write_text(json.dumps(document))
    result = invoke("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "expired on 2001-01-31" in result.output and "not granted yet" not in result.output
    assert invoke("apply", "-c", str(quickstart), "--auto-approve").exit_code == 0
    result = invoke("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert result.exit_code == 0, result.output
