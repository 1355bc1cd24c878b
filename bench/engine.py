"""Scenario (c): the engine alone, on an in-memory org, at growing sizes.

For ``n`` resources (80% permission set grants, 15% layout assignments, 5% picklists of 10 declared
values over 8 live ones) it measures the process CPU time of three engine steps on one org:

- ``plan``: ``build_plan`` (reads from memory, ``plan_org``) from nothing: every grant is a create, every
  layout a repoint, every picklist an update;
- ``apply``: ``apply_plan`` of that plan into the in-memory org, state recorded after every batch;
- ``replan``: ``build_plan`` again, now in sync (state entries read, nothing to change).

``growth`` compares two sizes: the measured CPU ratio against what ``n`` and ``n log n`` predict.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.memory import MemoryOrg
from reconcile.config.desired import DesiredOrg
from reconcile.executor import apply_plan
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Address, Resource
from reconcile.planner import build_plan
from state.base import State
from state.memory import MemoryStateBackend

ORG = "memory"
STEPS = ("plan", "apply", "replan")


@dataclass
class EngineRun:
    """CPU seconds per step for one size, and the number of changes planned and applied."""

    resources: int
    cpu: dict[str, float] = field(default_factory=dict)
    gc: dict[str, float] = field(default_factory=dict)
    changes: int = 0
    applied: int = 0
    replan_changes: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "resources": self.resources,
            "cpu_seconds": {k: round(v, 4) for k, v in self.cpu.items()},
            "gc_seconds": {k: round(v, 4) for k, v in self.gc.items()},
            "changes": self.changes,
            "applied": self.applied,
            "replan_changes": self.replan_changes,
            "skipped": self.skipped,
        }


def _values(count: int, extra: int = 0) -> tuple[PicklistValue, ...]:
    names = [f"Value_{i + 1:02d}" for i in range(count)] + [f"New_{i + 1:02d}" for i in range(extra)]
    return tuple(PicklistValue(name=name) for name in names)


def workload(n: int) -> tuple[DesiredOrg, list[Resource]]:
    """The desired org of ``n`` resources and the live resources the in-memory org starts with."""
    picklists, layouts = max(1, n // 20), max(1, n * 3 // 20)
    grants = n - picklists - layouts
    desired: list[Resource] = []
    live: list[Resource] = []
    for i in range(picklists):
        target = f"Obj_{i // 10:05d}__c.Pick_{i % 10:02d}__c"
        desired.append(Picklist(target=target, values=_values(8, extra=2)))
        live.append(Picklist(target=target, values=_values(8), ids={"field": f"00N{i:015d}"}))
    for i in range(layouts):
        profile, obj = f"Profile {i // 40:05d}", f"Obj_{i % 40 // 2:05d}__c"
        record_type = "Enterprise" if i % 2 else ""
        desired.append(LayoutAssignment(profile=profile, object=obj, record_type=record_type, layout="Alt Layout"))
        live.append(LayoutAssignment(profile=profile, object=obj, record_type=record_type, layout="Layout"))
    for i in range(grants):
        desired.append(
            PermissionSetGrant(permission_set=f"PS_{i % 5:02d}", username=f"user{i // 5:07d}@bench.example.com")
        )
    resources: dict[Address, Resource] = {r.address: r for r in desired}
    return DesiredOrg(org=ORG, resources=resources), live


class GcClock:
    """Process CPU seconds spent in the cyclic garbage collector while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


def _cpu(step: Callable[[], Any]) -> tuple[float, float, Any]:
    """(process CPU seconds, of which garbage collection, result) of ``step()``."""
    gc.collect()
    clock = GcClock()
    gc.callbacks.append(clock)
    started = time.process_time()
    try:
        result = step()
    finally:
        gc.callbacks.remove(clock)
    return time.process_time() - started, clock.seconds, result


def run_size(n: int, *, apply_limit: int | None = None) -> EngineRun:
    """Plan, apply and re-plan ``n`` resources; ``apply_limit`` skips apply and replan above that size."""
    desired, live = workload(n)
    org = MemoryOrg(live)
    backend = MemoryStateBackend(copies=False)
    run = EngineRun(resources=n)

    def plan() -> Any:
        return build_plan(
            config_digest="bench", desired={ORG: desired}, state=backend.read(), providers={ORG: org}, parallelism=1
        )

    run.cpu["plan"], run.gc["plan"], first = _cpu(plan)
    run.changes = len(first.orgs[0].changes)
    if apply_limit is not None and n > apply_limit:
        reason = f"above --engine-apply-limit {apply_limit}"
        run.skipped = {"apply": reason, "replan": reason}
        return run
    run.cpu["apply"], run.gc["apply"], report = _cpu(
        lambda: apply_plan(first, providers={ORG: org}, backend=backend, state=State(), parallelism=1)
    )
    run.applied = report.orgs[0].applied
    run.cpu["replan"], run.gc["replan"], again = _cpu(plan)
    run.replan_changes = len(again.orgs[0].changes)
    return run


def growth(small: EngineRun, large: EngineRun, step: str) -> dict[str, float] | None:
    """Measured CPU ratio of ``step`` between two sizes (with and without garbage collection time), and the
    ratios n, n log n and n² predict."""
    if step not in small.cpu or step not in large.cpu or small.cpu[step] <= 0:
        return None
    a, b = small.resources, large.resources
    small_net = max(small.cpu[step] - small.gc[step], 1e-9)
    return {
        "measured": large.cpu[step] / small.cpu[step],
        "measured_without_gc": (large.cpu[step] - large.gc[step]) / small_net,
        "linear": b / a,
        "n_log_n": (b * math.log(b)) / (a * math.log(a)),
        "quadratic": (b / a) ** 2,
    }
