"""A runner that holds a state lock in another process, for lock tests of both backends.

    python -m tests.pg.holder local PATH OPERATION [ORG,ORG...]
    python -m tests.pg.holder postgres WORKSPACE OPERATION [ORG,ORG...]   (DSN in RECONCILE_TEST_PG_DSN)

Takes the whole-state lock (or, given orgs, only theirs), prints the lock id on stdout, then holds it
until a line arrives on stdin. Exits 3 with the error on stderr if the lock cannot be taken.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from reconcile.errors import StateLockError
from state.factory import lock_orgs
from state.local import LocalStateBackend
from state.postgres.backend import PostgresStateBackend


def main(argv: list[str]) -> int:
    kind, location, operation = argv[:3]
    orgs = [org for org in (argv[3] if len(argv) > 3 else "").split(",") if org]
    if kind == "local":
        backend: LocalStateBackend | PostgresStateBackend = LocalStateBackend(Path(location))
    else:
        backend = PostgresStateBackend(os.environ["RECONCILE_TEST_PG_DSN"], location)
    try:
        lock = lock_orgs(backend, orgs, operation) if orgs else backend.lock(operation)
        with lock as held:
            print(held.id, flush=True)
            sys.stdin.readline()
    except StateLockError as exc:
        print(exc, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
