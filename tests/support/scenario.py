"""The reliability scenario, and what a test observes of a run (no tests here).

- ``scenario_seed()``: an org whose convergence touches every kind (picklists on a field, a global and a
  standard value set; layout assignments; grant creates and exclusive revokes; Apex scripts), from
  ``tests/emulator_seeds/scenario.json``; ``make_org_file`` makes a live org file from it.
- ``SCENARIO_ENTRIES`` and ``SCRIPTS``: the configuration converging it.
- ``write_config``: a configuration whose orgs point at served orgs (``instance_url`` + an access token
  read from an environment variable + the emulator's CA), or at embedded emulated orgs.
- ``snapshot``: every file under a directory with its digest, to prove a command wrote nothing.
- ``wait_for``: poll a real condition (a count in the emulator's stats, a file) until it holds.
- ``plan_json``, ``pending``, ``pending_now``, ``journal``: what a plan still holds, what the journal says.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from providers.emulator.serve import reset
from reconcile.workspace import Workspace
from tests.support.cli import run_cli
from tests.support.emulator import SEEDS

SCENARIO_SEED = SEEDS / "scenario.json"

#: Entries converging the scenario org: creates, updates and deletes of every kind, and two scripts.
SCENARIO_ENTRIES = """
[[picklist]]
field = "Account.Tier__c"
values = ["Gold", "Silver", { name = "Bronze", label = "Bronze tier" }, "Platinum"]
default = "Silver"
mode = "exact"

[[picklist]]
field = "Case.Severity__c"
values = ["Low", "Medium", "High", "Critical"]

[[picklist]]
global_value_set = "Regions"
values = ["EMEA", "AMER", "APAC"]

[[picklist]]
standard_value_set = "Industry"
values = ["Banking", "Energy", "Retail"]

[[layout_assignment]]
profiles = ["Sales User", "Sales Manager"]
object = "Account"
record_type = "Enterprise"
layout = "Account Enterprise Layout"

[[layout_assignment]]
profiles = ["Sales User", "Sales Manager"]
object = "Account"
record_type = "SMB"
layout = "Account SMB Layout"

[[layout_assignment]]
profile = "Support User"
object = "Case"
record_type = "Support"
layout = "Case Support Layout"

[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["alice@acme.com", "bob@acme.com", "carol@acme.com"]
exclusive = true

[[permission_set_grant]]
permission_set = "Service_Desk"
users = ["dave@acme.com", "erin@acme.com"]

[[permission_set_grant]]
permission_set = "Analytics"
users = ["alice@acme.com", "bob@acme.com", "carol@acme.com", "dave@acme.com", "erin@acme.com", "frank@acme.com"]

[[permission_set_grant]]
permission_set_group = "Sales_Bundle"
users = ["bob@acme.com", "frank@acme.com"]

[[apex]]
name = "tier-backfill"
file = "scripts/tier_backfill.apex"
run = "once"
after = ["picklist:Account.Tier__c"]

[[apex]]
name = "announce"
file = "scripts/announce.apex"
run = "once"
after = ["apex:tier-backfill", "permission_set_grant:Analytics/frank@acme.com"]
"""

SCRIPTS = {
    "tier_backfill.apex": "List<Account> rows = [SELECT Id, Tier__c FROM Account];\n"
    "System.debug('accounts: ' + rows.size());\n",
    "announce.apex": "System.debug('configuration converged');\n",
}


def scenario_seed() -> dict[str, Any]:
    """A fresh copy of the scenario org's seed."""
    seed: dict[str, Any] = json.loads(SCENARIO_SEED.read_text(encoding="utf-8"))
    return seed


def make_org_file(directory: Path, name: str, seed: Mapping[str, Any] | None = None) -> Path:
    """Create the live org file ``<directory>/<name>.json`` from ``seed`` (the scenario by default)."""
    directory.mkdir(parents=True, exist_ok=True)
    seed_path = directory / f"{name}.seed.json"
    seed_path.write_text(json.dumps(seed if seed is not None else scenario_seed()), encoding="utf-8")
    data = directory / f"{name}.json"
    reset(seed_path, data)
    return data


class Reachable(Protocol):
    """Where an org listens and the CA it is trusted through (a ``ServedOrg`` or an ``EmulatorHandle``)."""

    instance_url: str
    ca_cert: Path


@dataclass(frozen=True)
class OrgSpec:
    """One ``[orgs.NAME]`` table: an org reached over HTTPS with an access token (``served``), an
    embedded one (``emulator`` seed path relative to the config), or any raw TOML lines (``extra``)."""

    served: Reachable | None = None
    emulator: str | None = None
    token_env: str = ""
    extra: str = ""


def token_env_for(name: str) -> str:
    return f"SF_TOKEN_{name.upper()}"


def write_config(
    directory: Path,
    orgs: Mapping[str, OrgSpec],
    entries: str = SCENARIO_ENTRIES,
    *,
    state_path: str = ".reconcile/state.json",
) -> Path:
    """Write ``reconcile.toml`` (and the scenario's scripts) into ``directory``; returns the file."""
    directory.mkdir(parents=True, exist_ok=True)
    scripts = directory / "scripts"
    scripts.mkdir(exist_ok=True)
    for name, body in SCRIPTS.items():
        (scripts / name).write_text(body, encoding="utf-8")
    lines = ["version = 1", "", "[state]", f'path = "{state_path}"', ""]
    for name, spec in orgs.items():
        lines.append(f"[orgs.{name}]")
        if spec.served is not None:
            lines += [
                f'instance_url = "{spec.served.instance_url}"',
                f'auth = {{ method = "access_token", token_env = "{spec.token_env or token_env_for(name)}" }}',
                f'ca_cert = "{spec.served.ca_cert}"',
            ]
        if spec.emulator is not None:
            lines.append(f'emulator = "{spec.emulator}"')
        if spec.extra:
            lines.append(spec.extra.strip())
        lines.append("")
    path = directory / "reconcile.toml"
    path.write_text("\n".join(lines) + entries, encoding="utf-8")
    return path


class HasToken(Protocol):
    access_token: str


def token_env(orgs: Mapping[str, HasToken]) -> dict[str, str]:
    """The environment variables holding the served orgs' tokens, as ``write_config`` names them."""
    return {token_env_for(name): org.access_token for name, org in orgs.items()}


def wait_for(condition: Callable[[], bool], *, timeout: float = 60, what: str = "a condition") -> None:
    """Check ``condition`` until it holds (a short pause between checks); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        pause.wait(0.005)


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (directories as "dir")."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        found[relative] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def plan_json(config: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """``reconcile plan --format json`` parsed (fails the test when the plan fails)."""
    result = run_cli("plan", "-c", str(config), "--format", "json", env=env)
    assert result.code == 0, result.output
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def pending(plan: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Per org, the (action, address) pairs a JSON plan still holds."""
    return {org["org"]: [(c["action"], c["address"]) for c in org["changes"]] for org in plan["orgs"]}


def pending_now(config: Path, env: Mapping[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Per org, the (action, address) pairs a fresh plan holds, computed in this process (faster than
    a CLI child; the same workspace code). Fails the test when an org cannot be planned."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        with Workspace.open(config) as workspace:
            plan = workspace.plan(workspace.select([], [], for_apply=False))
    assert not plan.has_errors, [o.errors for o in plan.orgs]
    return {o.org: [(c.action.value, str(c.address)) for c in o.changes] for o in plan.orgs}


def journal(state_dir: Path) -> list[dict[str, Any]]:
    """Every whole record of ``history.jsonl`` (a line torn by a kill is skipped)."""
    path = state_dir / "history.jsonl"
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
