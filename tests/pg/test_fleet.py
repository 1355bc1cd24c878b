"""A sharded fleet on one shared state: four runner processes, each applying its shard of forty orgs
at the same time, converge every org exactly once (library level; see tests/pg/fleet_runner.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from state.postgres.backend import PostgresStateBackend
from state.postgres.journal import PgJournal
from tests.pg.server import DSN_VARIABLE, new_workspace, server_dsn

ROOT = Path(__file__).resolve().parents[2]
ORGS = [f"org-{index:02d}" for index in range(40)]


def test_four_shards_of_forty_orgs_converge_every_org_exactly_once() -> None:
    dsn, workspace = server_dsn(), new_workspace()
    PostgresStateBackend(dsn, workspace).read()
    env = {**os.environ, "PYTHONPATH": str(ROOT), DSN_VARIABLE: dsn}
    runners = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pg.fleet_runner", workspace, f"{k}/4", str(len(ORGS))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for k in range(1, 5)
    ]
    outputs = [runner.communicate(timeout=300) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0, 0, 0], [err for _out, err in outputs]
    applied = [org for out, _err in outputs for org in json.loads(out)]
    assert sorted(applied) == ORGS

    state = PostgresStateBackend(dsn, workspace).read()
    assert sorted(state.orgs) == ORGS
    assert all(state.orgs[org].org_id == f"00D{org}" and len(state.orgs[org].resources) == 2 for org in ORGS)
    done = PgJournal(dsn, workspace).read()
    assert Counter(record["org"] for record in done) == Counter(ORGS)
    assert all(record["ok"] for record in done)
