"""Scenarios (a) and (b): plan and apply through the real engine and provider against emulated orgs.

A step is what one ``reconcile`` command does: open the workspace (load the config, connect the orgs),
plan, and for ``apply`` steps apply the plan and write state. Each step gets fresh providers, as each
command run does, so nothing learned by an earlier step is reused.

Scenario (a), on one org and then (b) on ``--orgs`` orgs at once, runs three steps:

1. ``apply from nothing``: every grant, picklist value and layout assignment still to do;
2. ``plan in sync``: right after, a plan that finds nothing to change (the cost of checking);
3. ``apply 5% drift``: after 5% of each kind was changed by hand in the emulator's store.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.fleet import Drift, Fleet
from bench.seeding import Size
from reconcile.executor import apply_plan
from reconcile.workspace import Workspace
from state.base import LockInfo, State, StateBackend

T = TypeVar("T")

DEFAULT_PARALLELISM = 16  # the CLI's default (reconcile/cli/options.py)


class TimedBackend:
    """Delegates to a ``StateBackend`` and adds up the wall seconds its ``read`` and ``write`` take."""

    def __init__(self, inner: StateBackend) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.writes = 0
        self._lock = threading.Lock()

    def _timed(self, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        finally:
            with self._lock:
                self.seconds += time.perf_counter() - started

    def read(self) -> State:
        return self._timed(self.inner.read)

    def write(self, state: State, changed: Collection[str] | None = None) -> State:
        self.writes += 1
        return self._timed(lambda: self.inner.write(state, changed))

    def lock(self, operation: str, timeout: float = 0.0) -> AbstractContextManager[LockInfo]:
        return self.inner.lock(operation, timeout)

    def unlock(self, lock_id: str) -> None:
        self.inner.unlock(lock_id)

    def lock_info(self) -> LockInfo | None:
        return self.inner.lock_info()

    def describe(self) -> str:
        return self.inner.describe()


@dataclass
class Step:
    """One command's measurements. Calls are per org (every org of a step makes the same calls)."""

    name: str
    orgs: int
    changes: int = 0
    applied: int = 0
    failed: int = 0
    plan_calls: Counter[str] = field(default_factory=Counter)
    apply_calls: Counter[str] = field(default_factory=Counter)
    emulator_calls: Counter[str] = field(default_factory=Counter)
    plan_seconds: float = 0.0
    apply_seconds: float = 0.0
    process_cpu: float = 0.0
    emulator_cpu: float = 0.0
    state_seconds: float = 0.0
    state_writes: int = 0
    uniform: bool = True
    errors: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.plan_seconds + self.apply_seconds

    @property
    def calls(self) -> Counter[str]:
        return self.plan_calls + self.apply_calls

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "orgs": self.orgs,
            "changes_per_org": self.changes,
            "applied_per_org": self.applied,
            "failed_per_org": self.failed,
            "calls_per_org": {
                "plan": dict(sorted(self.plan_calls.items())),
                "apply": dict(sorted(self.apply_calls.items())),
                "total": sum(self.calls.values()),
                "emulator_counted": dict(sorted(self.emulator_calls.items())),
            },
            "same_calls_in_every_org": self.uniform,
            "wall_seconds": {"plan": round(self.plan_seconds, 3), "apply": round(self.apply_seconds, 3)},
            "process_cpu_seconds": round(self.process_cpu, 3),
            "emulator_cpu_seconds": round(self.emulator_cpu, 3),
            "state_backend_seconds": round(self.state_seconds, 3),
            "state_writes": self.state_writes,
            "errors": self.errors,
        }


def _per_org(counters: dict[str, Counter[str]], step: Step) -> Counter[str]:
    """The calls of one org; records whether every org made the same calls."""
    values = list(counters.values())
    step.uniform = step.uniform and all(v == values[0] for v in values)
    return values[0] if values else Counter()


