"""``apply --workers N``: the orgs applied in worker processes forked from the command, which stays the
one writer of the state, the journal and the display.

Each test runs the real CLI in a child process (one thread when it forks) against a fleet served by
another process, as real orgs are: the same state as one process, a worker killed mid-apply failing only
its unfinished orgs with their written batches kept, a SIGINT relayed so batches in flight finish, and
a note (and one process) where workers cannot be forked.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from tests.support.cli import invoke, run_cli, start_cli
from tests.support.fleet import Fleet, served_fleet
from tests.support.scenario import OrgSpec, journal, token_env_for, wait_for, write_config
from tests.test_multi_org import make_fleet

ORGS = ("a1", "a2", "a3", "a4")


def project(fleet: Fleet, directory: Path) -> tuple[Path, dict[str, str]]:
    config = write_config(directory, {name: OrgSpec(served=member) for name, member in fleet.members.items()})
    env = {token_env_for(name): member.access_token for name, member in fleet.members.items()}
    return config, env


def managed(config: Path) -> dict[str, dict[str, Any]]:
    """Each org's managed resources as the state holds them, without ids and times."""
    from state.local import LocalStateBackend

    state = LocalStateBackend(config.parent / ".reconcile" / "state.json").read()
    return {
        org: {address: entry.attributes for address, entry in sorted(org_state.resources.items())}
        for org, org_state in state.orgs.items()
    }


def test_an_apply_in_workers_records_what_one_process_records(tmp_path: Path) -> None:
    with served_fleet(tmp_path / "spread", ORGS) as spread, served_fleet(tmp_path / "alone", ORGS) as alone:
        spread_config, spread_env = project(spread, tmp_path / "p-spread")
        alone_config, alone_env = project(alone, tmp_path / "p-alone")
        applied = run_cli("apply", "--auto-approve", "--workers", "2", "-c", str(spread_config), env=spread_env)
        assert applied.code == 0, applied.output
        assert "Note:" not in applied.stderr, "a command with one thread forks its workers"
        assert "Apply complete." in applied.stdout
        single = run_cli("apply", "--auto-approve", "-c", str(alone_config), env=alone_env)
        assert single.code == 0, single.output
        assert managed(spread_config) == managed(alone_config)
        assert sorted(managed(spread_config)) == sorted(ORGS)

        again = run_cli("plan", "--detailed-exitcode", "-c", str(spread_config), env=spread_env)
        assert again.code == 0, again.output
        records = journal(spread_config.parent / ".reconcile")
        results = [r for r in records if r["type"] == "result"]
        alone_results = [r for r in journal(alone_config.parent / ".reconcile") if r["type"] == "result"]
        assert len(results) == len(alone_results), "one record per change, as in one process"
        assert sorted({r["org"] for r in results}) == sorted(ORGS), "every org's results reached the journal"
        end = next(r for r in records if r["type"] == "run_end")
        assert end["ok"] and sorted(end["orgs"]) == sorted(ORGS)
        assert [r["type"] for r in records if r["type"] in ("run_start", "run_end")] == ["run_start", "run_end"]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_a_worker_killed_mid_apply_fails_only_its_unfinished_orgs(tmp_path: Path) -> None:
    with served_fleet(tmp_path / "orgs", ORGS, "--latency-ms", "150") as fleet:
        config, env = project(fleet, tmp_path / "project")
        log = tmp_path / "apply.log"
        command = start_cli("apply", "--auto-approve", "--workers", "2", "-c", str(config), env=env, log=log)
        wait_for(lambda: len(children(command.pid)) == 2 or command.poll() is not None, what="two workers")
        wait_for(lambda: "applying" in log.read_text() or command.poll() is not None, what="the apply to start")
        first = children(command.pid)[0]
        signal_worker(first)
        assert command.wait(timeout=180) == 1, log.read_text()
        output = log.read_text()
        assert "its worker process ended before it was done (signal 9)" in output
        assert "Traceback" not in output
        assert "a3" in output and "a4" in output

        state = run_cli("state", "list", "-c", str(config))
        assert state.code == 0, state.output
        healed = run_cli("apply", "--auto-approve", "-c", str(config), env=env)
        assert healed.code == 0, healed.output
        converged = run_cli("plan", "--detailed-exitcode", "-c", str(config), env=env)
        assert converged.code == 0, converged.output


def signal_worker(pid: int) -> None:
    import os

    os.kill(pid, signal.SIGKILL)


def test_an_interrupt_is_relayed_and_batches_in_flight_are_kept(tmp_path: Path) -> None:
    with served_fleet(tmp_path / "orgs", ORGS, "--latency-ms", "200") as fleet:
        config, env = project(fleet, tmp_path / "project")
        log = tmp_path / "apply.log"
        command = start_cli("apply", "--auto-approve", "--workers", "2", "-c", str(config), env=env, log=log)
        wait_for(lambda: "applying" in log.read_text() or command.poll() is not None, what="the apply to start")
        command.send_signal(signal.SIGINT)
        code = command.wait(timeout=180)
        output = log.read_text()
        assert "Traceback" not in output, output
        assert code == 1 and "interrupted" in output, output
        written = managed(config)
        healed = run_cli("apply", "--auto-approve", "-c", str(config), env=env)
        assert healed.code == 0, healed.output
        after = managed(config)
        for org, resources in written.items():
            assert resources.items() <= after[org].items(), "what the interrupted run recorded stays"
        converged = run_cli("plan", "--detailed-exitcode", "-c", str(config), env=env)
        assert converged.code == 0, converged.output


def test_without_a_fork_the_apply_runs_in_one_process_with_a_note(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)  # emulated orgs: their servers are threads of the command
    applied = invoke("apply", "--auto-approve", "--workers", "2", "-c", str(fleet.root))
    assert applied.exit_code == 0, applied.output
    assert "applying in one process" in applied.stderr
    assert "Apply complete." in applied.stdout
    planned = json.loads(fleet.invoke("plan", "--format", "json").stdout)
    assert all(not org["changes"] for org in planned["orgs"])
