"""Every emulator fault kind at every stage of an apply, through the CLI, with the outcome asserted.

The faults go to org ``f``, served in this process. Stages and the requests their rule hits:

- read: the first ``GET .../query`` of the plan;
- metadata: the first Metadata API call after those the plan makes (picklist and layout writes);
- create: the ``POST composite/sobjects`` creating grants;
- delete: the ``DELETE composite/sobjects`` revoking grants;
- apex: the first ``executeAnonymous`` (Apex SOAP API).

Outcomes: ``retried`` (the fault fired and the apply still succeeded) or ``stopped`` (org ``f`` stopped
with an org error; a healthy embedded org ``h`` beside it was fully applied). Faults that are retried
are met at every stage in one apply (one rule per stage, each firing once); each fault that stops the
org gets its own apply. Whatever the outcome, the journal, the state and the org agree afterwards: a
fresh plan holds exactly the changes the journal does not report as done, state holds exactly the ones
it does, and a clean re-run converges with no duplicate grant. Backoff waits are recorded, never slept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import reconcile.workspace
from providers.base import Provider
from providers.emulator.embedded import EmulatorHandle
from reconcile.config.loader import Config, OrgConfig
from state.base import OrgState
from state.local import LocalStateBackend
from tests.support.cli import invoke
from tests.support.emulator import StartOrg, trusted_session
from tests.support.scenario import (
    OrgSpec,
    journal,
    pending_now,
    scenario_seed,
    token_env,
    write_config,
)

FAULTS = [
    "503",
    "500_empty",
    "unable_to_lock_row",
    "invalid_session",
    "request_limit_total",
    "request_limit_concurrent",
    "drop",
    "drop_after",
]
STAGES = ["read", "metadata", "create", "delete", "apex"]
LOST = {"500_empty", "drop", "drop_after"}


def expected(fault: str, stage: str) -> str:
    """The outcome the transport rules promise (see providers/salesforce/transport.py)."""
    if fault == "request_limit_total":
        return "stopped"
    if stage == "apex" and fault in LOST:
        return "stopped"  # the script may have run: never sent again, the org stops and says so
    return "retried"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every provider the CLI connects records its backoff waits here instead of sleeping."""
    recorded: list[float] = []
    connect_org = reconcile.workspace.connect_org

    def connect_recording(config: Config, org: OrgConfig) -> Provider:
        return connect_org(config, org, sleep=recorded.append)

    monkeypatch.setattr(reconcile.workspace, "connect_org", connect_recording)
    return recorded


@dataclass
class Campaign:
    org: EmulatorHandle
    config: Path
    env: dict[str, str]
    backend: LocalStateBackend

    def cli(self, *args: str) -> tuple[int, str]:
        result = invoke(*args, "-c", str(self.config), env=self.env)
        return result.exit_code, result.output

    def rules_fired(self) -> list[int]:
        """How often each fault rule fired (read from the emulator's fault book: no admin path says)."""
        return [rule.fired for rule in self.org._app.faults.rules]

    def clear_faults(self) -> None:
        with trusted_session(self.org, bearer=True) as http:
            http.delete(f"{self.org.instance_url}/__emulator/faults", timeout=30).raise_for_status()

    def metadata_calls(self) -> int:
        return sum(n for key, n in self.org.stats()["requests"].items() if key.startswith("POST Soap/m"))


@pytest.fixture
def campaign(tmp_path: Path, start_org: StartOrg, waits: list[float]) -> Callable[[bool], Campaign]:
    """``campaign(healthy)``: org f served in this process; with ``healthy``, org h beside it."""

    def make(healthy: bool) -> Campaign:
        handle = start_org(scenario_seed(), name="f")
        cfg = tmp_path / "cfg"
        (cfg / "orgs").mkdir(parents=True)
        orgs = {"f": OrgSpec(served=handle)}
        if healthy:
            (cfg / "orgs" / "h.json").write_text(json.dumps(scenario_seed()), encoding="utf-8")
            orgs["h"] = OrgSpec(emulator="orgs/h.json")
        config = write_config(cfg, orgs)
        backend = LocalStateBackend(cfg / ".reconcile" / "state.json")
        return Campaign(handle, config, token_env({"f": handle}), backend)

    return make


_METADATA_READS: list[int] = []


def metadata_reads(campaign: Campaign) -> int:
    """How many Metadata API calls planning org f makes (measured once: every campaign starts alike)."""
    if not _METADATA_READS:
        before = campaign.metadata_calls()
        pending_now(campaign.config, campaign.env)
        _METADATA_READS.append(campaign.metadata_calls() - before)
    return _METADATA_READS[0]


