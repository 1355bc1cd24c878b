"""An in-memory test double: a ``Provider`` that is a small org (state in memory is ``state.memory``).

``FakeProvider`` keeps live resources by address and behaves as the provider contract says: ``read``
returns only existing keys (grant wildcards ``X/*`` return every assignment of ``X``), picklists are
updated (never created or deleted as a whole) by writing ``after``'s value list, grants are created,
updated and revoked, layout assignments created or repointed, and anonymous Apex runs with a configurable
outcome. ``fail`` injects per-address failures; ``raise_on_apply`` makes the whole org unusable.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from providers.base import ApexResult, ApiUsage, OrgIdentity
from reconcile import kinds
from reconcile.errors import Problem, ProviderError
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist
from reconcile.model import Action, Address, Change, ChangeResult, Kind, Resource

_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):015d}"


class FakeProvider:
    """An in-memory org implementing ``providers.base.Provider``; counts calls per method in ``calls``."""

    def __init__(
        self,
        resources: Iterable[Resource] = (),
        *,
        org_id: str = "00D000000000001AAA",
        name: str = "Fake Org",
        is_sandbox: bool = True,
        apex_outcome: ApexResult | None = None,
        fail: dict[Address, str] | None = None,
        raise_on_apply: ProviderError | None = None,
        supports: frozenset[Kind] | None = None,
    ) -> None:
        self.resources: dict[Address, Resource] = {r.address: r for r in resources}
        self.org_id = org_id
        self.name = name
        self.is_sandbox = is_sandbox
        self.apex_outcome = apex_outcome or ApexResult(compiled=True, success=True)
        self.fail = dict(fail or {})
        self.raise_on_apply = raise_on_apply
        self.supports = supports if supports is not None else frozenset(kinds.names())
        self.usage = ApiUsage(limit_used=0, limit_max=15000)
        self.calls: Counter[str] = Counter()
        self.batches: list[tuple[Kind, list[Address]]] = []
        self.scripts: list[str] = []
        self.closed = False
        self._lock = threading.Lock()

    def _count(self, method: str) -> None:
        with self._lock:
            self.calls[method] += 1
            self.usage.count(method)
            self.usage.limit_used = (self.usage.limit_used or 0) + 1

    def identity(self) -> OrgIdentity:
        self._count("identity")
        return OrgIdentity(self.org_id, self.name, self.is_sandbox, "62.0", "https://fake.my.salesforce.com")

    def read(self, kind: Kind, keys: Collection[str]) -> dict[Address, Resource]:
        self._count("read")
        found: dict[Address, Resource] = {}
        for key in keys:
            if kind == "permission_set_grant" and key.endswith("/*"):
                found.update(self._assignments_of(key[:-2]))
            elif (address := Address(kind, key)) in self.resources:
                found[address] = self.resources[address]
        return found

    def _assignments_of(self, assignable: str) -> dict[Address, Resource]:
        return {
            address: grant
            for address, grant in self.resources.items()
            if isinstance(grant, PermissionSetGrant) and grant.assignable == assignable
        }

    def preflight(self, kind: Kind, desired: Sequence[Resource]) -> list[Problem]:
        self._count("preflight")
        if kind != "picklist":
            return []
        return [
            Problem("no such picklist in the org", address=str(r.address))
            for r in desired
            if r.address not in self.resources
        ]

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]:
        self._count("apply")
        self.batches.append((kind, [change.address for change in changes]))
        if self.raise_on_apply is not None:
            raise self.raise_on_apply
        return [self._apply_one(change) for change in changes]

    def _apply_one(self, change: Change) -> ChangeResult:
        address = change.address
        if address in self.fail:
            return ChangeResult(address=address, ok=False, message=self.fail[address], code="FAKE_FAILURE")
        if change.action is Action.FORGET:
            return ChangeResult(address=address, ok=True)
        if change.action is Action.DELETE and isinstance(change.before, PermissionSetGrant):
            self.resources.pop(address, None)
            return ChangeResult(address=address, ok=True)
        live = self.resources.get(address)
        after = change.after
        if isinstance(after, Picklist):
            return self._write_picklist(address, live, after)
        if isinstance(after, LayoutAssignment | PermissionSetGrant) and change.action in (
            Action.CREATE,
            Action.UPDATE,
        ):
            return self._store(address, after, live)
        return ChangeResult(address=address, ok=False, message=f"cannot {change.action.value} {address.kind}")

    def _write_picklist(self, address: Address, live: Resource | None, after: Picklist) -> ChangeResult:
        if not isinstance(live, Picklist):
            return ChangeResult(address=address, ok=False, message="no such picklist", code="NOT_FOUND")
        stored = live.model_copy(update={"values": after.values, "sorted": after.sorted})
        self.resources[address] = stored
        return ChangeResult(address=address, ok=True, resource=stored)

    def _store(
        self, address: Address, after: LayoutAssignment | PermissionSetGrant, live: Resource | None
    ) -> ChangeResult:
        prefix = "0Pa" if address.kind == "permission_set_grant" else "00h"
        ids = live.ids if live is not None else {"Id": _new_id(prefix)}
        stored = after.model_copy(update={"ids": ids})
        self.resources[address] = stored
        return ChangeResult(address=address, ok=True, ids=ids, resource=stored)

    def run_apex(self, script: str) -> ApexResult:
        self._count("run_apex")
        self.scripts.append(script)
        return self.apex_outcome

    def close(self) -> None:
        self.closed = True
