"""The executor: applies a plan, org by org in parallel, and records what it did in state.

Within an org, changes run in plan order. Consecutive ready changes of one kind (and one phase: apply
or remove) go to the provider as one batch; how a provider splits a batch into API calls is its business.
Apex scripts run one at a time, with what they switch off switched back after (``reconcile.switching``).
A change is ready when every change it depends on succeeded; the
dependents of a failed change are skipped ("upstream failed"), never attempted.

State is written after every batch, so an apply that dies halfway leaves state matching the org. All
orgs share one state object; writes go through one lock. A ``ProviderError`` (the org as a whole is
unusable, the daily API limit included) fails its batch and stops that org only. When ``stop`` is set,
the batch in flight finishes and is persisted, and the rest is skipped as "interrupted".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from providers.base import ApexResult, Provider
from reconcile import kinds
from reconcile.errors import ProviderError, StateError
from reconcile.model import Action, Address, Change, ChangeResult, Kind
from reconcile.plan import OrgPlan, Plan
from reconcile.switching import Switcher
from state.base import OrgState, State, StateBackend, StateEntry

EventType = Literal["org_start", "batch", "result", "skipped", "note", "org_done"]
_REMOVALS = frozenset({Action.DELETE, Action.FORGET})


@dataclass(frozen=True)
class Event:
    """Progress of an apply. ``address``/``ok`` are set for ``result`` and ``skipped`` events;
    ``org_done`` carries ``ok`` for the org. The ``result`` of an apex run also carries the provider's
    ``apex`` outcome (debug log included) and the ``seconds`` the run took; other events leave them
    None. A ``note`` says what a script switched off and back on. Callbacks are never called
    concurrently."""

    org: str
    type: EventType
    address: Address | None = None
    ok: bool | None = None
    message: str = ""
    apex: ApexResult | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class ChangeOutcome:
    """What happened to one planned change. ``skipped`` changes were never attempted (``ok`` False)."""

    address: Address
    action: Action
    ok: bool
    message: str = ""
    skipped: bool = False


@dataclass(frozen=True)
class OrgReport:
    """One org's apply: counts, every outcome in plan order, API calls made, and an org-level error
    (plan errors, a provider or state failure, an interruption) if any."""

    org: str
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    results: tuple[ChangeOutcome, ...] = ()
    api_calls: int = 0
    api_remaining: int | None = None
    seconds: float = 0.0
    error: str = ""
    plan_errors: tuple[str, ...] = ()

    @property
    def detailed_error(self) -> str:
        """``error`` with the plan errors it stands for (what the journal keeps)."""
        return f"{self.error}: {'; '.join(self.plan_errors)}" if self.plan_errors else self.error

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.error


@dataclass(frozen=True)
class ApplyReport:
    """Every org's report (sorted by org name) and the state as last written."""

    orgs: tuple[OrgReport, ...]
    state: State

    @property
    def ok(self) -> bool:
        """True when no change failed and no org reported an error."""
        return all(org.ok for org in self.orgs)

    def org(self, name: str) -> OrgReport:
        for report in self.orgs:
            if report.org == name:
                return report
        raise KeyError(name)


class _StateWriter:
    """Serialises state mutations across org threads and persists them with group commit: a thread that
    mutated the state returns only once a write that includes its mutation succeeded, but while one
    write is in flight the mutations of other orgs pile up and the next write persists them all at once.
    Every batch is still on disk before its org goes on; the number of writes just stops growing with
    the number of orgs applied in parallel. Each write names the orgs mutated since the last one, so a
    backend can write those alone."""

    def __init__(self, backend: StateBackend, state: State) -> None:
        self._backend = backend
        self._lock = threading.Lock()  # guards self.state and the version counters
        self._write_lock = threading.Lock()  # one write at a time
        self._version = 0  # mutations made
        self._persisted = 0  # mutations on disk
        self._dirty: set[str] = set()  # orgs mutated since the last write
        self.state = state

    def commit(self, org: str, org_id: str, mutate: Callable[[OrgState], None]) -> None:
        with self._lock:
            org_state = self.state.org(org)
            if org_id and org_state.org_id != org_id:
                if org_state.org_id:
                    org_state.apex_runs.clear()  # the ledger belongs to the org this id replaced
                org_state.org_id = org_id
            mutate(org_state)
            self._dirty.add(org)
            self._version += 1
            mine = self._version
        with self._write_lock:
            if self._persisted >= mine:
                return  # a write made while this thread waited already included its mutation
            with self._lock:
                version, dirty = self._version, self._dirty
                self.state = self._backend.write(self.state, changed=dirty)
                self._persisted, self._dirty = version, set()

    def org_id(self, org: str) -> str:
        """The org id state records for ``org`` ("" if none)."""
        with self._lock:
            org_state = self.state.orgs.get(org)
            return org_state.org_id if org_state else ""


