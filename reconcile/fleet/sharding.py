"""Splitting a fleet of orgs between runners: ``--shard K/N`` keeps the orgs of shard K out of N.

An org's shard depends on its name only (SHA-256 of the UTF-8 name, as a big-endian integer, modulo N,
plus one), so every runner computes the same split on any host, in any order, whatever other orgs the
configuration lists. The N shards of one org list are disjoint and together cover it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from reconcile.errors import ReconcileError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(shard: str) -> tuple[int, int]:
    """``"K/N"`` as ``(K, N)``; ``ReconcileError`` unless both are whole numbers with 1 ≤ K ≤ N."""
    match = _SHARD.match(shard)
    if match is None:
        raise ReconcileError(f"--shard {shard!r} must look like K/N (this runner's shard K of N), e.g. 2/4")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ReconcileError(f"--shard {shard!r}: the number of shards N must be at least 1")
    if not 1 <= index <= count:
        raise ReconcileError(f"--shard {shard!r}: the shard K must be between 1 and {count}")
    return index, count


def shard_of(org: str, count: int) -> int:
    """The shard (1 to ``count``) that ``org`` belongs to."""
    if count < 1:
        raise ValueError(f"the number of shards must be at least 1, got {count}")
    digest = hashlib.sha256(org.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % count + 1


def shard_orgs(orgs: Sequence[str], shard: str) -> list[str]:
    """The orgs of ``orgs`` in shard ``shard`` (``"K/N"``), in their given order."""
    index, count = parse_shard(shard)
    return [org for org in orgs if shard_of(org, count) == index]