def rule_for(campaign: Campaign, fault: str, stage: str) -> dict[str, Any]:
    """The fault rule hitting ``stage`` once; counts are taken from a plan of the same org."""
    if stage == "read":
        return {"action": fault, "method": "GET", "path": "/query"}
    if stage == "metadata":
        return {"action": fault, "method": "POST", "path": "Soap/m", "nth": metadata_reads(campaign) + 1}
    if stage == "create":
        return {"action": fault, "method": "POST", "path": "composite/sobjects"}
    if stage == "delete":
        return {"action": fault, "method": "DELETE", "path": "composite/sobjects"}
    return {"action": fault, "method": "POST", "path": "Soap/s"}


def last_run(campaign: Campaign) -> list[dict[str, Any]]:
    records = journal(campaign.config.parent / ".reconcile")
    run_id = records[-1]["run_id"]
    return [r for r in records if r["run_id"] == run_id]


def assert_agreement(campaign: Campaign, run: list[dict[str, Any]]) -> None:
    """Journal, state and org tell one story for org f (faults cleared before looking)."""
    start = run[0]
    planned = {c["address"]: c["action"] for c in start["changes"]["f"]}
    if not planned:  # org f could not even be planned: nothing may have been recorded for it
        assert not campaign.backend.read().orgs.get("f", OrgState()).resources
        return
    done = {r["address"] for r in run if r["type"] == "result" and r["org"] == "f" and r["ok"]}
    state = campaign.backend.read().orgs.get("f")
    managed = set(state.resources) if state else set()
    for address, action in planned.items():
        if address.startswith("apex:"):
            ran = state.apex_runs.get(address.removeprefix("apex:"), []) if state else []
            assert (address in done) == any(run.success for run in ran), address
        elif action in ("create", "update"):
            assert (address in managed) == (address in done), f"state and journal disagree on {address}"
        elif action == "delete":
            assert address not in managed, address
    still = {address for _action, address in pending_now(campaign.config, campaign.env)["f"]}
    assert still == set(planned) - done, "the org disagrees with the journal"


def assert_converges(campaign: Campaign) -> None:
    code, out = campaign.cli("apply", "--auto-approve")
    assert code == 0, out
    assert all(not changes for changes in pending_now(campaign.config, campaign.env).values())
    assert_no_duplicate_grants(campaign)


def assert_no_duplicate_grants(campaign: Campaign) -> None:
    grants = campaign.org.store.find("PermissionSetAssignment")
    keys = [(g["AssigneeId"], g.get("PermissionSetId"), g.get("PermissionSetGroupId")) for g in grants]
    assert len(keys) == len(set(keys)), "duplicate grants"


def outcome(run: list[dict[str, Any]]) -> str:
    """``retried``, ``stopped`` (org f reports an org error) or what else happened, from the journal."""
    end = run[-1]
    assert end["type"] == "run_end", run
    f = end["orgs"]["f"]
    for name, other in end["orgs"].items():
        if name != "f":
            assert other["failed"] == 0 and other["skipped"] == 0 and not other["error"], end
    if end["ok"] and f["failed"] == 0 and f["skipped"] == 0:
        return "retried"
    if f["error"]:
        return "stopped"
    failed = sorted(r["address"] for r in run if r["type"] == "result" and r["org"] == "f" and not r["ok"])
    return f"unexpected: failed {failed}"


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "request_limit_total"])
def test_faults_that_are_retried_at_every_stage(
    campaign: Callable[[bool], Campaign], waits: list[float], fault: str
) -> None:
    """One apply meets the fault once at each stage where it is retried (all five, or all but Apex for a
    lost answer): every rule fires once and the apply still converges the org."""
    org = campaign(False)
    stages = [stage for stage in STAGES if expected(fault, stage) == "retried"]
    rules = [rule_for(org, fault, stage) for stage in stages]
    org.org.add_faults(rules)
    code, out = org.cli("apply", "--auto-approve")
    assert "Traceback" not in out
    assert dict(zip(stages, org.rules_fired(), strict=True)) == dict.fromkeys(stages, 1), out
    run = last_run(org)
    assert code == 0 and outcome(run) == "retried", out
    if fault not in ("invalid_session", "drop_after"):
        assert waits, "a retry waits first (the wait is recorded, not slept)"
    org.clear_faults()
    assert_agreement(org, run)
    assert pending_now(org.config, org.env) == {"f": []}
    assert_no_duplicate_grants(org)


STOPPING = [(fault, stage) for fault in FAULTS for stage in STAGES if expected(fault, stage) == "stopped"]


@pytest.mark.parametrize(("fault", "stage"), STOPPING)
def test_faults_that_stop_the_org(campaign: Callable[[bool], Campaign], fault: str, stage: str) -> None:
    """The org meeting the fault stops cleanly; the healthy org is applied; a clean re-run converges."""
    org = campaign(True)
    org.org.add_faults([rule_for(org, fault, stage)])
    code, out = org.cli("apply", "--auto-approve")
    assert "Traceback" not in out
    assert org.rules_fired() == [1], out
    run = last_run(org)
    assert code == 1 and outcome(run) == "stopped", out
    org.clear_faults()
    assert_agreement(org, run)
    assert_converges(org)