def _state_entry(change: Change, result: ChangeResult, previous: StateEntry | None, now: datetime) -> StateEntry:
    after = change.after
    if after is None:
        raise ValueError(f"{change.address}: a {change.action.value} change needs an after resource")
    ids = {**after.ids, **(result.resource.ids if result.resource else {}), **result.ids}
    attributes = kinds.of(change.address).state_attributes(change, previous)
    return StateEntry(
        kind=change.address.kind,
        ids=ids,
        attributes=attributes,
        dependencies=[str(dep) for dep in change.depends_on],
        applied_at=now,
    )


def record_results(org_state: OrgState, batch: Sequence[Change], results: Sequence[ChangeResult]) -> None:
    """Update one org's state after a batch: successful creates/updates become entries, successful
    deletes/forgets drop theirs, and every run (failed ones too) is recorded by its kind (the apex ledger)."""
    now = datetime.now(UTC)
    for change, result in zip(batch, results, strict=True):
        key = str(change.address)
        if change.action is Action.RUN:
            kinds.of(change.address).record_run(org_state, change, result.ok, now)
        elif not result.ok:
            continue
        elif change.action in _REMOVALS:
            org_state.resources.pop(key, None)
        else:
            org_state.resources[key] = _state_entry(change, result, org_state.resources.get(key), now)
        if result.ok and change.action is Action.UPDATE:
            org_state.restore.pop(key, None)  # switched back, by its entry or by a plan restoring a script's run


class _OrgRun:
    """Applies one org's changes; see the module docstring for the rules."""

    def __init__(
        self,
        org_plan: OrgPlan,
        provider: Provider,
        writer: _StateWriter,
        emit: Callable[[Event], None],
        stop: threading.Event,
    ) -> None:
        self.plan = org_plan
        self.provider = provider
        self.writer = writer
        self.emit = emit
        self.stop = stop
        self.outcomes: list[ChangeOutcome] = []
        self.failed_cause: dict[Address, Address] = {}
        self.apex_runs: dict[Address, tuple[ApexResult, float]] = {}
        self.error = ""

    def run(self) -> str:
        """Walk the plan; return the org-level error ("" if none)."""
        changes = list(self.plan.changes)
        index = 0
        while index < len(changes) and not self.error:
            if self.stop.is_set():
                self.error = "interrupted"
                break
            batch, index = self._next_batch(changes, index)
            if batch:
                self._run_batch(batch)
        for change in changes[index:]:
            self._skip(change, self.error)
        if not self.error and self.plan.org_id and self.writer.org_id(self.plan.org) != self.plan.org_id:
            self._commit([], [])  # adopt the org id even when nothing changed
        return self.error

    def _blocker(self, change: Change) -> Address | None:
        return next((self.failed_cause[d] for d in change.depends_on if d in self.failed_cause), None)

    def _joins(self, batch: list[Change], members: set[Address], change: Change) -> bool:
        first = batch[0]
        return (
            change.address.kind == first.address.kind
            and kinds.of(first.address).batched
            and (change.action in _REMOVALS) == (first.action in _REMOVALS)
            and members.isdisjoint(change.depends_on)
        )

    def _next_batch(self, changes: list[Change], start: int) -> tuple[list[Change], int]:
        batch: list[Change] = []
        members: set[Address] = set()
        index = start
        while index < len(changes):
            change = changes[index]
            blocker = self._blocker(change)
            if blocker is not None:
                self.failed_cause[change.address] = blocker
                self._skip(change, f"upstream failed: {blocker}")
            elif batch and not self._joins(batch, members, change):
                break
            else:
                batch.append(change)
                members.add(change.address)
            index += 1
            if batch and not kinds.of(batch[0].address).batched:
                break
        return batch, index

    def _run_batch(self, batch: list[Change]) -> None:
        kind = batch[0].address.kind
        self.emit(Event(self.plan.org, "batch", message=f"{kind}: {len(batch)} change(s)"))
        try:
            results = self._results(kind, batch)
        except ProviderError as exc:
            self.error = str(exc)
            results = [ChangeResult(address=c.address, ok=False, message=self.error) for c in batch]
        for change, result in zip(batch, results, strict=True):
            self._finish(change, result)
        if not self.error:
            self._commit(batch, results)

    def _results(self, kind: Kind, batch: list[Change]) -> list[ChangeResult]:
        if not kinds.get(kind).batched:
            return [self._run_one(change) for change in batch]
        to_send = [change for change in batch if change.action is not Action.FORGET]
        returned = {r.address: r for r in self.provider.apply(kind, to_send)} if to_send else {}
        missing = "the provider returned no result for this change"
        return [
            ChangeResult(address=c.address, ok=True, message="no longer managed")
            if c.action is Action.FORGET
            else returned.get(c.address, ChangeResult(address=c.address, ok=False, message=missing))
            for c in batch
        ]

    def _run_one(self, change: Change) -> ChangeResult:
        """Run one change of a kind that is not batched; what it switches off is switched back after."""
        kind = kinds.of(change.address)
        switches = Switcher(self.provider, self._commit_with, self._emit_note, str(change.address))
        switched, problem = switches.off(kind.switched_off_during(change))
        if problem:
            return ChangeResult(address=change.address, ok=False, message=problem)
        started = time.monotonic()
        try:
            outcome = kind.run(self.provider, change)
        finally:
            self.error = switches.back(switched) or self.error
        if outcome is None:
            return ChangeResult(address=change.address, ok=False, message="no script to run")
        self.apex_runs[change.address] = (outcome, time.monotonic() - started)
        ok = outcome.compiled and outcome.success
        return ChangeResult(address=change.address, ok=ok, message=outcome.located_message)

    def _commit_with(self, update: Callable[[OrgState], None]) -> None:
        self.writer.commit(self.plan.org, self.plan.org_id, update)

    def _emit_note(self, note: str) -> None:
        self.emit(Event(self.plan.org, "note", message=note))

    def _commit(self, batch: list[Change], results: list[ChangeResult]) -> None:
        try:
            self.writer.commit(self.plan.org, self.plan.org_id, lambda s: record_results(s, batch, results))
        except StateError as exc:
            self.error = f"state not saved after the last batch: {exc}"

    def _finish(self, change: Change, result: ChangeResult) -> None:
        if not result.ok:
            self.failed_cause[change.address] = change.address
        message = result.message or ("ok" if result.ok else "failed")
        self.outcomes.append(ChangeOutcome(change.address, change.action, result.ok, message))
        apex, seconds = self.apex_runs.pop(change.address, (None, None))
        self.emit(Event(self.plan.org, "result", change.address, result.ok, message, apex, seconds))

    def _skip(self, change: Change, message: str) -> None:
        self.outcomes.append(ChangeOutcome(change.address, change.action, False, message, skipped=True))
        self.emit(Event(self.plan.org, "skipped", change.address, False, message))