def run_step(fleet: Fleet, config: Path, name: str, *, apply: bool, parallelism: int) -> Step:
    """Plan (and apply) every org of ``fleet`` as one command would, measuring calls, time and CPU."""
    step = Step(name=name, orgs=fleet.count)
    fleet.reset()
    cpu_started, emulator_started = time.process_time(), fleet.emulator_cpu.seconds
    started = time.perf_counter()
    released: dict[str, Counter[str]] = {}  # each org's calls, seen as its provider is released
    with Workspace.open(config) as workspace:
        workspace.on_release = lambda org, provider: released.__setitem__(org, Counter(provider.usage.by_endpoint))
        plan = workspace.plan(fleet.names, parallelism=parallelism, release=not apply)
        step.plan_seconds = time.perf_counter() - started
        if apply:
            providers = workspace.connect(fleet.names, parallelism)
            planned = {org: Counter(providers[org].usage.by_endpoint) for org in fleet.names}
        else:
            planned = dict(released)
        step.plan_calls = _per_org(planned, step)
        step.changes = len(plan.orgs[0].changes)
        step.errors = [f"{o.org}: {e}" for o in plan.orgs for e in o.errors]
        if apply and plan.has_changes:
            applied_at = time.perf_counter()
            backend = TimedBackend(workspace.backend)
            with workspace.releasing() as release:  # as `reconcile apply` does, on each org's org_done
                report = apply_plan(
                    plan,
                    providers=providers,
                    backend=backend,
                    state=backend.read(),
                    parallelism=parallelism,
                    on_event=lambda event: release(event.org) if event.type == "org_done" else None,
                )
            step.apply_seconds = time.perf_counter() - applied_at
            step.state_seconds, step.state_writes = backend.seconds, backend.writes
            after = {org: released[org] - planned[org] for org in fleet.names}
            step.apply_calls = _per_org(after, step)
            step.applied = report.orgs[0].applied
            step.failed = report.orgs[0].failed
            step.errors += [f"{o.org}: {o.error}" for o in report.orgs if o.error]
    step.process_cpu = time.process_time() - cpu_started
    step.emulator_cpu = fleet.emulator_cpu.seconds - emulator_started
    step.emulator_calls = _per_org(fleet.requests(), step)
    return step


@dataclass
class ScenarioResult:
    """The steps of scenario (a) on ``orgs`` orgs, the drift applied, and the whole run's CPU."""

    orgs: int
    size: Size
    latency_ms: int
    parallelism: int
    steps: list[Step]
    drift: Drift
    process_cpu: float
    emulator_cpu: float

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def as_json(self) -> dict[str, Any]:
        return {
            "orgs": self.orgs,
            "size": {"grants": self.size.grants, "fields": self.size.fields, "layouts": self.size.layouts},
            "latency_ms": self.latency_ms,
            "parallelism": self.parallelism,
            "drift": vars(self.drift),
            "process_cpu_seconds": round(self.process_cpu, 3),
            "emulator_cpu_seconds": round(self.emulator_cpu, 3),
            "steps": [s.as_json() for s in self.steps],
        }


FROM_NOTHING = "apply from nothing"
IN_SYNC = "plan in sync"
DRIFTED = "apply 5% drift"


def run_scenario(size: Size, orgs: int, latency_ms: int, workdir: Path, parallelism: int) -> ScenarioResult:
    """Scenario (a) on ``orgs`` emulated orgs (see the module docstring)."""
    fleet = Fleet(size, orgs, latency_ms, workdir)
    cpu_started = time.process_time()
    try:
        config = fleet.start()
        steps = [run_step(fleet, config, FROM_NOTHING, apply=True, parallelism=parallelism)]
        steps.append(run_step(fleet, config, IN_SYNC, apply=False, parallelism=parallelism))
        drift = fleet.drift()
        steps.append(run_step(fleet, config, DRIFTED, apply=True, parallelism=parallelism))
    finally:
        fleet.stop()
    return ScenarioResult(
        orgs=orgs,
        size=size,
        latency_ms=latency_ms,
        parallelism=parallelism,
        steps=steps,
        drift=drift,
        process_cpu=time.process_time() - cpu_started,
        emulator_cpu=fleet.emulator_cpu.seconds,
    )
