"""Emulated orgs for the tests, and what talks to them over real HTTPS (a pytest plugin module).

Seeds live in ``tests/emulator_seeds/``: ``basic.json`` (the emulator tests' org), ``provider.json``
(the provider tests' org, ``provider_seed()``), ``scenario.json`` (an org whose convergence touches every
kind, ``tests.support.scenario``).

Fixtures:

- ``start_org``: a factory starting orgs in this process (a seed dict or path, faults, latency).
- ``emulator``: the basic org, running; ``sf`` a simple-salesforce client in direct mode (session id +
  instance URL) trusting its CA; ``http`` a ``requests.Session`` trusting the CA and sending the token.
- ``emulated``: ``emulated(seed)`` starts an org and connects a ``SalesforceProvider`` to it the way a
  configured org is (``instance_url`` + ``access_token`` from an environment variable + ``ca_cert``);
  backoff waits are recorded, never slept.

``ServedOrg`` is an org served by a separate ``reconcile emulator serve`` process, so it outlives any
CLI process a test kills.

Sessions set ``trust_env = False``: requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` from the
environment override ``session.verify``, which would make the emulator's CA untrusted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import requests
from simple_salesforce import Salesforce

from providers.emulator.embedded import EmulatorHandle, start_emulator
from providers.salesforce import OrgConnection, SalesforceProvider, connect
from reconcile.model import AnyResource, Resource
from tests.support.cli import CLI, CLI_ENV

SEEDS = Path(__file__).resolve().parents[1] / "emulator_seeds"
BASIC_SEED = SEEDS / "basic.json"
PROVIDER_SEED = SEEDS / "provider.json"
API_VERSION = "62.0"
TOKEN_ENV = "SF_TEST_ACCESS_TOKEN"

StartOrg = Callable[..., EmulatorHandle]


def provider_seed() -> dict[str, Any]:
    """A fresh copy of the provider tests' org seed."""
    seed: dict[str, Any] = json.loads(PROVIDER_SEED.read_text(encoding="utf-8"))
    return seed


def trusted_session(handle: EmulatorHandle, *, bearer: bool = False) -> requests.Session:
    """A requests session that trusts ``handle``'s CA (and sends its token when ``bearer``)."""
    session = requests.Session()
    session.verify = str(handle.ca_cert)
    session.trust_env = False
    if bearer:
        session.headers["Authorization"] = f"Bearer {handle.access_token}"
    return session


def client_for(handle: EmulatorHandle, token: str | None = None) -> Salesforce:
    """simple-salesforce in direct mode against ``handle`` (``token`` overrides the real one)."""
    return Salesforce(
        instance_url=handle.instance_url,
        session_id=token or handle.access_token,
        version=handle.api_version,
        session=trusted_session(handle),
    )


@pytest.fixture
def start_org(tmp_path: Path) -> Iterator[StartOrg]:
    """Factory: ``start_org(seed=dict|Path, faults=[...], latency_ms=N, name="org")`` -> running handle."""
    handles: list[EmulatorHandle] = []

    def start(seed: dict[str, Any] | Path = BASIC_SEED, *, name: str = "org", **options: Any) -> EmulatorHandle:
        seed_path = seed if isinstance(seed, Path) else tmp_path / f"{name}.seed.json"
        if isinstance(seed, dict):
            seed_path.write_text(json.dumps(seed), encoding="utf-8")
        handle = start_emulator(tmp_path / f"{name}.json", seed=seed_path, **options)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def emulator(start_org: StartOrg) -> EmulatorHandle:
    """The basic org, running."""
    return start_org()


@pytest.fixture
def sf(emulator: EmulatorHandle) -> Salesforce:
    return client_for(emulator)


@pytest.fixture
def http(emulator: EmulatorHandle) -> Iterator[requests.Session]:
    session = trusted_session(emulator, bearer=True)
    yield session
    session.close()


# -- a provider connected to an emulated org -------------------------------------------------------------


@dataclass
class EmulatedOrg:
    """A running emulator and a provider connected to it; ``sleeps`` records every backoff wait."""

    handle: EmulatorHandle
    provider: SalesforceProvider
    sleeps: list[float] = field(default_factory=list)

    def requests(self) -> dict[str, int]:
        """Requests the emulator counted, by endpoint (the same keys as ``provider.usage``)."""
        counted: dict[str, int] = self.handle.stats()["requests"]
        return counted

    def reset_counts(self) -> None:
        self.handle.reset_stats()
        self.provider.usage.calls = 0
        self.provider.usage.by_endpoint.clear()

    def faults(self, *rules: dict[str, Any]) -> None:
        self.handle.add_faults(list(rules))

    def rows(self, sobject: str, **equals: Any) -> list[dict[str, Any]]:
        return self.handle.store.find(sobject, **equals)


def connection_for(handle: EmulatorHandle) -> OrgConnection:
    return OrgConnection(
        name="test",
        instance_url=handle.instance_url,
        auth_method="access_token",
        auth={"token_env": TOKEN_ENV},
        ca_cert=handle.ca_cert,
    )


@pytest.fixture
def emulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., EmulatedOrg]]:
    """``emulated(seed_dict)`` starts an org from the seed (the provider seed by default) and connects a
    provider to it."""
    started: list[EmulatedOrg] = []

    def start(seed: dict[str, Any] | None = None) -> EmulatedOrg:
        seed_path = tmp_path / f"seed{len(started)}.json"
        seed_path.write_text(json.dumps(seed if seed is not None else provider_seed()), encoding="utf-8")
        handle = start_emulator(tmp_path / f"org{len(started)}.json", seed=seed_path)
        monkeypatch.setenv(TOKEN_ENV, handle.access_token)
        sleeps: list[float] = []
        provider = connect(connection_for(handle), sleep=sleeps.append)
        org = EmulatedOrg(handle, provider, sleeps)
        started.append(org)
        return org

    yield start
    for org in started:
        org.provider.close()
        org.handle.stop()


R = TypeVar("R", bound=Resource)


def narrow(resource: Resource | None, kind: type[R]) -> R:
    """A read resource as the concrete type the test expects (read returns ``Resource``)."""
    assert isinstance(resource, kind), resource
    return resource


def live(resource: Resource | None) -> AnyResource | None:
    """A read resource (or None) as a ``Change.before``."""
    return cast("AnyResource | None", resource)


# -- an org served by its own process ---------------------------------------------------------------------
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
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env={**os.environ, **CLI_ENV}
        )
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
        rows = self.query(
            "SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = "
            f"'{user}' AND PermissionSet.Name = '{permission_set}'"
        )
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