def _report(org: str, outcomes: Sequence[ChangeOutcome], calls: int, seconds: float, error: str) -> OrgReport:
    return OrgReport(
        org=org,
        applied=sum(1 for o in outcomes if o.ok),
        failed=sum(1 for o in outcomes if not o.ok and not o.skipped),
        skipped=sum(1 for o in outcomes if o.skipped),
        results=tuple(outcomes),
        api_calls=calls,
        seconds=seconds,
        error=error,
    )


def _not_applied(org_plan: OrgPlan, error: str, emit: Callable[[Event], None]) -> OrgReport:
    outcomes = [ChangeOutcome(c.address, c.action, False, error, skipped=True) for c in org_plan.changes]
    emit(Event(org_plan.org, "org_done", ok=False, message=error))
    return replace(_report(org_plan.org, outcomes, 0, 0.0, error), plan_errors=org_plan.errors)


def _apply_org(
    org_plan: OrgPlan,
    provider: Provider | None,
    writer: _StateWriter,
    emit: Callable[[Event], None],
    stop: threading.Event,
) -> OrgReport:
    if org_plan.errors:
        count = len(org_plan.errors)
        message = f"not applied: the plan has {count} error{'' if count == 1 else 's'} for this org (listed with it)"
        return _not_applied(org_plan, message, emit)
    if provider is None:
        return _not_applied(org_plan, "not applied: no provider configured for this org", emit)
    started, calls_before = time.monotonic(), provider.usage.calls
    emit(Event(org_plan.org, "org_start", message=f"{len(org_plan.changes)} change(s)"))
    run = _OrgRun(org_plan, provider, writer, emit, stop)
    error = run.run()
    report = replace(
        _report(org_plan.org, run.outcomes, provider.usage.calls - calls_before, time.monotonic() - started, error),
        api_remaining=provider.usage.remaining,
    )
    summary = f"{report.applied} applied, {report.failed} failed, {report.skipped} skipped"
    emit(Event(org_plan.org, "org_done", ok=report.ok, message=f"{summary}{'; ' + error if error else ''}"))
    return report


def apply_plan(
    plan: Plan,
    *,
    providers: Mapping[str, Provider],
    backend: StateBackend,
    state: State,
    parallelism: int = 8,
    on_event: Callable[[Event], None] | None = None,
    stop: threading.Event | None = None,
) -> ApplyReport:
    """Apply ``plan`` to its orgs (in parallel, at most ``parallelism`` at once) and persist state after
    every batch through ``backend``, starting from ``state`` (which is not modified: a copy is).

    Orgs whose plan has errors are not applied and reported with that error. Exceptions other than
    ``ProviderError``/``StateError`` are bugs and propagate (state already written stays written).
    """
    writer = _StateWriter(backend, state.model_copy(deep=True))
    event_lock = threading.Lock()
    stop_event = stop if stop is not None else threading.Event()

    def emit(event: Event) -> None:
        if on_event is not None:
            with event_lock:
                on_event(event)

    def apply_one(org_plan: OrgPlan) -> OrgReport:
        return _apply_org(org_plan, providers.get(org_plan.org), writer, emit, stop_event)

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        reports = list(pool.map(apply_one, sorted(plan.orgs, key=lambda o: o.org)))
    return ApplyReport(orgs=tuple(reports), state=writer.state)
