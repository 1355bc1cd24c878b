"""Locks on a PostgreSQL state: advisory locks for exclusion, ``reconcile_lock`` rows for messages.

Each lock is held on a connection of its own, opened for the lock's lifetime: PostgreSQL releases an
advisory lock when its connection ends, however the holder dies (killed, crashed, network gone).

Keys (``advisory_key``) come from the workspace and a scope: an org name, or ``*`` for the whole
workspace. A whole-workspace lock takes the workspace key exclusively. Org locks take the workspace key
*shared*, then each org's key exclusively, in sorted order (so two runners never deadlock). Hence:
runners on disjoint orgs hold their locks at the same time; runners sharing an org exclude each other;
a whole-workspace lock excludes every org lock and the reverse.

While a lock is held, one ``reconcile_lock`` row per exclusively held scope records who holds it (id,
operation, holder, pid, host, created) and the holder's server process id (``backend_pid``). A row is
*stale* when that server process no longer holds the advisory lock (``pg_locks``): its holder died.
Acquiring a scope replaces a stale row of that scope (the replaced holder is reported in ``warnings``);
a whole-workspace lock also clears every stale org row (no org lock can be live while it is held), and
an org lock clears a stale whole-workspace row.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import psycopg

from reconcile.errors import StateLockError
from state.base import HeldLock, LockInfo, describe_holder, new_lock_info
from state.postgres.schema import WORKSPACE_SCOPE, Connection, advisory_key, connect, database_error

T = TypeVar("T")

_COLUMNS = "scope, id, operation, holder, pid, host, created, backend_pid"
_INSERT = f"INSERT INTO reconcile_lock (workspace, {_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
_HELD_BY = (
    "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = %s"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = %s AND objid = %s AND objsubid = 1 AND mode = 'ExclusiveLock')"
)


def describe_lock(scope: str, info: LockInfo) -> str:
    """Who holds ``scope`` (an org or the whole workspace), for messages."""
    what = "the whole workspace" if scope == WORKSPACE_SCOPE else f"org {scope}"
    return f"{what} by {describe_holder(info)}"


class PgLocks:
    """The locks of one workspace. ``where`` names the state in messages; ``warnings`` collects the
    stale holders replaced when a lock is taken."""

    def __init__(self, dsn: str, workspace: str, where: str) -> None:
        self.dsn = dsn
        self.workspace = workspace
        self.where = where
        self.warnings: list[str] = []

    # -- acquiring ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def hold(self, orgs: Sequence[str] | None, operation: str, timeout: float) -> Iterator[HeldLock]:
        """Hold the whole workspace (``orgs`` None) or exactly ``orgs``; wait up to ``timeout`` seconds."""
        scopes = [WORKSPACE_SCOPE] if orgs is None else sorted(set(orgs))
        if not scopes:
            raise ValueError("lock_orgs needs at least one org")
        connection = connect(self.dsn, autocommit=True)
        try:
            self._acquire(connection, scopes, shared_workspace=orgs is not None, timeout=timeout)
            held = self._record(connection, scopes, new_lock_info(operation))
        except BaseException:
            connection.close()
            raise
        try:
            yield held
        finally:
            self._release(connection, held.id)

    def _acquire(self, connection: Connection, scopes: list[str], *, shared_workspace: bool, timeout: float) -> None:
        deadline = time.monotonic() + max(timeout, 0.0)
        steps: list[tuple[str, str]] = [(WORKSPACE_SCOPE, "shared")] if shared_workspace else []
        steps += [(scope, "exclusive") for scope in scopes]
        for scope, mode in steps:
            if not self._take(connection, advisory_key(self.workspace, scope), mode, deadline, timeout > 0):
                raise self._held_error(connection, scope, mode)

    def _take(self, connection: Connection, key: int, mode: str, deadline: float, wait: bool) -> bool:
        suffix = "_shared" if mode == "shared" else ""
        try:
            if not wait:
                row = connection.execute(f"SELECT pg_try_advisory_lock{suffix}(%s)", (key,)).fetchone()
                return bool(row and row[0])
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                return False
            connection.execute("SELECT set_config('lock_timeout', %s, false)", (f"{remaining_ms}ms",))
            try:
                connection.execute(f"SELECT pg_advisory_lock{suffix}(%s)", (key,))
            except psycopg.errors.LockNotAvailable:
                return False
            return True
        except psycopg.Error as exc:
            raise database_error(f"could not lock {self.where}", exc) from None

    def _record(self, connection: Connection, scopes: list[str], info: LockInfo) -> HeldLock:
        """Write the holder rows of ``scopes``, replacing (and reporting) the stale rows it may."""
        try:
            with connection.transaction():
                replaced = self._clear_stale(connection, scopes)
                backend_pid = connection.info.backend_pid
                for scope in scopes:
                    connection.execute(
                        _INSERT,
                        (
                            self.workspace,
                            scope,
                            info.id,
                            info.operation,
                            info.holder,
                            info.pid,
                            info.host,
                            info.created,
                            backend_pid,
                        ),
                    )
        except psycopg.Error as exc:
            raise database_error(f"could not record the lock on {self.where}", exc) from None
        for scope, previous in replaced:
            self.warnings.append(
                f"took over the lock on {scope_name(scope)} in {self.where} left by "
                f"{describe_holder(previous)}, whose process is gone"
            )
        return HeldLock(**info.model_dump(), replaced=replaced[0][1] if replaced else None)

    def _clear_stale(self, connection: Connection, scopes: list[str]) -> list[tuple[str, LockInfo]]:
        clearable = None if scopes == [WORKSPACE_SCOPE] else [*scopes, WORKSPACE_SCOPE]
        rows = connection.execute(
            "DELETE FROM reconcile_lock WHERE workspace = %s AND (%s::text[] IS NULL OR scope = ANY(%s::text[]))"
            f" RETURNING {_COLUMNS}",
            (self.workspace, clearable, clearable),
        ).fetchall()
        return sorted(((row[0], _info(row)) for row in rows), key=lambda pair: pair[0])

    def _release(self, connection: Connection, lock_id: str) -> None:
        try:
            connection.execute("DELETE FROM reconcile_lock WHERE workspace = %s AND id = %s", (self.workspace, lock_id))
            connection.execute("SELECT pg_advisory_unlock_all()")
        except psycopg.Error as exc:
            self.warnings.append(
                f"could not clear the lock record {lock_id} on {self.where} ({exc}); its advisory lock "
                "ended with the connection"
            )
        finally:
            connection.close()

    def _held_error(self, connection: Connection, scope: str, mode: str) -> StateLockError:
        rows = self._rows(connection)
        if mode == "shared":
            holders = [(s, i) for s, i in rows if s == WORKSPACE_SCOPE]
        elif scope == WORKSPACE_SCOPE:
            holders = rows
        else:
            holders = [(s, i) for s, i in rows if s == scope]
        what = self.where if scope == WORKSPACE_SCOPE else f"org {scope} in {self.where}"
        if not holders:
            return StateLockError(
                f"{what} is locked by another process that has not recorded itself yet: wait for it and run again"
            )
        named = "; ".join(describe_lock(s, i) for s, i in holders)
        return StateLockError(
            f"{what} is locked: {named}. Wait for it, or if that process is gone run "
            f"`reconcile state unlock {holders[0][1].id}`"
        )

    # -- inspecting and clearing --------------------------------------------------------------------

    def infos(self) -> list[tuple[str, LockInfo]]:
        """Every lock record of the workspace as (scope, info), live or stale, whole workspace first."""
        return self._with_connection(self._rows)

    def is_stale(self, lock_id: str) -> bool:
        """True if no server process holds the advisory lock of record ``lock_id`` any more."""
        return self._with_connection(lambda c: not self._live(c, lock_id))

    def unlock(self, lock_id: str) -> None:
        """Clear the records of ``lock_id`` left by a dead holder; never breaks a live lock."""
        self._with_connection(lambda c: self._unlock(c, lock_id))

    def _unlock(self, connection: Connection, lock_id: str) -> None:
        rows = self._rows(connection)
        if not rows:
            raise StateLockError(f"{self.where} is not locked: nothing to unlock")
        mine = [(s, i) for s, i in rows if i.id == lock_id]
        if not mine:
            held = "; ".join(describe_lock(s, i) for s, i in rows)
            raise StateLockError(f"lock id {lock_id} does not match any lock on {self.where}, which is locked: {held}")
        if self._live(connection, lock_id):
            held = "; ".join(describe_lock(s, i) for s, i in mine)
            raise StateLockError(
                f"refusing to unlock {self.where}: it is held by a live process ({held}); wait for it to finish"
            )
        connection.execute("DELETE FROM reconcile_lock WHERE workspace = %s AND id = %s", (self.workspace, lock_id))

    def _live(self, connection: Connection, lock_id: str) -> bool:
        rows = connection.execute(
            "SELECT scope, backend_pid FROM reconcile_lock WHERE workspace = %s AND id = %s",
            (self.workspace, lock_id),
        ).fetchall()
        for scope, backend_pid in rows:
            key = advisory_key(self.workspace, scope) & 0xFFFF_FFFF_FFFF_FFFF
            row = connection.execute(f"SELECT {_HELD_BY}", (backend_pid, key >> 32, key & 0xFFFF_FFFF)).fetchone()
            if row and row[0]:
                return True
        return False

    def _rows(self, connection: Connection) -> list[tuple[str, LockInfo]]:
        rows = connection.execute(
            f"SELECT {_COLUMNS} FROM reconcile_lock WHERE workspace = %s ORDER BY scope <> %s, created, scope",
            (self.workspace, WORKSPACE_SCOPE),
        ).fetchall()
        return [(row[0], _info(row)) for row in rows]

    def _with_connection(self, work: Callable[[Connection], T]) -> T:
        try:
            with connect(self.dsn, autocommit=True) as connection:
                return work(connection)
        except psycopg.Error as exc:
            raise database_error(f"could not read the locks of {self.where}", exc) from None


def scope_name(scope: str) -> str:
    return "the whole workspace" if scope == WORKSPACE_SCOPE else f"org {scope}"


def _info(row: tuple[Any, ...]) -> LockInfo:
    created: datetime = row[6]
    return LockInfo(id=row[1], operation=row[2], holder=row[3], pid=row[4], host=row[5], created=created)
