"""``check``: an assertion about an org (``[[check]]``, see ``reconcile/checks/entry.py``).

A check changes nothing and declares no resource: ``expand`` returns none, so the planner, the executor,
drift, diff and import never see one. It is registered as a kind so that its table is loaded, validated,
targeted (``orgs``/``tags``), documented and given a JSON Schema like every entry, and so that
``check:NAME`` reads as an address in ``after``. ``reconcile/checks/`` evaluates checks.
"""

from __future__ import annotations

from typing import Literal

from reconcile.checks.entry import CheckEntry
from reconcile.kinds.base import Expansion, ResourceKind
from reconcile.model import Address, Resource


class Check(Resource):
    """A check by name (never planned: it only gives ``check:NAME`` a resource model)."""

    kind: Literal["check"] = "check"
    name: str

    @property
    def key(self) -> str:
        return self.name


class CheckKind(ResourceKind[CheckEntry, Check]):
    name = "check"
    entry = CheckEntry
    resource = Check
    read_from_org = False
    batched = False
    noun = "checks"

    def expand(self, entry: CheckEntry, org: Expansion) -> list[Check]:
        return []

    def names(self, entry: CheckEntry) -> list[Address]:
        return [Address(self.name, entry.name)]
