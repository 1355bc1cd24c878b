"""Per-org work spread over worker processes: orgs are independent, and one Python process uses one core.

``run_in_workers(config, orgs, task, workers=N)`` splits ``orgs`` (in their order) into at most ``N``
chunks of consecutive orgs, opens the workspace of ``config`` in each of ``N`` spawned processes (one that
expands only the orgs of its chunk: the caller has already loaded and checked the whole configuration) and
calls ``task(workspace, chunk)`` there, each process working on its chunk with its own threads
(``parallelism`` of them, as one process would). It returns the chunks' results in chunk order. ``task``
must be a module-level function (it is sent to the workers by name) and its result picklable. An
exception in a worker (``ReconcileError`` included) is raised again in the caller; per-org failures are
the task's business, as they are in one process (a plan records an org's errors on that org).

``plan_in_workers`` is ``Workspace.plan`` spread that way: the orgs' plans are joined into one ``Plan``
exactly as one process would have built it (orgs sorted, one Organization Id planned once, the state's
lineage and serial as read); a worker that read another configuration than its caller (the files changed
meanwhile) makes it a ``ConfigError``. Workers are used only when asked for (``use_workers``): each
spawned process starts an interpreter and imports the engine, which in the measured fleets
(docs/benchmarks.md) costs more than the second core gives back.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reconcile.errors import ConfigError, StateError

if TYPE_CHECKING:
    from reconcile.plan import Plan
    from reconcile.workspace import Workspace

R = TypeVar("R")


def use_workers(orgs: int, workers: int | None) -> int:
    """How many processes to spread ``orgs`` orgs over (1: stay in this process): ``workers`` (None: 1),
    at most one per org."""
    return max(1, min(workers or 1, orgs))


def chunks(orgs: Sequence[str], count: int) -> list[list[str]]:
    """``orgs`` in ``count`` runs of consecutive orgs whose sizes differ by at most one."""
    size, extra = divmod(len(orgs), count)
    result, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        result.append(list(orgs[start:end]))
        start = end
    return [chunk for chunk in result if chunk]


def _run_chunk(config: Path, task: Callable[[Workspace, list[str]], R], chunk: list[str]) -> R:
    from reconcile.workspace import Workspace

    with Workspace.open(config, orgs=chunk) as workspace:
        return task(workspace, chunk)


def run_in_workers(
    config: Path, orgs: Sequence[str], task: Callable[[Workspace, list[str]], R], *, workers: int
) -> list[R]:
    """``task(workspace, chunk)`` for each chunk of ``orgs`` in its own process; see the module docstring."""
    parts = chunks(orgs, max(1, workers))
    context = multiprocessing.get_context("spawn")  # no thread of this process is copied into a worker
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=context) as pool:
        futures = [pool.submit(_run_chunk, config, task, chunk) for chunk in parts]
        return [future.result() for future in futures]


class _PlanTask:
    """``Workspace.plan`` of one chunk, with the options of the command (picklable)."""

    def __init__(self, targets: Sequence[str], parallelism: int, allow_org_change: bool) -> None:
        self.targets = list(targets)
        self.parallelism = parallelism
        self.allow_org_change = allow_org_change

    def __call__(self, workspace: Workspace, chunk: list[str]) -> Plan:
        return workspace.plan(
            chunk,
            targets=self.targets,
            parallelism=self.parallelism,
            allow_org_change=self.allow_org_change,
            release=True,
        )


def plan_in_workers(
    config: Path,
    orgs: Sequence[str],
    *,
    workers: int,
    targets: Sequence[str] = (),
    parallelism: int = 8,
    allow_org_change: bool = False,
) -> Plan:
    """One plan of ``orgs``, planned by ``workers`` processes (see the module docstring)."""
    from reconcile.planner import one_org_once

    task = _PlanTask(targets, parallelism, allow_org_change)
    plans = run_in_workers(config, orgs, task, workers=workers)
    if len({plan.config_digest for plan in plans}) > 1:
        raise ConfigError("the configuration changed while the orgs were planned: run again")
    heads = {(plan.state_lineage, plan.state_serial) for plan in plans}
    if len(heads) > 1:
        raise StateError("the state was written by someone else while the orgs were planned: run again")
    joined = tuple(sorted((org for plan in plans for org in plan.orgs), key=lambda org: org.org))
    return plans[0].model_copy(update={"orgs": one_org_once(joined)})


def plan_selected(
    workspace: Workspace,
    config: Path,
    orgs: Sequence[str],
    *,
    workers: int | None,
    targets: Sequence[str] = (),
    parallelism: int = 8,
    allow_org_change: bool = False,
    replace: Sequence[str] = (),
) -> Plan:
    """``workspace.plan`` of ``orgs``, in this process or spread over worker processes (``use_workers``;
    ``targets`` and ``replace`` are resolved against every selected org at once, so a plan with either
    stays here). The total number of orgs worked on at once stays ``parallelism``. Each org's connection
    is released once it is planned (``Workspace.plan(release=True)``): these commands need none after."""
    count = use_workers(len(orgs), workers) if not targets and not replace else 1
    if count <= 1:
        return workspace.plan(
            orgs,
            targets=targets,
            parallelism=parallelism,
            allow_org_change=allow_org_change,
            replace=replace,
            release=True,
        )
    per_worker = max(1, -(-parallelism // count))
    plan = plan_in_workers(config, orgs, workers=count, parallelism=per_worker, allow_org_change=allow_org_change)
    if plan.config_digest != workspace.config.digest:
        raise ConfigError("the configuration changed while the orgs were planned: run again")
    return plan
