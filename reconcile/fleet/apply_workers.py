"""``apply --workers N``: a planned apply spread over worker processes forked from the command, with the
command as the one writer of the state and the one owner of the journal and the progress display.

After the command has planned (each org's connection open, as one process would keep it), taken the
lock and been given the go-ahead, ``apply_in_workers`` forks N workers (``reconcile.fleet.workers``:
Linux, no other thread running), each applying a run of consecutive orgs with the connections it
inherited and its share of ``parallelism``. A worker's executor persists each batch as one process
does, but through ``RelayBackend``: the org states a batch changed go to the command, which merges them
into its state and writes them with the real backend, and the worker goes on only once that write has
succeeded; so what the command's state holds is always what the workers applied, up to the batch in
flight, exactly as in one process (docs/reliability.md). Every progress event goes to the command,
which journals it and shows it; each worker ends by sending its orgs' reports, joined into one
``ApplyReport``. Workers ignore SIGINT and SIGTERM: the command relays a stop, so a worker finishes its
batch in flight, persists it and skips the rest. A worker that dies (killed, out of memory) fails the
orgs it had not finished, with their batches written so far kept.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from providers.base import Provider
from reconcile.errors import StateError
from reconcile.executor import ApplyReport, Event, OrgReport, apply_plan
from reconcile.fleet.workers import chunks, share
from reconcile.plan import Plan
from state.base import LockInfo, OrgState, State, StateBackend

#: How often the command looks at its stop event while it waits for the workers (seconds).
_POLL = 0.2


class RelayBackend:
    """A worker's state backend: each write sends the orgs it changed to the command and returns once
    the command has written them (a refused write raises the command's ``StateError`` here)."""

    def __init__(self, channel: Connection, lock: threading.Lock) -> None:
        self.channel = channel
        self.guard = lock  # the channel is shared with the event relay

    def read(self) -> State:
        raise StateError("a worker reads no state: the command handed it the state it read")

    def lock(self, operation: str, timeout: float = 0.0) -> AbstractContextManager[LockInfo]:
        raise StateError("a worker takes no lock: the command holds it")

    def unlock(self, lock_id: str) -> None:
        raise StateError("a worker takes no lock: the command holds it")

    def lock_info(self) -> LockInfo | None:
        return None

    def describe(self) -> str:
        return "the state of the command that forked this worker"

    def write(self, state: State, changed: Collection[str] | None = None) -> State:
        orgs = list(state.orgs) if changed is None else list(changed)
        payload = {org: state.orgs[org] for org in orgs if org in state.orgs}
        try:
            with self.guard:
                self.channel.send(("write", payload))
                answer, detail = self.channel.recv()
        except (EOFError, OSError):
            raise StateError("the command that writes the state is gone: this batch is not recorded") from None
        if answer != "written":
            raise StateError(detail)
        return state.model_copy(update={"serial": int(detail)})


@dataclass
class _Worker:
    """The command's side of one worker: its process, channels and orgs."""

    process: Any
    channel: Connection
    control: Connection
    orgs: list[str]
    done: set[str] = field(default_factory=set)
    reports: list[OrgReport] = field(default_factory=list)


def apply_in_workers(
    plan: Plan,
    *,
    providers: Mapping[str, Provider],
    backend: StateBackend,
    state: State,
    workers: int,
    parallelism: int,
    on_event: Callable[[Event], None],
    stop: threading.Event,
    start_display: Callable[[], Any] | None = None,
) -> ApplyReport:
    """``apply_plan`` of ``plan`` spread over ``workers`` forked processes (see the module docstring).
    The caller must run no other thread (``reconcile.fleet.workers.can_fork``); ``start_display`` is
    entered once the workers are forked (a live display runs a thread of its own)."""
    names = sorted(org.org for org in plan.orgs)
    parts = chunks(names, max(1, min(workers, len(names))))
    per_worker = share(parallelism, len(parts))
    context = multiprocessing.get_context("fork")
    started: list[_Worker] = []
    for part in parts:
        ours, theirs = context.Pipe()
        control_ours, control_theirs = context.Pipe()
        members = set(part)
        chunk_plan = plan.model_copy(update={"orgs": tuple(o for o in plan.orgs if o.org in members)})
        process = context.Process(
            target=_work,
            args=(chunk_plan, providers, state, per_worker, theirs, control_theirs),
            name=f"reconcile-apply-{len(started) + 1}",
        )
        process.start()
        theirs.close()
        control_theirs.close()
        started.append(_Worker(process, ours, control_ours, part))
    writer = _Writer(backend, state.model_copy(deep=True))
    try:
        with start_display() if start_display is not None else nullcontext():
            _serve(started, writer, on_event, stop)
    finally:
        for worker in started:  # after an error here, a worker waiting on the command sees it gone
            worker.channel.close()
            worker.control.close()
            worker.process.join()
    reports = [report for worker in started for report in worker.reports]
    return ApplyReport(orgs=tuple(sorted(reports, key=lambda r: r.org)), state=writer.state)


class _Writer:
    """The command's state: the workers' org states merged in and written with the real backend."""

    def __init__(self, backend: StateBackend, state: State) -> None:
        self.backend = backend
        self.state = state

    def write(self, orgs: dict[str, OrgState]) -> tuple[str, str]:
        self.state.orgs.update(orgs)
        try:
            self.state = self.backend.write(self.state, changed=list(orgs))
        except StateError as exc:
            return "refused", str(exc)
        return "written", str(self.state.serial)


def _serve(started: list[_Worker], writer: _Writer, on_event: Callable[[Event], None], stop: threading.Event) -> None:
    """Answer the workers until every one has ended: writes, events, reports; a stop is relayed once."""
    by_channel = {worker.channel: worker for worker in started}
    relayed = False
    while by_channel:
        if stop.is_set() and not relayed:
            relayed = True
            for worker in by_channel.values():
                _send(worker.control, "stop")
        for channel in wait(list(by_channel), timeout=_POLL):
            worker = by_channel[channel]  # type: ignore[index]
            try:
                kind, payload = worker.channel.recv()
            except (EOFError, OSError):
                del by_channel[worker.channel]
                _ended(worker, on_event)
                continue
            if kind == "write":
                _send(worker.channel, writer.write(payload))
            elif kind == "event":
                if payload.type == "org_done":
                    worker.done.add(payload.org)
                on_event(payload)
            elif kind == "reports":
                worker.reports = list(payload)


def _ended(worker: _Worker, on_event: Callable[[Event], None]) -> None:
    """A worker's channel closed: after its reports, the normal end; before, the orgs it had not
    finished fail (their batches written so far stay written)."""
    worker.process.join()
    reported = {report.org for report in worker.reports}
    code = worker.process.exitcode
    why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    message = f"its worker process ended before it was done ({why}); what it applied before is recorded"
    for org in worker.orgs:
        if org in reported:
            continue
        if org not in worker.done:
            on_event(Event(org, "org_done", ok=False, message=message))
        worker.reports.append(OrgReport(org=org, error=message))


def _send(channel: Connection, message: Any) -> None:
    try:
        channel.send(message)
    except (BrokenPipeError, EOFError, OSError):
        return  # the worker is gone; its channel's end is handled where it is read


def _work(
    plan: Plan,
    providers: Mapping[str, Provider],
    state: State,
    parallelism: int,
    channel: Connection,
    control: Connection,
) -> None:
    """In a worker: apply ``plan`` with the inherited connections, the command holding the state."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # the command relays a stop; a batch in flight finishes
    stop = threading.Event()
    lock = threading.Lock()

    def listen() -> None:
        try:
            if control.recv() == "stop":
                stop.set()
        except (EOFError, OSError):
            stop.set()  # the command is gone: finish the batch in flight and stop

    threading.Thread(target=listen, name="reconcile-apply-stop", daemon=True).start()

    def relay(event: Event) -> None:
        with lock:
            channel.send(("event", event))

    report = apply_plan(
        plan,
        providers={org.org: providers[org.org] for org in plan.orgs if org.org in providers},
        backend=RelayBackend(channel, lock),
        state=state,
        parallelism=parallelism,
        on_event=relay,
        stop=stop,
    )
    with lock:
        channel.send(("reports", report.orgs))
    channel.close()
