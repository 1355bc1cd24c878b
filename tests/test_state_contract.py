"""The ``StateBackend`` contract (state/base.py), run over every backend: the local JSON file, PostgreSQL
and memory.

Where the backends differ on purpose, the difference is spelled out here: PostgreSQL registers a
workspace when it is first read (so runners starting together share one lineage), and it refuses a stale
write only when the write touches an org someone else wrote since (see state/postgres/backend.py). A state
in memory lives in one object of one process: every "other runner" is that same object, and the tests of
a holder in another process (contention, a killed holder, unlock) do not apply to it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest

from reconcile.errors import StateError, StateLockError
from state.base import STATE_VERSION, ApexRun, HeldLock, LockInfo, State, StateEntry, read_orgs
from state.local import LocalStateBackend
from state.memory import MemoryStateBackend
from state.postgres.backend import PostgresStateBackend
from state.postgres.schema import WORKSPACE_SCOPE
from tests.pg.server import DSN_VARIABLE, new_workspace, server_dsn, wait_until_released

ROOT = Path(__file__).resolve().parents[1]


class Backend(Protocol):
    """What these tests use of a backend: the protocol plus the stale-lock inspection both offer."""

    @property
    def warnings(self) -> list[str]: ...

    def read(self) -> State: ...

    def write(self, state: State) -> State: ...

    def lock(self, operation: str, timeout: float = 0.0) -> AbstractContextManager[HeldLock]: ...

    def unlock(self, lock_id: str) -> None: ...

    def lock_info(self) -> LockInfo | None: ...

    def is_stale(self, info: LockInfo) -> bool: ...

    def describe(self) -> str: ...


@dataclass
class Store:
    """One state location; ``backend()`` opens another client on it, as another runner would (a state in
    memory has no other client: ``backend()`` is always the one object holding it)."""

    kind: str
    location: str
    dsn: str = ""
    memory: MemoryStateBackend | None = None

    def backend(self) -> Backend:
        if self.memory is not None:
            return self.memory
        if self.kind == "local":
            return LocalStateBackend(Path(self.location))
        return PostgresStateBackend(self.dsn, self.location)

    def holder_command(self, operation: str) -> list[str]:
        return [sys.executable, "-m", "tests.pg.holder", self.kind, self.location, operation]

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT), DSN_VARIABLE: self.dsn}

    def wait_released(self) -> None:
        """Return once a killed holder's lock is free (at once for a file: the kernel frees it on exit)."""
        if self.kind == "postgres":
            wait_until_released(self.dsn, self.location, WORKSPACE_SCOPE)


