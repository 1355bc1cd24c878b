"""Two writers on one state, and saved plans overtaken by another apply.

A holder is frozen with SIGSTOP right after it took the lock (its lock record names its pid), so the
other processes meet a lock that is held for as long as the test wants, without timing guesses.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from state.local import LocalStateBackend
from tests.support.cli import invoke, start_cli
from tests.support.emulator import ServedOrg
from tests.support.scenario import (
    OrgSpec,
    journal,
    make_org_file,
    scenario_seed,
    token_env,
    wait_for,
    write_config,
)


@dataclass
class Pair:
    """Org ``a`` served by its own process, org ``b`` embedded (started by each CLI run)."""

    a: ServedOrg
    config: Path
    env: dict[str, str]
    backend: LocalStateBackend
    tmp: Path


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    org = ServedOrg(make_org_file(tmp_path / "served", "a"), latency_ms=30)
    try:
        cfg = tmp_path / "cfg"
        (cfg / "orgs").mkdir(parents=True)
        (cfg / "orgs" / "b.json").write_text(json.dumps(scenario_seed()), encoding="utf-8")
        config = write_config(cfg, {"a": OrgSpec(served=org), "b": OrgSpec(emulator="orgs/b.json")})
        backend = LocalStateBackend(cfg / ".reconcile" / "state.json")
        yield Pair(org, config, token_env({"a": org}), backend, tmp_path)
    finally:
        org.stop()


def hold_lock_frozen(pair: Pair) -> subprocess.Popen[bytes]:
    """Start an apply of org a and freeze it (SIGSTOP) as soon as its lock record appears."""
    holder = start_cli(
        "apply", "--auto-approve", "--org", "a", "-c", str(pair.config), env=pair.env, log=pair.tmp / "holder.log"
    )

    def holding() -> bool:
        info = pair.backend.lock_info()
        return (info is not None and info.pid == holder.pid) or holder.poll() is not None

    wait_for(holding, what="the first apply to take the lock")
    holder.send_signal(signal.SIGSTOP)
    assert holder.poll() is None, (pair.tmp / "holder.log").read_text()
    return holder


def resume(holder: subprocess.Popen[bytes], pair: Pair) -> None:
    holder.send_signal(signal.SIGCONT)
    assert holder.wait(timeout=120) == 0, (pair.tmp / "holder.log").read_text()


def test_a_second_apply_fails_naming_the_holder_or_waits_for_it(pair: Pair) -> None:
    holder = hold_lock_frozen(pair)
    try:
        seen = pair.a.requests_seen()
        refused = invoke("apply", "--auto-approve", "--org", "a", "-c", str(pair.config), env=pair.env)
        assert refused.exit_code == 1, refused.output
        assert "Traceback" not in refused.output
        assert f"pid {holder.pid}" in refused.stderr and "operation 'apply'" in refused.stderr
        assert "reconcile state unlock" in refused.stderr
        assert pair.a.requests_seen() == seen, "the refused apply must not touch the org"

        started = time.monotonic()
        timed_out = invoke(
            "apply", "--auto-approve", "--org", "a", "--lock-timeout", "1", "-c", str(pair.config), env=pair.env
        )
        assert timed_out.exit_code == 1 and f"pid {holder.pid}" in timed_out.stderr, timed_out.output
        assert time.monotonic() - started >= 1.0, "--lock-timeout 1 must wait a second before giving up"

        waiter = start_cli(
            "apply",
            "--auto-approve",
            "--org",
            "a",
            "--lock-timeout",
            "120",
            "-c",
            str(pair.config),
            env=pair.env,
            log=pair.tmp / "waiter.log",
        )
    finally:
        resume(holder, pair)
    assert waiter.wait(timeout=120) == 0, (pair.tmp / "waiter.log").read_text()
    assert "No changes" in (pair.tmp / "waiter.log").read_text()
    runs = [r for r in journal(pair.config.parent / ".reconcile") if r["type"] in ("run_start", "run_end")]
    assert [r["type"] for r in runs] == ["run_start", "run_end"], "only the holder applied anything"
    assert pair.backend.lock_info() is None
    assert all(count == 1 for count in pair.a.grants().values())


def test_state_unlock_refuses_a_live_holder_and_clears_a_dead_one(pair: Pair) -> None:
    holder = hold_lock_frozen(pair)
    info = pair.backend.lock_info()
    assert info is not None
    try:
        live = invoke("state", "unlock", info.id, "-c", str(pair.config))
        assert live.exit_code == 1 and "live process" in live.stderr, live.output
        wrong = invoke("state", "unlock", "not-the-id", "-c", str(pair.config))
        assert wrong.exit_code == 1 and "does not match" in wrong.stderr, wrong.output
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert pair.backend.is_stale(info)
    cleared = invoke("state", "unlock", info.id, "-c", str(pair.config))
    assert cleared.exit_code == 0, cleared.output
    assert pair.backend.lock_info() is None
    again = invoke("apply", "--auto-approve", "--org", "a", "-c", str(pair.config), env=pair.env)
    assert again.exit_code == 0, again.output


def test_a_saved_plan_is_stale_once_another_apply_changed_the_state(pair: Pair) -> None:
    planfile = pair.tmp / "a.plan.json"
    saved = invoke("plan", "--org", "a", "--out", str(planfile), "-c", str(pair.config), env=pair.env)
    assert saved.exit_code == 0, saved.output
    other = invoke("apply", "--auto-approve", "--org", "b", "-c", str(pair.config), env=pair.env)
    assert other.exit_code == 0, other.output
    serial = pair.backend.read().serial
    seen = pair.a.requests_seen()
    grants = pair.a.grants()

    stale = invoke("apply", "--auto-approve", str(planfile), "-c", str(pair.config), env=pair.env)
    assert stale.exit_code == 1, stale.output
    assert "plan is stale" in stale.stderr and "state" in stale.stderr
    assert "Traceback" not in stale.output
    assert pair.backend.read().serial == serial, "a refused plan writes no state"
    assert pair.a.grants() == grants
    assert not any(key.startswith("POST composite") or "updateMetadata" in key for key in pair.a.stats()["requests"]), (
        "a refused plan writes nothing to the org"
    )
    assert pair.a.requests_seen() >= seen

    fresh = invoke("plan", "--org", "a", "--out", str(planfile), "-c", str(pair.config), env=pair.env)
    assert fresh.exit_code == 0, fresh.output
    applied = invoke("apply", "--auto-approve", str(planfile), "-c", str(pair.config), env=pair.env)
    assert applied.exit_code == 0, applied.output


def test_a_saved_plan_is_stale_once_another_apply_changed_the_org(pair: Pair) -> None:
    first = invoke("apply", "--auto-approve", "--org", "a", "-c", str(pair.config), env=pair.env)
    assert first.exit_code == 0, first.output
    pair.a.revoke("carol@acme.com", "Analytics")
    planfile = pair.tmp / "a.plan.json"
    saved = invoke("plan", "--org", "a", "--out", str(planfile), "-c", str(pair.config), env=pair.env)
    assert saved.exit_code == 0 and "permission_set_grant:Analytics/carol@acme.com" in saved.stdout, saved.output

    # Another apply, from another checkout with its own state, grants it in the meantime.
    elsewhere = pair.tmp / "elsewhere"
    other_config = write_config(elsewhere, {"a": OrgSpec(served=pair.a)})
    other = invoke("apply", "--auto-approve", "-c", str(other_config), env=pair.env)
    assert other.exit_code == 0, other.output
    serial = pair.backend.read().serial

    stale = invoke("apply", "--auto-approve", str(planfile), "-c", str(pair.config), env=pair.env)
    assert stale.exit_code == 1, stale.output
    assert "plan is stale" in stale.stderr
    assert "permission_set_grant:Analytics/carol@acme.com" in stale.stderr
    assert "Traceback" not in stale.output
    assert pair.backend.read().serial == serial
    assert pair.a.grants()[("carol@acme.com", "Analytics")] == 1
