"""State kept in PostgreSQL, shared by teams and fleets of runners (DESIGN.md §8).

A *workspace* (one configuration's state) is a row of ``reconcile_workspace`` (lineage, serial, state
version) plus one row per org in ``reconcile_org_state`` (the org's ``OrgState`` as ``jsonb`` and the
workspace serial at which that org was last written).

Semantics, where they refine the ``StateBackend`` contract of ``state.base``:

- ``read()`` returns one consistent snapshot (a single statement). Reading a workspace that does not
  exist registers it (fresh lineage, serial 0, no orgs), so runners starting together on an empty
  database share one lineage. A workspace never written (serial 0, no orgs) accepts a first write of
  any lineage, as a missing state file does.
- ``write(state)`` runs in one transaction that first locks the workspace row (``SELECT ... FOR
  UPDATE``): writers of one workspace are serialised for milliseconds, and a crash leaves either the
  whole write or nothing. Only the orgs this writer *changed* are written: the backend remembers the
  documents it handed out with each (lineage, serial) it returned, and an org is changed when its
  document differs from that snapshot (added and removed orgs included). For a state it never handed
  out, every org whose document differs from the stored one counts as changed.
- A write is refused (``StateError``) if the lineage differs, if its serial is ahead of the stored one
  (the workspace was reset), or if any changed org was written by someone else after this state was
  read (the org's serial is greater than ``state.serial``). Orgs changed by others are not a conflict:
  two runners on disjoint orgs both write, whatever their serials.
- Every write bumps the workspace serial by one; changed orgs record the new serial. The returned state
  has that serial, this writer's changed orgs, and every other org as currently stored, so a following
  write from it is again relative to fresh data. Without concurrent writers the serial is exactly
  ``state.serial + 1``.
- ``lock(operation, timeout)`` locks the whole workspace; ``lock_orgs(orgs, operation, timeout)`` only
  those orgs (see ``state.postgres.locks``). Locks serialise runners; the serial checks above still guard a
  runner that writes without them, or whose lock connection was lost.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pydantic import ValidationError

from reconcile.errors import StateError
from state.base import STATE_VERSION, HeldLock, LockInfo, OrgState, State, refuse_partial
from state.local import _summarise
from state.postgres.locks import PgLocks
from state.postgres.schema import Connection, connect, database_error, redact_dsn

Documents = dict[str, dict[str, Any]]
_SNAPSHOTS = 16


class PostgresStateBackend:
    """A ``StateBackend`` on PostgreSQL; see the module docstring for the exact semantics.

    ``dsn`` is a libpq connection string (never shown: messages use ``describe()``); ``workspace`` names
    the state within the database. Calls from several threads are serialised on one data connection;
    each lock holds a connection of its own. ``close()`` closes the data connection.
    """

    def __init__(self, dsn: str, workspace: str = "default") -> None:
        if not workspace:
            raise ValueError("the workspace name must not be empty")
        self.dsn = dsn
        self.workspace = workspace
        self.where = f"state workspace {workspace!r} in {redact_dsn(dsn)}"
        self._locks = PgLocks(dsn, workspace, self.where)
        self._guard = threading.RLock()
        self._connection: Connection | None = None
        self._snapshots: OrderedDict[tuple[str, int], Documents] = OrderedDict()

    @property
    def warnings(self) -> list[str]:
        """Stale lock holders this backend replaced, for the caller to show."""
        return self._locks.warnings

    def describe(self) -> str:
        """The connection string with its password redacted."""
        return redact_dsn(self.dsn)

    def close(self) -> None:
        with self._guard:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextlib.contextmanager
    def _transaction(self, what: str) -> Iterator[Connection]:
        with self._guard:
            if self._connection is None or self._connection.closed:
                self._connection = connect(self.dsn, autocommit=False)
            connection = self._connection
            try:
                with connection.transaction():
                    yield connection
            except psycopg.Error as exc:
                if connection.broken:
                    self._connection = None
                raise database_error(f"could not {what} {self.where}", exc) from None

    # -- reading -------------------------------------------------------------------------------------

    def read(self) -> State:
        """The stored state (registering the workspace if it does not exist yet)."""
        with self._transaction("read") as connection:
            rows = self._select_all(connection)
            if not rows:
                connection.execute(
                    "INSERT INTO reconcile_workspace (workspace, lineage, serial, version) VALUES (%s, %s, 0, %s)"
                    " ON CONFLICT (workspace) DO NOTHING",
                    (self.workspace, State().lineage, STATE_VERSION),
                )
                rows = self._select_all(connection)
        lineage, serial, version = rows[0][0], int(rows[0][1]), int(rows[0][2])
        self._check_version(version)
        documents = {row[3]: row[4] for row in rows if row[3] is not None}
        state = self._state(lineage, serial, documents)
        self._remember(lineage, serial, documents)
        return state

    def _select_all(self, connection: Connection) -> list[tuple[Any, ...]]:
        return connection.execute(
            "SELECT w.lineage, w.serial, w.version, o.org, o.document FROM reconcile_workspace w"
            " LEFT JOIN reconcile_org_state o ON o.workspace = w.workspace WHERE w.workspace = %s ORDER BY o.org",
            (self.workspace,),
        ).fetchall()

    def _check_version(self, version: int) -> None:
        if version > STATE_VERSION:
            raise StateError(
                f"{self.where} has version {version}, newer than this reconcile understands "
                f"(up to {STATE_VERSION}): upgrade reconcile; the state was left untouched"
            )

    def _state(self, lineage: str, serial: int, documents: Documents) -> State:
        orgs: dict[str, OrgState] = {}
        for org, document in documents.items():
            try:
                orgs[org] = OrgState.model_validate(document)
            except ValidationError as exc:
                raise StateError(
                    f"{self.where} holds an invalid document for org {org}: {_summarise(exc)}; it was left untouched"
                ) from exc
        return State(version=STATE_VERSION, lineage=lineage, serial=serial, orgs=orgs)

    def _remember(self, lineage: str, serial: int, documents: Documents) -> None:
        with self._guard:
            self._snapshots[(lineage, serial)] = documents
            self._snapshots.move_to_end((lineage, serial))
            while len(self._snapshots) > _SNAPSHOTS:
                self._snapshots.popitem(last=False)

    # -- writing -------------------------------------------------------------------------------------

    def write(self, state: State, changed: Collection[str] | None = None) -> State:
        """Persist the orgs ``state`` changed, in one transaction; return the state at the new serial.
        ``changed`` is not needed: the backend compares each org with the document it handed out."""
        refuse_partial(state)
        mine = {org: value.model_dump(mode="json") for org, value in state.orgs.items()}
        with self._guard:
            base = self._snapshots.get((state.lineage, state.serial))
            with self._transaction("write") as connection:
                stored_serial = self._lock_workspace(connection, state)
                serials = self._org_serials(connection)
                current = self._current_documents(connection, serials, state.serial, base)
                changed = _changed(mine, base if base is not None else current)
                self._check_conflicts(state, stored_serial, serials, changed)
                serial = stored_serial + 1
                self._apply(connection, serial, mine, changed)
            for org in changed:
                if org in mine:
                    current[org] = mine[org]
                else:
                    current.pop(org, None)
            self._remember(state.lineage, serial, current)
        orgs = {
            org: state.orgs[org].model_copy(deep=True) if org in changed else OrgState.model_validate(document)
            for org, document in sorted(current.items())
        }
        return State(version=STATE_VERSION, lineage=state.lineage, serial=serial, orgs=orgs)

    def _lock_workspace(self, connection: Connection, state: State) -> int:
        """Lock the workspace row; check version, lineage and serial; return the stored serial."""
        select = "SELECT lineage, serial, version FROM reconcile_workspace WHERE workspace = %s FOR UPDATE"
        row = connection.execute(select, (self.workspace,)).fetchone()
        if row is None:
            if state.serial != 0:
                raise StateError(
                    f"{self.where} no longer exists but this run read serial {state.serial}: refusing to start over"
                )
            connection.execute(
                "INSERT INTO reconcile_workspace (workspace, lineage, serial, version) VALUES (%s, %s, 0, %s)"
                " ON CONFLICT (workspace) DO NOTHING",
                (self.workspace, state.lineage, STATE_VERSION),
            )
            row = connection.execute(select, (self.workspace,)).fetchone()
            assert row is not None
        lineage, serial, version = row[0], int(row[1]), int(row[2])
        self._check_version(version)
        if lineage != state.lineage:
            self._adopt_or_refuse(connection, lineage, serial, state)
        if state.serial > serial:
            raise StateError(
                f"{self.where} is at serial {serial} but this run read serial {state.serial}: the state "
                "was reset or replaced; refusing to overwrite"
            )
        return serial

    def _adopt_or_refuse(self, connection: Connection, lineage: str, serial: int, state: State) -> None:
        untouched = serial == 0 and state.serial == 0 and not self._org_serials(connection)
        if not untouched:
            raise StateError(
                f"{self.where} belongs to lineage {lineage}, this run has {state.lineage}: refusing to overwrite"
            )
        connection.execute(
            "UPDATE reconcile_workspace SET lineage = %s WHERE workspace = %s", (state.lineage, self.workspace)
        )

    def _org_serials(self, connection: Connection) -> dict[str, int]:
        rows = connection.execute(
            "SELECT org, serial FROM reconcile_org_state WHERE workspace = %s", (self.workspace,)
        ).fetchall()
        return {row[0]: int(row[1]) for row in rows}

    def _current_documents(
        self, connection: Connection, serials: dict[str, int], read_serial: int, base: Documents | None
    ) -> Documents:
        """Every stored org's document: from the snapshot ``base`` where the org was not written since
        ``read_serial``, from the database otherwise (so only what others changed is fetched)."""
        known = base if base is not None else {}
        fetch = sorted(org for org, serial in serials.items() if serial > read_serial or org not in known)
        documents = {org: known[org] for org in serials if org not in fetch}
        if fetch:
            rows = connection.execute(
                "SELECT org, document FROM reconcile_org_state WHERE workspace = %s AND org = ANY(%s)",
                (self.workspace, fetch),
            ).fetchall()
            documents.update({row[0]: row[1] for row in rows})
        return documents

    def _check_conflicts(
        self, state: State, stored_serial: int, serials: dict[str, int], changed: Sequence[str]
    ) -> None:
        moved = sorted(org for org in changed if serials.get(org, 0) > state.serial)
        if moved:
            raise StateError(
                f"{self.where} is at serial {stored_serial} but this run read serial {state.serial}, and "
                f"{_orgs(moved)} changed in between: someone wrote it in between; run again to start from the "
                "current state"
            )

    def _apply(self, connection: Connection, serial: int, mine: Documents, changed: Sequence[str]) -> None:
        connection.execute(
            "UPDATE reconcile_workspace SET serial = %s, updated_at = now() WHERE workspace = %s",
            (serial, self.workspace),
        )
        for org in changed:
            if org in mine:
                connection.execute(
                    "INSERT INTO reconcile_org_state (workspace, org, serial, document) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (workspace, org) DO UPDATE SET serial = excluded.serial,"
                    " document = excluded.document, updated_at = now()",
                    (self.workspace, org, serial, Jsonb(mine[org])),
                )
            else:
                connection.execute(
                    "DELETE FROM reconcile_org_state WHERE workspace = %s AND org = %s", (self.workspace, org)
                )

    # -- locking -------------------------------------------------------------------------------------

    def lock(self, operation: str, timeout: float = 0.0) -> contextlib.AbstractContextManager[HeldLock]:
        """Lock the whole workspace (excludes every org lock); wait up to ``timeout`` seconds."""
        return self._locks.hold(None, operation, timeout)

    def lock_orgs(
        self, orgs: Sequence[str], operation: str, timeout: float = 0.0
    ) -> contextlib.AbstractContextManager[HeldLock]:
        """Lock only ``orgs``: runners on disjoint orgs proceed together; one sharing an org waits up
        to ``timeout`` seconds, then gets ``StateLockError`` naming the holder."""
        return self._locks.hold(list(orgs), operation, timeout)

    def lock_info(self) -> LockInfo | None:
        """The whole-workspace lock record if any, else the oldest org lock record (live or stale)."""
        infos = self._locks.infos()
        return infos[0][1] if infos else None

    def lock_infos(self) -> dict[str, LockInfo]:
        """Every lock record by scope: an org name, or ``*`` for the whole workspace."""
        return dict(self._locks.infos())

    def is_stale(self, info: LockInfo) -> bool:
        """True if the holder of ``info`` is gone (its connection no longer holds the advisory lock)."""
        return self._locks.is_stale(info.id)

    def unlock(self, lock_id: str) -> None:
        """Clear the lock records ``lock_id`` left by a dead holder; never breaks a live lock."""
        self._locks.unlock(lock_id)


def _changed(mine: Documents, base: Documents) -> list[str]:
    return sorted(org for org in set(mine) | set(base) if mine.get(org) != base.get(org))


def _orgs(names: Sequence[str]) -> str:
    return ("org " if len(names) == 1 else "orgs ") + ", ".join(names)