@dataclass
class Holder:
    process: subprocess.Popen[str]
    lock_id: str
    store: Store

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.store.wait_released()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test runs on each backend; those that need a lock holder in another process run on the
    backends another process can share (a state in memory has no other client)."""
    if "store" in metafunc.fixturenames:
        shared = "holder" in metafunc.fixturenames
        metafunc.parametrize(
            "store", ["local", "postgres"] if shared else ["local", "postgres", "memory"], indirect=True
        )


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "local":
        return Store("local", str(tmp_path / "state.json"))
    if request.param == "memory":
        return Store("memory", "memory", memory=MemoryStateBackend())
    return Store("postgres", new_workspace(), server_dsn())


@pytest.fixture
def backend(store: Store) -> Backend:
    return store.backend()


@pytest.fixture
def holder(store: Store) -> Iterator[Holder]:
    process = subprocess.Popen(
        store.holder_command("apply"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=store.environment(),
    )
    assert process.stdout is not None
    lock_id = process.stdout.readline().strip()
    assert lock_id, "the holder process exited before taking the lock"
    yield Holder(process, lock_id, store)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


def populated(state: State, name: str = "Account.Tier__c", org: str = "prod") -> State:
    org_state = state.org(org)
    org_state.org_id = "00D000000000001"
    org_state.resources[name] = StateEntry(
        kind="CustomField",
        ids={"id": "00N000000000001"},
        attributes={"label": "Tier", "length": 40, "ratio": 0.5, "nested": {"a": [1, "x", None, True]}},
        dependencies=["CustomObject.Account"],
        applied_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )
    org_state.apex_runs["seed"] = [ApexRun(sha256="ab" * 32, at=datetime(2024, 5, 1, tzinfo=UTC), success=True)]
    return state


# -- reading and writing -----------------------------------------------------------------------------


def test_a_new_state_reads_empty_at_serial_zero(backend: Backend) -> None:
    state = backend.read()
    assert (state.serial, state.orgs, state.version) == (0, {}, STATE_VERSION)


def test_round_trip_bumps_the_serial_and_leaves_the_input_alone(backend: Backend, store: Store) -> None:
    state = populated(backend.read())
    written = backend.write(state)
    assert (written.serial, state.serial) == (1, 0)
    assert backend.read() == written
    assert store.backend().read() == written
    again = backend.write(written)
    assert again.serial == 2
    assert store.backend().read().serial == 2


def test_every_write_bumps_the_serial_even_from_several_threads(backend: Backend, store: Store) -> None:
    current = [backend.read()]
    guard = threading.Lock()

    def record(index: int) -> None:
        with guard:
            state = current[0].model_copy(deep=True)
            state.org("prod").resources[f"Account.F{index}__c"] = StateEntry(kind="CustomField")
            current[0] = backend.write(state)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(record, range(20)))
    stored = store.backend().read()
    assert stored.serial == 20
    assert len(stored.orgs["prod"].resources) == 20


def test_a_state_read_for_some_orgs_is_read_as_stored_and_never_written(backend: Backend, store: Store) -> None:
    state = populated(backend.read())
    state.org("uat").resources["Account.Uat__c"] = StateEntry(kind="CustomField")
    stored = backend.write(state)
    some = read_orgs(backend, ["uat", "nowhere"])
    assert sorted(some.orgs) == ["uat"] and some.orgs["uat"] == stored.orgs["uat"]
    assert (some.lineage, some.serial) == (stored.lineage, stored.serial)
    with pytest.raises(StateError, match="read for some orgs only"):
        backend.write(some)
    assert store.backend().read() == stored, "every org is still there"


def test_a_state_of_another_lineage_is_refused(backend: Backend, store: Store) -> None:
    stored = backend.write(populated(backend.read()))
    stranger = populated(State(serial=stored.serial), name="Account.Other__c")
    with pytest.raises(StateError) as error:
        backend.write(stranger)
    message = str(error.value)
    assert f"belongs to lineage {stored.lineage}, this run has {stranger.lineage}" in message
    assert "refusing to overwrite" in message
    assert store.backend().read() == stored


def test_a_writer_whose_serial_moved_is_refused(backend: Backend, store: Store) -> None:
    mine = backend.write(backend.read())
    other = store.backend()
    theirs = other.write(populated(other.read()))
    with pytest.raises(StateError, match="serial 2 but this run read serial 1"):
        backend.write(populated(mine.model_copy(deep=True), name="Account.Mine__c"))
    assert store.backend().read() == theirs


def test_concurrent_writers_of_the_same_serial_and_org_only_one_wins(backend: Backend, store: Store) -> None:
    base = backend.write(backend.read())
    barrier = threading.Barrier(8)

    def attempt(index: int) -> bool:
        candidate = populated(base.model_copy(deep=True), name=f"Account.F{index}__c")
        barrier.wait()
        try:
            backend.write(candidate)
        except StateError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count(True) == 1
    assert store.backend().read().serial == 2


# -- locking -----------------------------------------------------------------------------------------


def test_lock_records_the_holder_and_clears_on_release(backend: Backend) -> None:
    with backend.lock("apply") as held:
        info = backend.lock_info()
        assert info is not None
        assert (info.id, info.operation, info.pid) == (held.id, "apply", os.getpid())
        assert held.replaced is None
        assert not backend.is_stale(info)
    assert backend.lock_info() is None


def test_lock_is_released_when_the_body_raises(backend: Backend) -> None:
    with pytest.raises(RuntimeError), backend.lock("apply"):
        raise RuntimeError("boom")
    assert backend.lock_info() is None
    with backend.lock("apply"):
        pass


def test_a_second_holder_in_the_same_process_is_refused(backend: Backend, store: Store) -> None:
    with (
        backend.lock("apply") as held,
        pytest.raises(StateLockError, match=held.id),
        store.backend().lock("plan"),
    ):
        pass


def test_contention_with_another_process_names_the_holder(backend: Backend, holder: Holder) -> None:
    with pytest.raises(StateLockError) as error, backend.lock("destroy", timeout=0.2):
        pass
    message = str(error.value)
    assert f"pid {holder.process.pid}" in message
    assert "'apply'" in message
    assert "since " in message
    assert f"run `reconcile state unlock {holder.lock_id}`" in message
    holder.release()
    with backend.lock("destroy") as held:
        assert held.replaced is None


def test_a_waiting_holder_gets_the_lock_once_released(backend: Backend, holder: Holder) -> None:
    acquired: list[str] = []

    def wait_for_lock() -> None:
        with backend.lock("plan", timeout=60) as held:
            acquired.append(held.operation)

    waiter = threading.Thread(target=wait_for_lock)
    waiter.start()
    holder.release()
    waiter.join(timeout=60)
    assert acquired == ["plan"]
    assert backend.warnings == []


def test_the_lock_of_a_killed_holder_is_stale_and_taken_over(backend: Backend, holder: Holder) -> None:
    holder.kill()
    info = backend.lock_info()
    assert info is not None
    assert (info.id, info.pid, info.operation) == (holder.lock_id, holder.process.pid, "apply")
    assert backend.is_stale(info)
    with backend.lock("apply") as held:
        assert held.replaced == info
        assert held.id != info.id
        current = backend.lock_info()
        assert current is not None and current.id == held.id
    assert len(backend.warnings) == 1
    assert f"pid {holder.process.pid}" in backend.warnings[0]
    assert backend.lock_info() is None


def test_unlock_clears_a_dead_holder(backend: Backend, holder: Holder) -> None:
    holder.kill()
    backend.unlock(holder.lock_id)
    assert backend.lock_info() is None


def test_unlock_with_a_wrong_id_is_refused_naming_the_holder(backend: Backend, holder: Holder) -> None:
    holder.kill()
    with pytest.raises(StateLockError) as error:
        backend.unlock("not-the-id")
    assert holder.lock_id in str(error.value)
    assert f"pid {holder.process.pid}" in str(error.value)
    assert backend.lock_info() is not None


def test_unlock_of_a_live_holder_is_refused(backend: Backend, holder: Holder) -> None:
    info = backend.lock_info()
    assert info is not None
    assert not backend.is_stale(info)
    with pytest.raises(StateLockError, match="live process"):
        backend.unlock(holder.lock_id)
    assert backend.lock_info() == info
    holder.release()
    assert backend.lock_info() is None


def test_unlock_when_not_locked_is_refused(backend: Backend) -> None:
    with pytest.raises(StateLockError, match="not locked"):
        backend.unlock("anything")
