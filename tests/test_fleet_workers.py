"""Planning a fleet in worker processes (``--workers N``): the same plan, output and exit codes as one
process, with an org that cannot be planned failing alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile.config.loader import load_config
from reconcile.errors import ConfigError, ReconcileError
from reconcile.fleet.workers import chunks, cpu_count, run_in_workers, use_workers
from reconcile.workspace import Workspace
from tests.support.cli import CLI, cli_env
from tests.test_multi_org import make_fleet

ORGS = ("alpha", "beta", "gamma", "broken")


def test_a_plan_in_workers_is_the_plan_of_one_process(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, ORGS)
    alone = fleet.invoke("plan", "--workers", "1", "--detailed-exitcode")
    spread = fleet.invoke("plan", "--workers", "3", "--detailed-exitcode")
    assert alone.exit_code == spread.exit_code == 1, "the broken org's error is the exit code of both"
    assert spread.stdout == alone.stdout
    assert "broken" in spread.stdout and "gamma" in spread.stdout

    alone_json = json.loads(fleet.invoke("plan", "--workers", "1", "--format", "json").stdout)
    spread_json = json.loads(fleet.invoke("plan", "--workers", "2", "--format", "json").stdout)
    for document in (alone_json, spread_json):
        document.pop("created_at"), document.pop("checksum")  # both cover the time of planning
    assert spread_json == alone_json
    errors = {org["org"]: org["errors"] for org in spread_json["orgs"]}
    assert errors["broken"] and not errors["alpha"] and not errors["beta"] and not errors["gamma"]


def test_a_plan_saved_from_workers_applies_and_converges(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, ("alpha", "beta", "gamma"))
    planfile = tmp_path / "fleet.plan.json"
    planned = fleet.invoke("plan", "--workers", "2", "--out", str(planfile))
    assert planned.exit_code == 0, planned.output
    applied = invoke_apply(fleet.root, planfile)
    assert applied == 0
    again = fleet.invoke("plan", "--workers", "2", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    drift = fleet.invoke("drift", "--workers", "3", "--format", "json", "--detailed-exitcode")
    assert drift.exit_code == 0, drift.output
    assert sorted(org["org"] for org in json.loads(drift.stdout)["orgs"]) == ["alpha", "beta", "gamma"]


def invoke_apply(root: Path, planfile: Path) -> int:
    from tests.support.cli import invoke

    result = invoke("apply", str(planfile), "--auto-approve", "-c", str(root))
    assert "Apply complete." in result.output, result.output
    return result.exit_code


def test_orgs_are_split_in_runs_of_consecutive_orgs() -> None:
    orgs = [f"o{i}" for i in range(7)]
    assert chunks(orgs, 3) == [["o0", "o1", "o2"], ["o3", "o4"], ["o5", "o6"]]
    assert chunks(orgs[:2], 4) == [["o0"], ["o1"]]
    assert [org for chunk in chunks(orgs, 5) for org in chunk] == orgs


def test_how_many_workers() -> None:
    assert use_workers(1000, None, forking=False) == 1, "spawned workers only when asked for"
    assert use_workers(1000, None, forking=True) == cpu_count()
    assert use_workers(8, None, forking=True) == 1, "a small fleet stays in one process"
    assert use_workers(12, None, forking=True) == min(2, cpu_count())
    assert use_workers(3, 8) == 3, "at most one process per org"
    assert use_workers(1000, 2) == 2
    assert use_workers(1000, 1) == 1


def test_a_command_forks_its_workers(tmp_path: Path) -> None:
    """``reconcile plan --workers 2`` as a command (one thread when it spreads the orgs: forked workers)
    gives the plan of one process; a fresh interpreter can fork."""
    fleet = make_fleet(tmp_path, ("alpha", "beta", "gamma"))
    probe = subprocess.run(
        [sys.executable, "-c", "from reconcile.fleet.workers import can_fork; print(can_fork())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == str(sys.platform == "linux")
    alone = fleet.invoke("plan", "--workers", "1", "--format", "json")
    command = [*CLI, "plan", "--workers", "2", "--format", "json", "-c", str(fleet.root)]
    forked = subprocess.run(command, capture_output=True, text=True, env=cli_env(), timeout=300)
    assert forked.returncode == alone.exit_code == 0, forked.stderr
    documents = [json.loads(alone.stdout), json.loads(forked.stdout)]
    for document in documents:
        document.pop("created_at"), document.pop("checksum")
    assert documents[0] == documents[1]


def test_a_worker_that_dies_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, ("alpha", "beta"))
    with (
        Workspace.open(fleet.root) as workspace,
        pytest.raises(ReconcileError, match="a worker process ended before its orgs were done"),
    ):
        run_in_workers(fleet.root, ["alpha", "beta"], _die, workers=2, workspace=workspace)


def _die(workspace: Workspace, chunk: list[str]) -> None:
    os._exit(9)


def test_a_worker_expands_only_the_orgs_it_plans(tmp_path: Path) -> None:
    source = Path(__file__).parent / "bad_inputs" / "config" / "unknown-variable" / "reconcile.toml"
    (tmp_path / "reconcile.toml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown variable .* for org uat"):
        load_config(tmp_path)  # the whole configuration: uat's expansion fails
    assert load_config(tmp_path, orgs=["dev"]).orgs.keys() == {"dev", "uat"}  # uat is never expanded
    with pytest.raises(ConfigError, match="for org uat"):
        load_config(tmp_path, orgs=["uat"])


def test_apply_lets_each_org_go_once_applied_unless_its_checks_run_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconcile.workspace import Workspace
    from tests.test_multi_org import FLEET_ENTRIES

    check = '\n[[check]]\nname = "users"\norgs = ["alpha"]\nsoql = "SELECT COUNT() FROM User"\nexpect = ">= 1"\n'
    fleet = make_fleet(tmp_path, ("alpha", "beta", "gamma"), entries=FLEET_ENTRIES + check)
    released: list[tuple[str, bool]] = []
    release = Workspace.release

    def recording(self: Workspace, name: str) -> None:
        released.append((name, name in self.providers))
        release(self, name)

    monkeypatch.setattr(Workspace, "release", recording)
    result = fleet.invoke("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Verified: 1 check results passed" in result.output  # alpha's check ran, on its connection kept for it
    # beta and gamma were let go as soon as they were applied, alpha only when the command ended
    assert sorted(name for name, held in released[:2]) == ["beta", "gamma"] and all(h for _, h in released[:2])
    assert ("alpha", True) in released[2:]
