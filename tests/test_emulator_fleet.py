"""``reconcile emulator serve --fleet``: many orgs in one process, on one port, routed by token.

The fleet runs in a child process; the real CLI plans and applies against it. Each org answers from its
own store and live file and counts its own requests; a request with an unknown token is refused as one
org's server refuses it; a broken fleet file is an error naming the file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from providers.emulator.org.store import Store
from tests.support.cli import CLI, CLI_ENV, run_cli
from tests.support.scenario import OrgSpec, scenario_seed, token_env_for, write_config

ORGS = ("east", "west", "north")


@dataclass
class Member:
    instance_url: str
    ca_cert: Path
    access_token: str
    org_id: str


@dataclass
class Fleet:
    process: subprocess.Popen[str]
    members: dict[str, Member]
    spec: Path

    def get(self, path: str, token: str) -> requests.Response:
        member = next(iter(self.members.values()))
        return requests.get(
            member.instance_url + path,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(member.ca_cert),
            timeout=30,
        )

    def stats(self, name: str) -> dict[str, Any]:
        answer = self.get("/__emulator/stats", self.members[name].access_token)
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats


def serve_fleet(spec: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "emulator", "serve", "--fleet", str(spec), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **CLI_ENV},
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    orgs = tmp_path / "orgs"
    orgs.mkdir()
    entries = {}
    for name in ORGS:
        seed = scenario_seed()
        seed["organization"]["name"] = f"Fleet {name}"
        (orgs / f"{name}.seed.json").write_text(json.dumps(seed), encoding="utf-8")
        entries[name] = {"data": f"{name}.json", "seed": f"{name}.seed.json"}
    spec = orgs / "fleet.json"
    spec.write_text(json.dumps({"orgs": entries}), encoding="utf-8")
    process = serve_fleet(spec)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else ""
    ready = json.loads(line)
    members = {
        name: Member(ready["instance_url"], Path(ready["ca_cert"]), org["access_token"], org["org_id"])
        for name, org in ready["orgs"].items()
    }
    yield Fleet(process, members, spec)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def test_each_org_of_a_fleet_is_its_own_org(fleet: Fleet, tmp_path: Path) -> None:
    assert sorted(fleet.members) == sorted(ORGS)
    assert len({m.access_token for m in fleet.members.values()}) == len(ORGS)
    assert len({m.instance_url for m in fleet.members.values()}) == 1, "one port for the whole fleet"
    assert len({m.org_id for m in fleet.members.values()}) == len(ORGS), "each org its own Organization Id"
    assert all(m.access_token.startswith(m.org_id[:15] + "!") for m in fleet.members.values())

    config = write_config(
        tmp_path / "project", {name: OrgSpec(served=member) for name, member in fleet.members.items()}
    )
    env = {token_env_for(name): member.access_token for name, member in fleet.members.items()}
    applied = run_cli("apply", "--auto-approve", "--org", "west", "-c", str(config), env=env)
    assert applied.code == 0, applied.output

    west = fleet.stats("west")["requests"]
    assert sum(west.values()) > 0 and any("composite/sobjects" in key for key in west)
    for other in ("east", "north"):
        assert fleet.stats(other)["requests"] == {}, "requests reach only the org whose token they carry"

    planned = run_cli("plan", "-c", str(config), "--format", "json", env=env)
    assert planned.code == 0, planned.output
    changes = {org["org"]: len(org["changes"]) for org in json.loads(planned.stdout)["orgs"]}
    assert changes["west"] == 0 and changes["east"] > 0 and changes["north"] > 0
    assert changes["east"] == changes["north"], "orgs of one seed differ only by what was applied"
    assert fleet.stats("east")["requests"] == fleet.stats("north")["requests"]

    live = {name: Store.load(fleet.spec.parent / f"{name}.json") for name in ORGS}
    grants = {name: len(store.table("PermissionSetAssignment")) for name, store in live.items()}
    assert grants["west"] != grants["east"] == grants["north"], "each org writes its own live file"


def test_an_unknown_token_is_refused_as_one_org_refuses_it(fleet: Fleet) -> None:
    answer = fleet.get("/services/data/v62.0/query?q=SELECT+Id+FROM+Organization", "00D000000000000!nope")
    assert answer.status_code == 401
    assert answer.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    versions = fleet.get("/services/data", "")
    assert versions.status_code == 200 and versions.json()


def test_a_broken_fleet_file_is_an_error_naming_it(tmp_path: Path) -> None:
    spec = tmp_path / "fleet.json"
    spec.write_text(json.dumps({"orgs": {"east": {"seed": "east.seed.json"}}}), encoding="utf-8")
    process = serve_fleet(spec)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == ""
    assert str(spec) in err and "'east' needs a \"data\" path" in err


def test_serve_needs_one_org_file_or_one_fleet_file(tmp_path: Path) -> None:
    neither = run_cli("emulator", "serve")
    assert neither.code == 1 and "give either --data (one org) or --fleet" in neither.output
