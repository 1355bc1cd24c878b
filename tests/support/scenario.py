"""Shared pieces of the reliability tests (no tests here).

- ``scenario_seed()``: an org whose convergence touches every kind (picklists on a field, a global and a
  standard value set; layout assignments; grant creates and exclusive revokes; Apex scripts).
- ``ServedOrg``: an org served by a separate ``reconcile emulator serve`` process, so it outlives any
  CLI process a test kills; its REST API answers SOQL queries and its admin paths stats and faults.
- ``write_config``: a configuration whose orgs point at served orgs (``instance_url`` + an access token
  read from an environment variable + the emulator's CA), or at embedded emulated orgs.
- ``run_cli`` / ``start_cli``: the real command line in a child process; ``invoke_cli`` the same app in
  this process, for commands that need no process of their own.
- ``snapshot``: every file under a directory with its digest, to prove a command wrote nothing.
- ``wait_for``: poll a real condition (a count in the emulator's stats, a file) until it holds.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import requests
from typer.testing import CliRunner

from providers.emulator.serve import reset
from reconcile.cli import app
from reconcile.workspace import Workspace

API_VERSION = "62.0"
CLI = [sys.executable, "-c", "from reconcile.cli import main; main()"]
#: Every CLI child gets these, so output is wide, plain and deterministic.
CLI_ENV = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1"}

SCENARIO_SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Acme Reliability", "is_sandbox": True, "daily_api_limit": 100000},
    "profiles": [
        {"name": "System Administrator", "full_name": "Admin"},
        {"name": "Sales User"},
        {"name": "Sales Manager"},
        {"name": "Support User"},
    ],
    "users": [
        {"username": "admin@acme.com", "profile": "System Administrator"},
        {"username": "alice@acme.com", "profile": "Sales User"},
        {"username": "bob@acme.com", "profile": "Sales Manager"},
        {"username": "carol@acme.com", "profile": "Sales User"},
        {"username": "dave@acme.com", "profile": "Support User"},
        {"username": "erin@acme.com", "profile": "Support User"},
        {"username": "frank@acme.com", "profile": "Sales User"},
        {"username": "zed@acme.com", "profile": "Sales User"},
    ],
    "permission_sets": [
        {"name": "Sales_Ops", "label": "Sales Ops"},
        {"name": "Service_Desk", "label": "Service Desk"},
        {"name": "Analytics", "label": "Analytics"},
    ],
    "permission_set_groups": [{"developer_name": "Sales_Bundle", "label": "Sales Bundle"}],
    "objects": [
        {
            "name": "Account",
            "record_types": ["Enterprise", "SMB"],
            "layouts": ["Account Layout", "Account Enterprise Layout", "Account SMB Layout"],
            "fields": [
                {"name": "Tier__c", "type": "Picklist", "values": ["Gold", {"name": "Silver", "default": True},
                                                                    "Tin"]},
                {"name": "Region__c", "type": "Picklist", "global_value_set": "Regions"},
                {"name": "Industry", "type": "Picklist", "standard_value_set": "Industry"},
            ],
            "records": [{"Name": "Globex", "Tier__c": "Gold"}],
        },
        {
            "name": "Case",
            "record_types": ["Support"],
            "layouts": ["Case Layout", "Case Support Layout"],
            "fields": [{"name": "Severity__c", "type": "Picklist", "values": ["Low", "High"]}],
        },
    ],
    "global_value_sets": [{"name": "Regions", "values": ["EMEA", "AMER"]}],
    "standard_value_sets": [{"name": "Industry", "values": ["Banking", "Energy"]}],
    "layout_assignments": [
        {"profile": "Sales User", "object": "Account", "layout": "Account Layout"},
        {"profile": "Sales Manager", "object": "Account", "layout": "Account Layout"},
        {"profile": "Support User", "object": "Case", "layout": "Case Layout"},
    ],
    "permission_set_assignments": [
        {"username": "alice@acme.com", "permission_set": "Sales_Ops"},
        {"username": "zed@acme.com", "permission_set": "Sales_Ops"},
        {"username": "frank@acme.com", "permission_set": "Sales_Ops"},
    ],
}

#: Entries converging SCENARIO_SEED: creates, updates and deletes of every kind, and two scripts.
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
    return copy.deepcopy(SCENARIO_SEED)


def make_org_file(directory: Path, name: str, seed: Mapping[str, Any] | None = None) -> Path:
    """Create the live org file ``<directory>/<name>.json`` from ``seed`` (the scenario by default)."""
    directory.mkdir(parents=True, exist_ok=True)
    seed_path = directory / f"{name}.seed.json"
    seed_path.write_text(json.dumps(seed if seed is not None else SCENARIO_SEED), encoding="utf-8")
    data = directory / f"{name}.json"
    reset(seed_path, data)
    return data


class ServedOrg:
    """An org served by ``reconcile emulator serve`` in a child process (the org file survives it).

    ``start`` returns once the server printed its ready line. Queries and admin calls go over HTTPS with
    the emulator's token and CA, and do not count towards anything the CLI under test sees except the
    org's API usage (admin paths are not counted at all).
    """

    def __init__(self, data: Path, *, faults: Sequence[Mapping[str, Any]] = (), latency_ms: int = 0) -> None:
        self.data = data
        args = [*CLI, "emulator", "serve", "--data", str(data)]
        if faults:
            faults_file = data.with_name(data.stem + ".faults.json")
            faults_file.write_text(json.dumps(list(faults)), encoding="utf-8")
            args += ["--faults", str(faults_file)]
        if latency_ms:
            args += ["--latency-ms", str(latency_ms)]
        self._stderr = open(data.with_name(data.stem + ".serve.log"), "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                        env={**os.environ, **CLI_ENV})
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"emulator did not start: {data.with_name(data.stem + '.serve.log').read_text()}")
        ready = json.loads(line)
        self.instance_url: str = ready["instance_url"]
        self.access_token: str = ready["access_token"]
        self.ca_cert = Path(ready["ca_cert"])
        self.org_id: str = ready["org_id"]
        self.http = requests.Session()
        self.http.verify = str(self.ca_cert)
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {self.access_token}"

    def stats(self) -> dict[str, Any]:
        """``GET /__emulator/stats``."""
        response = self.http.get(f"{self.instance_url}/__emulator/stats", timeout=30)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def requests_seen(self) -> int:
        """Salesforce API requests received so far (counted on arrival, before latency and faults)."""
        return sum(self.stats()["requests"].values())

    def add_faults(self, rules: Sequence[Mapping[str, Any]]) -> None:
        """``POST /__emulator/faults``."""
        response = self.http.post(f"{self.instance_url}/__emulator/faults", json=list(rules), timeout=30)
        response.raise_for_status()

    def clear_faults(self) -> None:
        response = self.http.delete(f"{self.instance_url}/__emulator/faults", timeout=30)
        response.raise_for_status()

    def query(self, soql: str, *, tooling: bool = False) -> list[dict[str, Any]]:
        """Every record of a SOQL query (REST or Tooling)."""
        base = f"{self.instance_url}/services/data/v{API_VERSION}/" + ("tooling/" if tooling else "")
        response = self.http.get(base + "query", params={"q": soql}, timeout=30)
        response.raise_for_status()
        page = response.json()
        records: list[dict[str, Any]] = page["records"]
        while not page.get("done", True):
            response = self.http.get(self.instance_url + page["nextRecordsUrl"], timeout=30)
            response.raise_for_status()
            page = response.json()
            records += page["records"]
        return records

    def grants(self) -> Counter[tuple[str, str]]:
        """(username, permission set or group name) -> how many assignments hold it."""
        users = {r["Id"]: r["Username"] for r in self.query("SELECT Id, Username FROM User")}
        sets = {r["Id"]: r["Name"] for r in self.query("SELECT Id, Name FROM PermissionSet")}
        groups = {r["Id"]: r["DeveloperName"] for r in self.query("SELECT Id, DeveloperName FROM PermissionSetGroup")}
        counted: Counter[tuple[str, str]] = Counter()
        rows = self.query("SELECT AssigneeId, PermissionSetId, PermissionSetGroupId FROM PermissionSetAssignment")
        for row in rows:
            group = row.get("PermissionSetGroupId")
            target = f"group:{groups[group]}" if group else sets[row["PermissionSetId"]]
            counted[(users[row["AssigneeId"]], target)] += 1
        return counted

    def grant(self, username: str, permission_set: str) -> str:
        """Assign a permission set by hand, as an admin would in Setup; returns the assignment id."""
        user = self.query(f"SELECT Id FROM User WHERE Username = '{username}'")[0]["Id"]
        pset = self.query(f"SELECT Id FROM PermissionSet WHERE Name = '{permission_set}'")[0]["Id"]
        url = f"{self.instance_url}/services/data/v{API_VERSION}/sobjects/PermissionSetAssignment"
        response = self.http.post(url, json={"AssigneeId": user, "PermissionSetId": pset}, timeout=30)
        response.raise_for_status()
        return str(response.json()["id"])

    def revoke(self, username: str, permission_set: str) -> None:
        """Remove a permission set assignment by hand."""
        user = self.query(f"SELECT Id FROM User WHERE Username = '{username}'")[0]["Id"]
        rows = self.query("SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = "
                          f"'{user}' AND PermissionSet.Name = '{permission_set}'")
        for row in rows:
            url = f"{self.instance_url}/services/data/v{API_VERSION}/sobjects/PermissionSetAssignment/{row['Id']}"
            self.http.delete(url, timeout=30).raise_for_status()

    def stop(self) -> None:
        """SIGTERM the server and wait for it (it writes nothing after that)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        self.http.close()

    def __enter__(self) -> ServedOrg:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


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


def write_config(directory: Path, orgs: Mapping[str, OrgSpec], entries: str = SCENARIO_ENTRIES,
                 *, state_path: str = ".reconcile/state.json") -> Path:
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


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SF_TOKEN_")}
    return {**env, **CLI_ENV, **(extra or {})}


def run_cli(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
            stdin: str | None = None, timeout: float = 180) -> CliResult:
    """Run ``reconcile ARGS`` in a child process and wait for it."""
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, env=cli_env(env), cwd=cwd,
                          input=stdin if stdin is not None else "", timeout=timeout, check=False)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def invoke_cli(*args: str, env: Mapping[str, str] | None = None) -> CliResult:
    """Run ``reconcile ARGS`` in this process (the same Typer app, no interpreter start-up): for commands
    that need no process of their own. An exception other than the app's exit is re-raised."""
    result = CliRunner().invoke(app, list(args), env={**CLI_ENV, **(env or {})})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def start_cli(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
              log: Path) -> subprocess.Popen[bytes]:
    """Start ``reconcile ARGS`` in a child process writing stdout and stderr to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen([*CLI, *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=cli_env(env), cwd=cwd)


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
