"""Per-org work spread over worker processes: orgs are independent, and one Python process uses one core.

``run_in_workers(config, orgs, task, workers=N)`` splits ``orgs`` (in their order) into at most ``N``
chunks of consecutive orgs and calls ``task(workspace, chunk)`` in a process of its own for each chunk,
each process working on its chunk with its own threads (``parallelism`` of them, as one process would).
It returns the chunks' results in chunk order. On Linux, while the calling process runs no other thread
(``can_fork``), the workers are forked from it: they start with its modules, the provider's parsed WSDL
and its loaded, checked configuration, and open their own state backend. Otherwise each is spawned: a
fresh interpreter that loads the configuration again (expanding only its chunk); ``task`` must then be a
module-level function or picklable object. Results must be picklable. An exception in a worker
(``ReconcileError`` included) is raised again in the caller; a worker that dies is a ``ReconcileError``;
per-org failures are the task's business, as they are in one process (a plan records an org's errors on
that org).

``plan_in_workers`` is ``Workspace.plan`` spread that way: the orgs' plans are joined into one ``Plan``
exactly as one process would have built it (orgs sorted, one Organization Id planned once, the state's
lineage and serial as read); a spawned worker that read another configuration than its caller (the
files changed meanwhile) makes it a ``ConfigError``. How many workers: ``use_workers``.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reconcile.errors import ConfigError, ReconcileError, StateError

if TYPE_CHECKING:
    from reconcile.config.schema import Config
    from reconcile.plan import Plan
    from reconcile.workspace import Workspace

R = TypeVar("R")


#: Without ``--workers``, one worker process for this many orgs (up to the number of CPUs).
ORGS_PER_WORKER = 8


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def use_workers(orgs: int, workers: int | None, *, forking: bool | None = None) -> int:
    """How many processes to spread ``orgs`` orgs over (1: stay in this process), at most one per org:
    ``workers`` as asked; without (None), one per ``ORGS_PER_WORKER`` orgs up to ``cpu_count()`` when
    workers can be forked (``forking``, by default ``can_fork()``), and 1 otherwise: a spawned worker
    spends about a second of CPU starting, a forked one next to nothing."""
    if workers is None:
        forking = can_fork() if forking is None else forking
        workers = min(cpu_count(), -(-orgs // ORGS_PER_WORKER)) if forking else 1
    return max(1, min(workers, orgs))


def share(parallelism: int, workers: int) -> int:
    """Each of ``workers`` processes' share of ``parallelism`` orgs at once (at least 1)."""
    return max(1, -(-parallelism // workers))


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


#: The configuration of the process that forks workers, which they take over (set only while it forks).
_inherited: Config | None = None


def _run_forked_chunk(task: Callable[[Workspace, list[str]], R], chunk: list[str]) -> R:
    from reconcile.workspace import Workspace
    from state.factory import backend_for

    config = _inherited
    if config is None:  # pragma: no cover - set by run_in_workers before any worker is forked
        raise RuntimeError("a forked worker found no configuration")
    with Workspace(config=config, backend=backend_for(config.state, config.root)) as workspace:
        return task(workspace, chunk)


def can_fork() -> bool:
    """Whether workers can be forked from this process: on Linux, and only while this process runs no
    other thread (a thread holding a lock at the fork would leave it held for ever in the worker)."""
    return (
        sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    )


def run_in_workers(
    config: Path,
    orgs: Sequence[str],
    task: Callable[[Workspace, list[str]], R],
    *,
    workers: int,
    workspace: Workspace | None = None,
) -> list[R]:
    """``task(workspace, chunk)`` for each chunk of ``orgs`` in its own process; see the module docstring.

    With ``workspace`` (``config`` loaded) and ``can_fork()``, the workers are forked from this process:
    they start with its modules imported, the provider's parsed WSDL (``Workspace.prepare_connections``)
    and its loaded, checked configuration (each opens a state backend of its own). Otherwise each is a
    fresh interpreter that loads the configuration again, expanding only its chunk."""
    global _inherited
    parts = chunks(orgs, max(1, workers))
    if workspace is not None and can_fork():
        workspace.prepare_connections(orgs)
        _inherited = workspace.config
        gc.freeze()  # what the workers inherit is never collected there, nor copied by the collector's walk
        try:
            return _pooled(multiprocessing.get_context("fork"), [(_run_forked_chunk, (task, chunk)) for chunk in parts])
        finally:
            _inherited = None
            gc.unfreeze()
    # spawned: no thread of this process is copied into a worker
    return _pooled(multiprocessing.get_context("spawn"), [(_run_chunk, (config, task, chunk)) for chunk in parts])


def _pooled(context: BaseContext, calls: list[tuple[Callable[..., R], tuple[object, ...]]]) -> list[R]:
    """Each call in a process of its own; the results in order. A worker that dies (killed, out of
    memory) is a ``ReconcileError``, not a traceback."""
    try:
        with ProcessPoolExecutor(max_workers=len(calls), mp_context=context) as pool:
            futures = [pool.submit(function, *arguments) for function, arguments in calls]
            return [future.result() for future in futures]
    except BrokenProcessPool:
        raise ReconcileError(
            "a worker process ended before its orgs were done (killed, or out of memory?); "
            "run again, or with --workers 1 to work in one process"
        ) from None


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
    workspace: Workspace | None = None,
    targets: Sequence[str] = (),
    parallelism: int = 8,
    allow_org_change: bool = False,
) -> Plan:
    """One plan of ``orgs``, planned by ``workers`` processes (see the module docstring)."""
    from reconcile.planner import one_org_once

    task = _PlanTask(targets, parallelism, allow_org_change)
    plans = run_in_workers(config, orgs, task, workers=workers, workspace=workspace)
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
    per_worker = share(parallelism, count)
    plan = plan_in_workers(
        config, orgs, workers=count, parallelism=per_worker, allow_org_change=allow_org_change, workspace=workspace
    )
    if plan.config_digest != workspace.config.digest:
        raise ConfigError("the configuration changed while the orgs were planned: run again")
    return plan
