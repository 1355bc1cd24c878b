"""``reconcile emulator serve --fleet``: many orgs in one process, on one port, routed by token.

The fleet runs in a child process; the real CLI plans and applies against it. Each org answers from its
own store and live file and counts its own requests; a request with an unknown token is refused as one
org's server refuses it; a broken fleet file is an error naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from providers.emulator.org.store import Store
from tests.support.cli import run_cli
from tests.support.fleet import Fleet, serve_fleet, served_fleet
from tests.support.scenario import OrgSpec, token_env_for, write_config

ORGS = ("east", "west", "north")


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    with served_fleet(tmp_path / "orgs", ORGS) as started:
        yield started


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
