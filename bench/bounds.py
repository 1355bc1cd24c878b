"""Lower bounds a step of scenario (a) cannot beat, computed from the scenario's sizes alone.

API calls (per org). A plan must read, at the least, one query per kind of record and per page of
2,000 rows: the org's identity (Organization), the users named by the grants (User), the permission
sets (PermissionSet), the live assignments (PermissionSetAssignment) and the profiles (Profile, to map
names to Metadata API full names); and the Metadata API, 10 components a call, for every picklist field
(CustomField) and every profile holding layout assignments (Profile). An apply must write, at the least,
one sObject Collections call per 200 grants created or revoked and one Metadata API call per 10
picklist fields and per 10 profiles whose assignments change.

Wall time (per step). A provider talks to its org one call at a time, and each call waits for the
answers before it (ids, query locators), so one org's calls form a chain: the bound is the lower-bound
call count × the latency. Orgs run ``parallelism`` at a time, so ``orgs`` orgs need
``ceil(orgs / parallelism)`` chains one after the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from bench.fleet import Drift
from bench.scenarios import DRIFTED, FROM_NOTHING, IN_SYNC
from bench.seeding import Size

PAGE_ROWS = 2000
COLLECTION_RECORDS = 200
METADATA_COMPONENTS = 10


def pages(rows: int, per_page: int) -> int:
    """Calls needed for ``rows`` at ``per_page`` a call; a read costs one call even when empty."""
    return max(1, math.ceil(rows / per_page))


def batches(items: int, per_call: int) -> int:
    """Calls needed to write ``items`` at ``per_call`` a call (none when there is nothing to write)."""
    return math.ceil(items / per_call) if items > 0 else 0


@dataclass(frozen=True)
class Workload:
    """What one org's step reads and writes."""

    users: int
    permission_sets: int
    live_grants: int
    fields: int
    profiles: int
    grants_created: int = 0
    grants_revoked: int = 0
    fields_written: int = 0
    profiles_written: int = 0


def plan_calls(work: Workload) -> dict[str, int]:
    """The fewest calls a plan of ``work`` can make, by what they read."""
    return {
        "query Organization": 1,
        "query User": pages(work.users, PAGE_ROWS),
        "query PermissionSet": pages(work.permission_sets, PAGE_ROWS),
        "query PermissionSetAssignment": pages(work.live_grants, PAGE_ROWS),
        "query Profile": pages(work.profiles, PAGE_ROWS),
        "readMetadata CustomField": pages(work.fields, METADATA_COMPONENTS),
        "readMetadata Profile": pages(work.profiles, METADATA_COMPONENTS),
    }


def apply_calls(work: Workload) -> dict[str, int]:
    """The fewest calls an apply of ``work`` can make, by what they write."""
    calls = {
        "composite/sobjects create": batches(work.grants_created, COLLECTION_RECORDS),
        "composite/sobjects delete": batches(work.grants_revoked, COLLECTION_RECORDS),
        "updateMetadata CustomField": batches(work.fields_written, METADATA_COMPONENTS),
        "updateMetadata Profile": batches(work.profiles_written, METADATA_COMPONENTS),
    }
    return {name: count for name, count in calls.items() if count}


def step_calls(work: Workload, *, apply: bool) -> int:
    """Lower bound on the calls of a plan (and apply) step."""
    return sum(plan_calls(work).values()) + (sum(apply_calls(work).values()) if apply else 0)


def wall_seconds(calls_per_org: int, latency_ms: int, orgs: int = 1, parallelism: int = 8) -> float:
    """Lower bound on wall time: one org's chain of calls, once per wave of ``parallelism`` orgs."""
    return calls_per_org * latency_ms / 1000 * math.ceil(orgs / max(1, parallelism))


def scenario_workloads(size: Size, drift: Drift) -> dict[str, tuple[Workload, bool]]:
    """Each step of scenario (a) (by name) as a workload, and whether the step applies."""
    base = Workload(
        users=size.users,
        permission_sets=size.permission_sets,
        live_grants=size.grants,
        fields=size.fields,
        profiles=size.profiles,
    )
    return {
        FROM_NOTHING: (
            replace(
                base,
                live_grants=0,
                grants_created=size.grants,
                fields_written=size.fields,
                profiles_written=size.profiles,
            ),
            True,
        ),
        IN_SYNC: (base, False),
        DRIFTED: (
            replace(
                base,
                live_grants=size.grants - drift.grants,
                grants_created=drift.grants,
                fields_written=drift.fields,
                profiles_written=drift.profiles,
            ),
            True,
        ),
    }
