"""Warnings of an org's plan: what its changes leave undone, as the kinds see it.

``plan_warnings`` asks each kind with changes in the plan what it warns about them
(``ResourceKind.plan_warnings``), first reading from the org what the kind asks for
(``ResourceKind.warning_reads``; nothing, and no call, for most kinds). Warnings never stop an apply.
"""

from __future__ import annotations

from collections.abc import Mapping

from providers.base import Provider
from reconcile import kinds
from reconcile.config.desired import DesiredOrg
from reconcile.model import Address, Change, Kind, Resource


def plan_warnings(
    provider: Provider, desired: DesiredOrg, changes: list[Change], current: Mapping[Address, Resource]
) -> list[str]:
    """What each kind with changes warns about them (``ResourceKind.plan_warnings``), reading what it asks."""
    by_kind: dict[Kind, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.address.kind, []).append(change)
    found: list[str] = []
    for name, kind_changes in by_kind.items():
        kind = kinds.get(name)
        read = dict(current)
        for other, keys in sorted(kind.warning_reads(kind_changes).items()):
            if other in provider.supports and keys:
                read.update(provider.read(other, sorted(keys)))
        found += kind.plan_warnings(kind_changes, desired.resources, read)
    return found
