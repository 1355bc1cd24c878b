"""An apply that dies (SIGKILL) or is asked to stop (SIGINT, SIGTERM) leaves nothing a re-run cannot fix.

The org is served by a separate ``reconcile emulator serve`` process, so it outlives the killed CLI.
How the kill point is chosen, deterministically:

- A calibration run applies the scenario to a copy of the org and counts the Salesforce API requests
  a plan makes (the reads, ``R``) and an apply makes (``T``): requests ``R+1..T`` are the writes
  (picklists, layouts, grant creates, Apex, grant revokes, in plan order).
- The org under test is served with a fixed latency added to every request. The emulator counts a
  request when it arrives, before that latency. The test polls ``GET /__emulator/stats`` until the
  count reaches ``base + N`` and sends SIGKILL: the apply dies while request ``N`` is in flight. The
  emulator still carries the request out afterwards, so the org holds a change the dead process never
  heard about: the harshest point to die at.
- ``N`` is sampled from the writes with a fixed seed (``RELIABILITY_SEED``); ``RELIABILITY_KILLS``
  sets how many (default 3; a number at least as large as the writes runs every one of them, and any
  slot beyond them repeats one). One more kill falls right after the second state write (the test
  watches the state file's serial).

After each kill: the state file parses (old or new, never torn), the lock is recognisably stale
(``lock_info`` names the dead pid, ``is_stale`` says so), and a re-run of apply takes it over and
converges: no duplicate grant in the org, nothing declared missing, and a plan afterwards shows no
changes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from state.base import State
from state.local import LocalStateBackend
from tests.support.cli import invoke, start_cli
from tests.support.emulator import ServedOrg
from tests.support.scenario import (
    OrgSpec,
    journal,
    make_org_file,
    pending_now,
    token_env,
    wait_for,
    write_config,
)

LATENCY_MS = 40
SEED = int(os.environ.get("RELIABILITY_SEED", "20240611"))
KILLS = int(os.environ.get("RELIABILITY_KILLS", "3"))

DESIRED_GRANTS = {
    ("alice@acme.com", "Sales_Ops"),
    ("bob@acme.com", "Sales_Ops"),
    ("carol@acme.com", "Sales_Ops"),
    ("dave@acme.com", "Service_Desk"),
    ("erin@acme.com", "Service_Desk"),
    *{(f"{user}@acme.com", "Analytics") for user in ("alice", "bob", "carol", "dave", "erin", "frank")},
    ("bob@acme.com", "group:Sales_Bundle"),
    ("frank@acme.com", "group:Sales_Bundle"),
}
REVOKED_GRANTS = {("zed@acme.com", "Sales_Ops"), ("frank@acme.com", "Sales_Ops")}


@dataclass(frozen=True)
class Calibration:
    reads: int
    total: int

    def kill_points(self) -> list[int]:
        """The sampled request numbers to die at, in order."""
        writes = list(range(self.reads + 1, self.total + 1))
        if len(writes) <= KILLS:
            return writes
        return sorted(random.Random(SEED).sample(writes, KILLS))


@pytest.fixture(scope="module")
def calibration(tmp_path_factory: pytest.TempPathFactory) -> Calibration:
    """Requests a plan (R) and a whole apply (T) of the scenario make, on a throwaway copy of the org."""
    root = tmp_path_factory.mktemp("calibration")
    with ServedOrg(make_org_file(root / "orgs", "crash")) as org:
        config = write_config(root / "cfg", {"crash": OrgSpec(served=org)})
        env = token_env({"crash": org})
        start = org.requests_seen()
        pending_now(config, env)
        reads = org.requests_seen() - start
        start = org.requests_seen()
        result = invoke("apply", "--auto-approve", "-c", str(config), env=env)
        assert result.exit_code == 0, result.output
        total = org.requests_seen() - start
    assert total > reads, (reads, total)
    return Calibration(reads, total)


@dataclass
class Scene:
    org: ServedOrg
    config: Path
    env: dict[str, str]
    backend: LocalStateBackend
    log: Path


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    org = ServedOrg(make_org_file(tmp_path / "orgs", "crash"), latency_ms=LATENCY_MS)
    try:
        config = write_config(tmp_path / "cfg", {"crash": OrgSpec(served=org)})
        backend = LocalStateBackend(config.parent / ".reconcile" / "state.json")
        yield Scene(org, config, token_env({"crash": org}), backend, tmp_path / "apply.log")
    finally:
        org.stop()


def start_apply(scene: Scene) -> subprocess.Popen[bytes]:
    return start_cli("apply", "--auto-approve", "-c", str(scene.config), env=scene.env, log=scene.log)


def state_serial(backend: LocalStateBackend) -> int:
    """The serial of the state file as stored right now (0 before the first write)."""
    try:
        return int(json.loads(backend.path.read_bytes())["serial"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return 0


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "the apply finished before it could be killed"


def assert_recoverable(scene: Scene, dead_pid: int) -> State:
    """What a SIGKILL leaves: a whole state file, a stale lock naming the dead pid, a readable journal."""
    state = scene.backend.read()
    if scene.backend.backup_path.exists():
        LocalStateBackend(scene.backend.backup_path).read()
    info = scene.backend.lock_info()
    assert info is not None, "the dead apply held the lock: its record must remain"
    assert info.pid == dead_pid and info.operation == "apply"
    assert scene.backend.is_stale(info)
    records = journal(scene.config.parent / ".reconcile")
    assert records and records[0]["type"] == "run_start"
    assert not any(r["type"] == "run_end" for r in records)
    history = invoke("history", "-c", str(scene.config))
    assert history.exit_code == 0 and "interrupted" in history.stdout, history.stdout
    return state


def assert_converges(scene: Scene, before: State, *, stale_lock: bool = True) -> None:
    """A re-run (taking over the stale lock, if any) converges; afterwards the org, state and plan agree."""
    rerun = invoke("apply", "--auto-approve", "-c", str(scene.config), env=scene.env)
    assert rerun.exit_code == 0, rerun.output
    assert "Traceback" not in rerun.output
    took_over = "took over the lock" in rerun.stderr
    assert took_over == stale_lock, "taking over a dead holder's lock is said, not silent"
    after = scene.backend.read()
    assert after.lineage == before.lineage or before.serial == 0
    assert after.serial >= before.serial
    assert scene.backend.lock_info() is None
    grants = scene.org.grants()
    assert all(count == 1 for count in grants.values()), f"duplicate grants: {grants}"
    assert set(grants) >= DESIRED_GRANTS
    assert not REVOKED_GRANTS & set(grants)
    assert pending_now(scene.config, scene.env) == {"crash": []}
    runs = after.orgs["crash"].apex_runs
    assert set(runs) == {"tier-backfill", "announce"}
    assert all(any(run.success for run in ledger) for ledger in runs.values())
    records = journal(scene.config.parent / ".reconcile")
    if "Apply summary" in rerun.stdout:  # the re-run had changes left to make: its run is journalled whole
        assert records[-1]["type"] == "run_end" and records[-1]["ok"] is True
    else:  # the dead run's last request had done it all: nothing to do, nothing journalled
        assert "No changes" in rerun.stdout and records[-1]["type"] != "run_end"


@pytest.mark.parametrize("slot", range(KILLS))
def test_sigkill_during_an_api_call_is_recoverable(scene: Scene, calibration: Calibration, slot: int) -> None:
    points = calibration.kill_points()
    n = points[slot % len(points)]
    base = scene.org.requests_seen()
    process = start_apply(scene)
    wait_for(
        lambda: scene.org.requests_seen() >= base + n or process.poll() is not None,
        what=f"API request {n} of the apply",
    )
    kill(process)
    before = assert_recoverable(scene, process.pid)
    assert_converges(scene, before)


@pytest.mark.parametrize("serial", [2])
def test_sigkill_right_after_a_state_write_is_recoverable(scene: Scene, serial: int) -> None:
    process = start_apply(scene)
    wait_for(lambda: state_serial(scene.backend) >= serial or process.poll() is not None, what=f"state serial {serial}")
    kill(process)
    before = assert_recoverable(scene, process.pid)
    assert before.serial >= serial
    assert_converges(scene, before)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_finishes_the_batch_and_releases_the_lock(
    scene: Scene, calibration: Calibration, signum: signal.Signals
) -> None:
    base = scene.org.requests_seen()
    process = start_apply(scene)
    first_write = calibration.reads + 1
    wait_for(
        lambda: scene.org.requests_seen() >= base + first_write or process.poll() is not None,
        what="the first write of the apply",
    )
    process.send_signal(signum)
    code = process.wait(timeout=60)
    output = scene.log.read_text(encoding="utf-8")
    assert code not in (0, -signum), output
    assert "Traceback" not in output
    assert "interrupted" in output and "Apply summary" in output
    assert scene.backend.lock_info() is None, "the lock must be released"
    state = scene.backend.read()
    assert state.serial >= 1, "the batch in flight must be recorded"
    records = journal(scene.config.parent / ".reconcile")
    assert records[-1]["type"] == "run_end" and records[-1]["ok"] is False
    recorded = {r["address"] for r in records if r["type"] == "result" and r["ok"]}
    assert recorded and recorded <= set(state.orgs["crash"].resources) | {"apex:tier-backfill", "apex:announce"}
    assert_converges(scene, state, stale_lock=False)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_while_reading_the_org_changes_nothing(scene: Scene, signum: signal.Signals) -> None:
    base = scene.org.requests_seen()
    process = start_apply(scene)
    wait_for(
        lambda: scene.org.requests_seen() >= base + 2 or process.poll() is not None, what="the apply reading the org"
    )
    process.send_signal(signum)
    code = process.wait(timeout=60)
    output = scene.log.read_text(encoding="utf-8")
    assert code == 130, output
    assert "Traceback" not in output
    assert scene.backend.lock_info() is None
    assert not scene.backend.path.exists()
    assert scene.org.grants()[("zed@acme.com", "Sales_Ops")] == 1
