"""A sharded fleet through the CLI: four `reconcile apply --shard K/4` processes at once on forty emulated
orgs and one PostgreSQL state converge every org exactly once, and a plan afterwards finds nothing to do."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import pytest

from bench.shards import DSN_ENV, RECONCILE, org_names, write_fleet
from reconcile.config.loader import load_config
from reconcile.fleet.sharding import shard_orgs
from reconcile.workspace import emulator_data_path
from state.factory import backend_for, journal_for, workspace_name
from tests.pg.server import server_dsn

ORGS = org_names(40)
SHARDS = [f"{k}/4" for k in range(1, 5)]


def test_four_cli_shards_of_forty_emulated_orgs_converge_every_org_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, workspace = server_dsn(), f"fleet-cli-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(DSN_ENV, dsn)
    config_file = write_fleet(tmp_path, len(ORGS), workspace)
    config = load_config(config_file)
    assert workspace_name(config.state) == workspace
    assert backend_for(config.state, config.root).read().orgs == {}
    seeds = {org: (tmp_path / "orgs" / f"{org}.json").read_bytes() for org in ORGS}

    env = {**os.environ, DSN_ENV: dsn}
    runners = [
        subprocess.Popen(
            [RECONCILE, "apply", "--shard", shard, "--auto-approve", "-c", str(config_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for shard in SHARDS
    ]
    outputs = [runner.communicate(timeout=300) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0, 0, 0], [err[-2000:] for _out, err in outputs]

    shards = [shard_orgs(ORGS, shard) for shard in SHARDS]
    assert all(shards)
    assert sorted(org for shard in shards for org in shard) == ORGS  # disjoint, and every org in one

    state = backend_for(config.state, config.root).read()
    assert sorted(state.orgs) == ORGS
    assert all(len(state.orgs[org].resources) == 3 for org in ORGS)

    journal = journal_for(config.state, config.root).read()
    ends = [record for record in journal if record["type"] == "run_end"]
    assert len(ends) == 4 and all(end["ok"] for end in ends)
    assert Counter(org for end in ends for org in end["orgs"]) == Counter(ORGS)
    assert sorted(sorted(end["orgs"]) for end in ends) == sorted(sorted(shard) for shard in shards)
    assert all(
        end["orgs"][org]["applied"] == 3 and end["orgs"][org]["failed"] == 0 for end in ends for org in end["orgs"]
    )

    # each org's live copy is kept beside the config (the state path's parent), the seeds are untouched
    for org in ORGS:
        live = emulator_data_path(config, org)
        assert live.parent.parent == tmp_path / ".reconcile" / "emulator"
        assignments = json.loads(live.read_text(encoding="utf-8"))["permission_set_assignments"]
        held = {(row["username"], row.get("permission_set")) for row in assignments}
        assert ("bob@acme.com", "Service_Desk") in held and ("bob@acme.com", "Sales_Ops") in held
        assert (tmp_path / "orgs" / f"{org}.json").read_bytes() == seeds[org]

    plan = subprocess.run(
        [RECONCILE, "plan", "--detailed-exitcode", "-c", str(config_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
