"""Sharded apply on one PostgreSQL state: one process applying every org, then N processes with
``reconcile apply --shard K/N`` at the same time, each on a fresh workspace.

    python bench/shards.py [--orgs 40] [--shards 4]

The orgs are emulated (``emulator = "orgs/oNN.json"``, small seeds: two users to grant a permission set
to, one picklist field one value short), so every run changes every org. The state lives in PostgreSQL:
``$RECONCILE_STATE_DSN`` (or ``$RECONCILE_TEST_PG_DSN``) when set, else a throwaway server started with
``tests/pg/start-postgres.sh`` for the duration of the run. Prints both wall times and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DSN_ENV = "RECONCILE_STATE_DSN"
RECONCILE = str(Path(sys.executable).parent / "reconcile")

CONFIG = """version = 1

[state]
backend = "postgres"
dsn_env = "{dsn_env}"
path = "{workspace}"

{orgs}
[[picklist]]
field = "Account.Tier__c"
values = ["Gold", "Silver", "Bronze"]
mode = "exact"

[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["alice@acme.com", "bob@acme.com"]
exclusive = true

[[permission_set_grant]]
permission_set = "Service_Desk"
users = ["bob@acme.com"]
"""


def org_names(count: int) -> list[str]:
    return [f"o{index:02d}" for index in range(1, count + 1)]


def seed(name: str) -> dict[str, object]:
    """A small org (after examples/quickstart/orgs/dev.json): Sales_Ops held by alice only, Service_Desk by
    nobody, Tier__c without Bronze."""
    return {
        "schema_version": 1,
        "organization": {"name": f"Fleet {name}", "is_sandbox": True, "daily_api_limit": 15000},
        "profiles": [{"name": "System Administrator", "full_name": "Admin"}, {"name": "Sales User"}],
        "users": [
            {
                "username": "admin@acme.com",
                "profile": "System Administrator",
                "first_name": "Ada",
                "last_name": "Admin",
            },
            {"username": "alice@acme.com", "profile": "Sales User", "first_name": "Alice", "last_name": "Archer"},
            {"username": "bob@acme.com", "profile": "Sales User", "first_name": "Bob", "last_name": "Baker"},
        ],
        "permission_sets": [
            {"name": "Sales_Ops", "label": "Sales Ops"},
            {"name": "Service_Desk", "label": "Service Desk"},
        ],
        "objects": [
            {
                "name": "Account",
                "fields": [
                    {"name": "Tier__c", "type": "Picklist", "values": ["Gold", {"name": "Silver", "default": True}]},
                ],
            }
        ],
        "permission_set_assignments": [{"username": "alice@acme.com", "permission_set": "Sales_Ops"}],
    }


def write_fleet(directory: Path, count: int, workspace: str, dsn_env: str = DSN_ENV) -> Path:
    """A configuration of ``count`` emulated orgs in ``directory`` whose state is the PostgreSQL workspace
    ``workspace`` (the connection string in ``$dsn_env``); returns the config file."""
    (directory / "orgs").mkdir(parents=True, exist_ok=True)
    tables = []
    for name in org_names(count):
        (directory / "orgs" / f"{name}.json").write_text(json.dumps(seed(name)), encoding="utf-8")
        tables.append(f'[orgs.{name}]\nemulator = "orgs/{name}.json"\n')
    config = directory / "reconcile.toml"
    config.write_text(CONFIG.format(dsn_env=dsn_env, workspace=workspace, orgs="\n".join(tables)), encoding="utf-8")
    return config


def run_apply(config: Path, shards: Sequence[str | None], env: Mapping[str, str]) -> float:
    """Run one ``reconcile apply`` per entry of ``shards`` (None: every org) at once; wall seconds until
    the last exits. Raises if any fails."""
    started = time.perf_counter()
    runners = []
    for shard in shards:
        command = [RECONCILE, "apply", "--auto-approve", "-c", str(config)]
        if shard is not None:
            command += ["--shard", shard]
        runners.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(env))
        )
    outputs = [runner.communicate(timeout=900) for runner in runners]
    seconds = time.perf_counter() - started
    for shard, runner, (_out, err) in zip(shards, runners, outputs, strict=True):
        if runner.returncode != 0:
            raise SystemExit(f"apply {shard or '(all orgs)'} exited {runner.returncode}:\n{err[-3000:]}")
    return seconds


def database_dsn() -> str:
    for variable in (DSN_ENV, "RECONCILE_TEST_PG_DSN"):
        if os.environ.get(variable, "").strip():
            return os.environ[variable]
    from tests.pg.server import _started

    dsn, why = _started()
    if not dsn:
        raise SystemExit(f"no PostgreSQL server: {why}")
    return dsn


def run(count: int, shards: int) -> tuple[float, float]:
    dsn = database_dsn()
    env = {**os.environ, DSN_ENV: dsn}
    times = []
    for runners in ([None], [f"{k}/{shards}" for k in range(1, shards + 1)]):
        workdir = Path(tempfile.mkdtemp(prefix="reconcile-shards-"))
        try:
            config = write_fleet(workdir, count, f"bench-shards-{uuid.uuid4().hex[:12]}")
            times.append(run_apply(config, runners, env))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return times[0], times[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=40, help="emulated orgs in the fleet (default 40)")
    parser.add_argument("--shards", type=int, default=4, help="runner processes of the sharded run (default 4)")
    args = parser.parse_args(argv)
    one, sharded = run(args.orgs, args.shards)
    print(f"orgs: {args.orgs}, CPU cores: {os.cpu_count()}")
    print(f"1 process, every org:        {one:7.2f} s")
    print(f"{args.shards} processes, --shard K/{args.shards}: {sharded:7.2f} s")
    print(f"ratio (1 process / {args.shards} processes): {one / sharded:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
