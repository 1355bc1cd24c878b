"""An org in memory for the engine-only scenario: a ``Provider`` doing no I/O.

``MemoryOrg`` keeps live resources by address and applies batches the way the provider contract says
(grants created, updated, revoked; layout assignments created or repointed; picklists written as the
change's full value list). It is as cheap as it can be, so what a measurement shows is the engine's own
work; the scenario keeps its state in ``state.memory.MemoryStateBackend(copies=False)`` for the same
reason.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from providers.base import ApexResult, ApiUsage, OrgIdentity
from reconcile import kinds
from reconcile.errors import Problem
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.model import Action, Address, Change, ChangeResult, Kind, Resource


class MemoryOrg:
    """An in-memory org implementing ``providers.base.Provider``; ``usage`` counts calls per method."""

    supports = frozenset(kinds.names())

    def __init__(self, resources: Collection[Resource] = (), org_id: str = "00D000000000001AAA") -> None:
        self.resources: dict[Address, Resource] = {r.address: r for r in resources}
        self.org_id = org_id
        self.usage = ApiUsage()
        self._next_id = 0

    def identity(self) -> OrgIdentity:
        self.usage.count("identity")
        return OrgIdentity(self.org_id, "Memory Org", True, "62.0", "https://memory.invalid")

    def read(self, kind: Kind, keys: Collection[str]) -> dict[Address, Resource]:
        self.usage.count(f"read {kind}")
        found: dict[Address, Resource] = {}
        for key in keys:
            address = Address(kind, key)
            if address in self.resources:
                found[address] = self.resources[address]
        return found

    def preflight(self, kind: Kind, desired: Sequence[Resource]) -> list[Problem]:
        self.usage.count(f"preflight {kind}")
        return []

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]:
        self.usage.count(f"apply {kind}")
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
