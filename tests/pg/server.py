"""The PostgreSQL server the state-backend tests run against.

``server_dsn()`` is ``$RECONCILE_TEST_PG_DSN`` when set; otherwise a throwaway cluster started once per
test process with ``tests/pg/start-postgres.sh``, stopped when the process exits (at exit, or by the
script's watcher if the process is killed). When neither works the calling
test fails (never skips) with a message saying how to install PostgreSQL.
"""

from __future__ import annotations

import atexit
import functools
import os
import shlex
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from state.postgres.schema import advisory_key

HERE = Path(__file__).resolve().parent
DSN_VARIABLE = "RECONCILE_TEST_PG_DSN"
INSTALL_HINT = (
    "these tests need a PostgreSQL server. Install it (Debian/Ubuntu: `apt-get install -y postgresql`; "
    "the psycopg driver: `pip install -e '.[postgres]'`), then either let the tests start one or run "
    '`eval "$(tests/pg/start-postgres.sh)"` yourself, or point RECONCILE_TEST_PG_DSN at a database '
    "where the tests may create tables and databases"
)


@functools.cache
def _started() -> tuple[str, str]:
    """(dsn, "") on success, ("", why) on failure; a failure is remembered, not retried per test."""
    try:
        result = subprocess.run(
            [str(HERE / "start-postgres.sh"), "--stop-with", str(os.getpid())],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "", f"start-postgres.sh could not run: {exc}"
    exported = dict(_exports(result.stdout))
    dsn, data = exported.get(DSN_VARIABLE, ""), exported.get("RECONCILE_TEST_PG_DATA", "")
    if data:
        atexit.register(subprocess.run, [str(HERE / "stop-postgres.sh"), data], capture_output=True, check=False)
    if result.returncode != 0 or not dsn:
        return "", f"start-postgres.sh failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}"
    return dsn, ""


def _exports(output: str) -> list[tuple[str, str]]:
    pairs = []
    for line in output.splitlines():
        if line.startswith("export ") and "=" in line:
            name, value = line.removeprefix("export ").split("=", 1)
            pairs.append((name, shlex.split(value)[0] if value else ""))
    return pairs


def server_dsn() -> str:
    """A DSN of a database the tests may use; fails the calling test if no server can be had."""
    dsn = os.environ.get(DSN_VARIABLE, "")
    if dsn:
        return dsn
    dsn, why = _started()
    if not dsn:
        pytest.fail(f"{INSTALL_HINT}.\n{why}", pytrace=False)
    return dsn


def fresh_database(dsn: str) -> str:
    """A new, empty database on the server of ``dsn``; returns its DSN."""
    name = f"reconcile_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"'.encode())
    return make_conninfo(dsn, dbname=name)


def with_params(dsn: str, **params: str) -> str:
    """``dsn`` with some connection parameters replaced (e.g. a wrong port)."""
    return make_conninfo(make_conninfo("", **conninfo_to_dict(dsn)), **params)


def new_workspace() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def wait_until_released(dsn: str, workspace: str, scope: str, timeout: float = 60.0) -> None:
    """Block until no server process holds the advisory lock of ``scope`` exclusively (as after its holder
    was killed: the server notices the dead connection by itself, a moment later)."""
    key = advisory_key(workspace, scope)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SELECT set_config('lock_timeout', %s, false)", (f"{int(timeout * 1000)}ms",))
        connection.execute("SELECT pg_advisory_lock_shared(%s)", (key,))
        connection.execute("SELECT pg_advisory_unlock_shared(%s)", (key,))
