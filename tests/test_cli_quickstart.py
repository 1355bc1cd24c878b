"""The quickstart end to end through the CLI: plan, apply, re-plan shows nothing; saved plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    target = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, target, ignore=shutil.ignore_patterns(".reconcile"))
    return target


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.output


def test_plan_apply_replan(quickstart: Path) -> None:
    code, out = run("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert code == 2, out
    assert "dev" in out and "uat" in out
    assert "Deletes in this plan:" in out

    code, out = run("apply", "-c", str(quickstart), "--auto-approve")
    assert code == 0, out
    assert "Apply complete." in out

    code, out = run("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert code == 0, out
    assert "No changes." in out

    state = json.loads((quickstart / ".reconcile" / "state.json").read_text())
    assert set(state["orgs"]) == {"dev", "uat"}
    assert state["orgs"]["uat"]["apex_runs"]["hello"][0]["success"] is True
    history = (quickstart / ".reconcile" / "history.jsonl").read_text().splitlines()
    assert json.loads(history[0])["type"] == "run_start"
    assert json.loads(history[-1])["type"] == "run_end"


def test_apply_without_terminal_refuses_and_changes_nothing(quickstart: Path) -> None:
    code, out = run("apply", "-c", str(quickstart))
    assert code == 1
    assert "--auto-approve" in out
    assert "Traceback" not in out
    assert not (quickstart / ".reconcile" / "state.json").exists()


def test_saved_plan_applies_then_is_stale(quickstart: Path) -> None:
    planfile = quickstart / "release.plan"
    code, out = run("plan", "-c", str(quickstart), "--out", str(planfile))
    assert code == 0, out
    code, out = run("apply", str(planfile), "-c", str(quickstart), "--auto-approve")
    assert code == 0, out
    code, out = run("apply", str(planfile), "-c", str(quickstart), "--auto-approve")
    assert code == 1
    assert "stale" in out
    assert "serial" in out


def test_saved_plan_is_stale_after_a_config_edit(quickstart: Path) -> None:
    planfile = quickstart / "release.plan"
    assert run("plan", "-c", str(quickstart), "--out", str(planfile))[0] == 0
    config = quickstart / "reconcile.toml"
    config.write_text(config.read_text() + "\n# edited\n")
    code, out = run("apply", str(planfile), "-c", str(quickstart), "--auto-approve")
    assert code == 1
    assert "config" in out.lower()
    assert not (quickstart / ".reconcile" / "state.json").exists()


def test_single_org_selection_and_unknown_org(quickstart: Path) -> None:
    code, out = run("plan", "-c", str(quickstart), "--org", "dev")
    assert code == 0, out
    assert "uat" not in out.split("Deletes")[0].split("\n\n")[1]
    code, out = run("plan", "-c", str(quickstart), "--org", "uta")
    assert code == 1
    assert "did you mean" in out.lower()


def test_validate_quickstart() -> None:
    code, out = run("validate", "-c", str(QUICKSTART))
    assert code == 0, out


def test_shards_cover_every_org_exactly_once(quickstart: Path) -> None:
    seen: list[str] = []
    for k in (1, 2):
        code, out = run("plan", "-c", str(quickstart), "--shard", f"{k}/2", "--format", "json")
        assert code == 0, out
        seen += [org["org"] for org in json.loads(out)["orgs"]]
    assert sorted(seen) == ["dev", "uat"]
    code, out = run("plan", "-c", str(quickstart), "--shard", "3/2")
    assert code == 1
    assert "Traceback" not in out


def test_applying_shard_by_shard_converges_each_org_once(quickstart: Path) -> None:
    from reconcile.fleet.sharding import shard_orgs

    applied: list[str] = []
    for k in (1, 2, 3):
        code, out = run("apply", "-c", str(quickstart), "--shard", f"{k}/3", "--auto-approve")
        assert code == 0, out
        applied += shard_orgs(["dev", "uat"], f"{k}/3")
        state_file = quickstart / ".reconcile" / "state.json"
        managed = sorted(json.loads(state_file.read_text())["orgs"]) if state_file.exists() else []
        assert managed == sorted(applied)
    assert sorted(applied) == ["dev", "uat"]
    code, out = run("plan", "-c", str(quickstart), "--detailed-exitcode")
    assert code == 0, out
