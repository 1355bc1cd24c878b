"""API call counts of plan and apply, per endpoint, on a small scenario (a) org (no latency).

The org: 400 grants (80 users x 5 permission sets), 20 picklist fields on 2 objects, 40 layout
assignments (10 profiles x 2 objects x master + Enterprise), built by the benchmark's seeding. The
counts are exact: a change in them is a change in how many calls users pay for, and must be deliberate.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import bounds
from bench.fleet import Drift, Fleet
from bench.scenarios import DRIFTED, FROM_NOTHING, IN_SYNC, Step, run_step
from bench.seeding import Size

SIZE = Size(grants=400, fields=20, layouts=40)

#: identity, profiles, users, permission sets, assignments; profiles and layouts listed once;
#: 2 readMetadata of CustomField (10 fields a call) and 1 of Profile (10 profiles).
PLAN = Counter({"GET query": 5, "POST Soap/m listMetadata": 1, "POST Soap/m readMetadata": 3})
#: A plan that adds picklist values also reads the objects' record types (1 query) and what they offer
#: (1 readMetadata of RecordType, 10 a call) to warn about values no record type offers.
PLAN_ADDING_VALUES = PLAN + Counter({"GET query": 1, "POST Soap/m readMetadata": 1})
#: 400 creates in 2 collection calls; 20 fields in 2 updateMetadata calls, 10 profiles in 1.
APPLY_FROM_NOTHING = Counter({"POST composite/sobjects": 2, "POST Soap/m updateMetadata": 3})
#: 20 revoked grants re-created in 1 call; 1 field and 2 profiles in 1 updateMetadata call each.
APPLY_DRIFT = Counter({"POST composite/sobjects": 1, "POST Soap/m updateMetadata": 2})


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[Fleet, Path]]:
    org = Fleet(SIZE, 1, 0, tmp_path)
    config = org.start()
    yield org, config
    org.stop()
    assert not any(name.startswith("BENCH_TOKEN_") for name in os.environ)


def _assert_counts(step: Step, plan: Counter[str], apply: Counter[str]) -> None:
    assert not step.errors
    assert step.plan_calls == plan
    assert step.apply_calls == apply
    assert step.emulator_calls == plan + apply  # what the provider counted is what the org served


def test_plan_apply_replan_drift_counts(fleet: tuple[Fleet, Path]) -> None:
    org, config = fleet
    first = run_step(org, config, FROM_NOTHING, apply=True, parallelism=1)
    assert (first.changes, first.applied, first.failed) == (460, 460, 0)
    _assert_counts(first, PLAN_ADDING_VALUES, APPLY_FROM_NOTHING)

    again = run_step(org, config, IN_SYNC, apply=False, parallelism=1)
    assert again.changes == 0
    _assert_counts(again, PLAN, Counter())

    drift = org.drift()
    assert drift == Drift(grants=20, fields=1, layouts=2, profiles=2)
    fixed = run_step(org, config, DRIFTED, apply=True, parallelism=1)
    assert (fixed.changes, fixed.applied, fixed.failed) == (23, 23, 0)
    _assert_counts(fixed, PLAN_ADDING_VALUES, APPLY_DRIFT)

    settled = run_step(org, config, IN_SYNC, apply=False, parallelism=1)
    assert settled.changes == 0
    _assert_counts(settled, PLAN, Counter())


def test_counts_are_within_the_lower_bound_ratio() -> None:
    workloads = bounds.scenario_workloads(SIZE, Drift(grants=20, fields=1, layouts=2, profiles=2))
    ours = {
        FROM_NOTHING: PLAN + APPLY_FROM_NOTHING,
        IN_SYNC: PLAN,
        DRIFTED: PLAN + APPLY_DRIFT,
    }
    for name, (work, applies) in workloads.items():
        assert sum(ours[name].values()) <= 1.2 * bounds.step_calls(work, apply=applies), name


def test_lower_bound_from_sizes() -> None:
    work = bounds.Workload(
        users=400,
        permission_sets=5,
        live_grants=0,
        fields=100,
        profiles=10,
        grants_created=2000,
        fields_written=100,
        profiles_written=10,
    )
    assert bounds.plan_calls(work) == {
        "query Organization": 1,
        "query User": 1,
        "query PermissionSet": 1,
        "query PermissionSetAssignment": 1,
        "query Profile": 1,
        "readMetadata CustomField": 10,
        "readMetadata Profile": 1,
    }
    assert bounds.apply_calls(work) == {
        "composite/sobjects create": 10,
        "updateMetadata CustomField": 10,
        "updateMetadata Profile": 1,
    }
    assert bounds.step_calls(work, apply=True) == 37
    assert bounds.step_calls(work, apply=False) == 16


def test_lower_bound_pages_and_batches() -> None:
    assert [bounds.pages(n, 2000) for n in (0, 1, 2000, 2001, 4500)] == [1, 1, 1, 2, 3]
    assert [bounds.batches(n, 200) for n in (0, 1, 200, 201)] == [0, 1, 1, 2]
    big = bounds.Workload(
        users=4001,
        permission_sets=3,
        live_grants=6000,
        fields=11,
        profiles=25,
        grants_created=401,
        grants_revoked=1,
        fields_written=11,
        profiles_written=21,
    )
    assert bounds.plan_calls(big)["query User"] == 3
    assert bounds.plan_calls(big)["query PermissionSetAssignment"] == 3
    assert bounds.plan_calls(big)["readMetadata Profile"] == 3
    assert bounds.apply_calls(big) == {
        "composite/sobjects create": 3,
        "composite/sobjects delete": 1,
        "updateMetadata CustomField": 2,
        "updateMetadata Profile": 3,
    }


def test_wall_lower_bound_counts_waves_of_orgs() -> None:
    assert bounds.wall_seconds(37, 50) == pytest.approx(1.85)
    assert bounds.wall_seconds(37, 50, orgs=25, parallelism=8) == pytest.approx(1.85 * 4)
    assert bounds.wall_seconds(37, 50, orgs=8, parallelism=8) == pytest.approx(1.85)
