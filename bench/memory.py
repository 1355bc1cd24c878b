"""An org in memory for the engine-only scenario: a ``Provider`` and a ``StateBackend`` doing no I/O.

``MemoryOrg`` keeps live resources by address and applies batches the way the provider contract says
(grants created, updated, revoked; layout assignments created or repointed; picklists written as the
change's full value list). ``MemoryBackend`` keeps the last state written without copying it. Both are
as cheap as they can be, so what a measurement shows is the engine's own work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from providers.base import ApexResult, ApiUsage, OrgIdentity
from reconcile.errors import Problem
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.model import Action, Address, Change, ChangeResult, Kind, Resource
from state.base import LockInfo, State


class MemoryOrg:
    """An in-memory org implementing ``providers.base.Provider``; ``usage`` counts calls per method."""

    supports = frozenset(Kind)

    def __init__(self, resources: Collection[Resource] = (), org_id: str = "00D000000000001AAA") -> None:
        self.resources: dict[Address, Resource] = {r.address: r for r in resources}
        self.org_id = org_id
        self.usage = ApiUsage()
        self._next_id = 0

    def identity(self) -> OrgIdentity:
        self.usage.count("identity")
        return OrgIdentity(self.org_id, "Memory Org", True, "62.0", "https://memory.invalid")

    def read(self, kind: Kind, keys: Collection[str]) -> dict[Address, Resource]:
        self.usage.count(f"read {kind.value}")
        found: dict[Address, Resource] = {}
        for key in keys:
            address = Address(kind, key)
            if address in self.resources:
                found[address] = self.resources[address]
        return found

    def preflight(self, kind: Kind, desired: Sequence[Resource]) -> list[Problem]:
        self.usage.count(f"preflight {kind.value}")
        return []

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]:
        self.usage.count(f"apply {kind.value}")
        return [self._apply_one(change) for change in changes]

    def _apply_one(self, change: Change) -> ChangeResult:
        address = change.address
        if change.action is Action.DELETE and isinstance(change.before, PermissionSetGrant):
            self.resources.pop(address, None)
            return ChangeResult(address=address, ok=True)
        after = change.after
        if after is None:
            return ChangeResult(address=address, ok=True)
        live = self.resources.get(address)
        if live is not None:
            stored = after.model_copy(update={"ids": live.ids})
        else:
            self._next_id += 1
            stored = after.model_copy(update={"ids": {"Id": f"0Pa{self._next_id:015d}"}})
        self.resources[address] = stored
        return ChangeResult(address=address, ok=True, ids=stored.ids)

    def run_apex(self, script: str) -> ApexResult:
        self.usage.count("run_apex")
        return ApexResult(compiled=True, success=True)

    def close(self) -> None:
        return None


class MemoryBackend:
    """A ``StateBackend`` holding the last state written (no copies, no files)."""

    def __init__(self) -> None:
        self.stored = State()
        self.writes = 0

    def read(self) -> State:
        return self.stored

    def write(self, state: State) -> State:
        self.writes += 1
        self.stored = state.model_copy(update={"serial": state.serial + 1})
        return self.stored

    @contextmanager
    def lock(self, operation: str, timeout: float = 0.0) -> Iterator[LockInfo]:
        yield LockInfo(id="1", operation=operation, holder="bench", pid=0, host="bench", created=datetime.now(UTC))

    def unlock(self, lock_id: str) -> None:
        return None

    def lock_info(self) -> LockInfo | None:
        return None

    def describe(self) -> str:
        return "memory"
