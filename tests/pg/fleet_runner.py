"""One runner of a sharded fleet, at library level (the CLI's ``apply --shard`` does the same wiring).

    python -m tests.pg.fleet_runner WORKSPACE K/N ORG_COUNT     (DSN in RECONCILE_TEST_PG_DSN)

Selects its shard of ``org-00 … org-NN``, locks just those orgs, plans them against in-memory orgs,
applies through the shared PostgreSQL state, and journals one ``org_done`` record per org. Prints the
orgs it applied as a JSON list; exits 1 if any org failed.
"""

from __future__ import annotations

import json
import os
import sys

from reconcile.executor import Event, apply_plan
from reconcile.fleet.sharding import shard_orgs
from reconcile.planner import build_plan
from state.factory import lock_orgs
from state.postgres.backend import PostgresStateBackend
from state.postgres.journal import PgJournal
from tests.support.fakes import FakeProvider
from tests.test_planner import desired, grant, pv, tier


def main(workspace: str, shard: str, count: int) -> int:
    dsn = os.environ["RECONCILE_TEST_PG_DSN"]
    backend, journal = PostgresStateBackend(dsn, workspace), PgJournal(dsn, workspace)
    orgs = shard_orgs([f"org-{index:02d}" for index in range(count)], shard)
    providers = {org: FakeProvider([tier()], org_id=f"00D{org}") for org in orgs}

    def on_event(event: Event) -> None:
        if event.type == "org_done":
            journal.append({"run_id": shard, "type": "org_done", "org": event.org, "ok": event.ok})

    with lock_orgs(backend, orgs, "apply", timeout=120):
        state = backend.read()
        wanted = {org: desired(tier(pv("Gold")), grant(f"{org}@x"), org=org) for org in orgs}
        plan = build_plan(config_digest="d", desired=wanted, state=state, providers=providers)
        report = apply_plan(plan, providers=providers, backend=backend, state=state, parallelism=4, on_event=on_event)
    print(json.dumps(orgs))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
