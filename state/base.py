"""What the tool remembers between runs, and the protocol every state backend implements.

State is versioned JSON::

    {version, lineage, serial, orgs: {name: {org_id, resources: {address: {kind, ids, attributes,
     dependencies, applied_at}}, apex_runs: {name: [{sha256, at, success}]},
     restore: {address: {kind, ids, attributes, ...}}}}}

Backend contract:

- ``read()`` returns the current state (an empty state with a fresh lineage if none exists yet). A file
  that is corrupt, from a newer version, or unreadable raises ``StateError`` and is never overwritten.
- ``write(state, changed=None)`` persists atomically and returns the state with ``serial`` bumped by one.
  ``changed``, when given, names every org that differs from the stored state ``state`` was read at (a
  backend may write only those; one that finds the changes itself may ignore it). It refuses
  (``StateError``) a state whose lineage differs from the stored one, or whose serial is not the stored
  serial (someone else wrote in between).
- ``lock(operation, timeout)`` is a context manager guarding every state-writing command; a second
  holder waits up to ``timeout`` seconds, then gets ``StateLockError`` naming the holder.
- ``unlock(lock_id)`` clears a lock whose holder died; ``lock_info()`` tells who holds it.
- Credentials and session ids never enter state.

Beside the protocol: the state models, ``LockInfo`` (who holds a lock) and ``HeldLock`` (the lock this
process holds), and the helpers every backend uses to make and describe lock records.
"""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from reconcile.errors import StateError

STATE_VERSION = 1


class StateEntry(BaseModel):
    """One managed resource: what we last applied and the ids Salesforce gave it."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    ids: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, Any] = Field(default_factory=dict)
    dependencies: list[str] = Field(default_factory=list)
    applied_at: datetime | None = None


class ApexRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str
    at: datetime
    success: bool


class OrgState(BaseModel):
    """One org: its id, the resources this tool manages, the apex run ledger, and ``restore``: what a
    script switched off while it ran and must be switched back (address -> the live resource as it was,
    as ``StateEntry``); an entry left there means the run was interrupted, and the next plan restores it."""

    model_config = ConfigDict(extra="forbid")

    org_id: str = ""
    resources: dict[str, StateEntry] = Field(default_factory=dict)
    apex_runs: dict[str, list[ApexRun]] = Field(default_factory=dict)
    restore: dict[str, StateEntry] = Field(default_factory=dict)


class State(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = STATE_VERSION
    lineage: str = Field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    orgs: dict[str, OrgState] = Field(default_factory=dict)
    #: The orgs a state read for some orgs only holds (``read_orgs``): such a state is never written.
    _only: frozenset[str] | None = PrivateAttr(default=None)

    def org(self, name: str) -> OrgState:
        """The org's state, created empty if absent (mutates self)."""
        return self.orgs.setdefault(name, OrgState())

    @property
    def partial(self) -> bool:
        """Whether this state was read for some orgs only (``read_orgs``)."""
        return self._only is not None


def refuse_partial(state: State) -> None:
    """Every backend's ``write`` calls this first: a state read for some orgs only (``read_orgs``) would
    drop the others."""
    if state.partial:
        raise StateError("refusing to write a state read for some orgs only: it would drop the others")


def read_orgs(backend: StateBackend, orgs: Collection[str]) -> State:
    """The stored state with the entries of ``orgs`` only (lineage and serial as stored), for reading:
    a backend that can read part of its state (``read_orgs``) reads no more; otherwise all is read and
    the rest left out. The result is ``partial``, and writing it is refused."""
    own = getattr(backend, "read_orgs", None)
    state: State = own(orgs) if own is not None else backend.read()
    wanted = frozenset(orgs)
    state.orgs = {name: org for name, org in state.orgs.items() if name in wanted}
    state._only = wanted
    return state


class LockInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    operation: str
    holder: str
    pid: int
    host: str
    created: datetime


class HeldLock(LockInfo):
    """The lock this process holds; ``replaced`` is the stale lock it took over, if any.

    Only the ``LockInfo`` fields are ever stored, so other readers parse a record as a plain ``LockInfo``.
    """

    replaced: LockInfo | None = None


def new_lock_info(operation: str) -> LockInfo:
    """A fresh lock record for ``operation`` held by this process, user and host, created now."""
    return LockInfo(
        id=str(uuid.uuid4()),
        operation=operation,
        holder=_os_user(),
        pid=os.getpid(),
        host=socket.gethostname(),
        created=datetime.now(UTC),
    )


def describe_holder(info: LockInfo) -> str:
    """Who holds a lock, as messages name it (user, pid, host, operation, since when, lock id)."""
    return (
        f"{info.holder} (pid {info.pid} on {info.host}, operation {info.operation!r}, "
        f"since {info.created.isoformat(timespec='seconds')}, lock id {info.id})"
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"


class StateBackend(Protocol):
    def read(self) -> State: ...

    def write(self, state: State, changed: Collection[str] | None = None) -> State: ...

    def lock(self, operation: str, timeout: float = 0.0) -> AbstractContextManager[LockInfo]: ...

    def unlock(self, lock_id: str) -> None: ...

    def lock_info(self) -> LockInfo | None: ...

    def describe(self) -> str:
        """Where the state lives, for messages (a path or a redacted DSN)."""
        ...


def iter_entries(state: State) -> Iterator[tuple[str, str, StateEntry]]:
    """(org, address, entry) for every managed resource, in a stable order."""
    for org in sorted(state.orgs):
        resources = state.orgs[org].resources
        for address in sorted(resources):
            yield org, address, resources[address]
