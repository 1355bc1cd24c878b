"""What is particular to the state in memory (state/memory.py); the shared contract is in
test_state_contract.py. Another holder of its lock can only be another thread of this process."""

from __future__ import annotations

import threading

import pytest

from reconcile.errors import StateError, StateLockError
from state.base import State, StateEntry
from state.memory import MemoryStateBackend


def with_entry(state: State, address: str = "picklist:Account.Tier__c") -> State:
    state.org("dev").resources[address] = StateEntry(kind="picklist")
    return state


def test_the_state_given_at_creation_is_what_reads_return() -> None:
    given = with_entry(State())
    backend = MemoryStateBackend(given)
    assert backend.read() == given
    assert backend.writes == []


def test_by_default_states_are_copied_in_and_out() -> None:
    backend = MemoryStateBackend()
    written = backend.write(with_entry(State()))
    with_entry(written, "picklist:Account.Other__c")
    read = backend.read()
    assert list(read.orgs["dev"].resources) == ["picklist:Account.Tier__c"]
    read.orgs.clear()
    assert backend.read().orgs
    assert backend.writes == [backend.read()]


def test_without_copies_the_state_written_is_the_state_read() -> None:
    backend = MemoryStateBackend(copies=False)
    written = backend.write(State())
    assert backend.read() is written
    assert backend.writes == [written]


def test_without_copies_the_contract_checks_still_hold() -> None:
    backend = MemoryStateBackend(copies=False)
    stale = backend.read()
    backend.write(stale)
    with pytest.raises(StateError, match="serial 1 but this run read serial 0"):
        backend.write(stale)
    with pytest.raises(StateError, match="refusing to overwrite"):
        backend.write(State(serial=1))


def test_a_first_write_at_a_serial_other_than_zero_is_refused() -> None:
    with pytest.raises(StateError, match="never written but this run read serial 3"):
        MemoryStateBackend().write(State(serial=3))


def test_fail_after_fails_that_write_and_every_later_one() -> None:
    backend = MemoryStateBackend(fail_after=1)
    written = backend.write(State())
    for _ in range(2):
        with pytest.raises(StateError, match="disk full"):
            backend.write(written)
    assert backend.read() == written and len(backend.writes) == 1


def test_another_thread_holding_the_lock_is_named() -> None:
    backend = MemoryStateBackend()
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with backend.lock("apply"):
            taken.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(timeout=30)
    info = backend.lock_info()
    assert info is not None and not backend.is_stale(info)
    with pytest.raises(StateLockError) as error, backend.lock("plan", timeout=0.05):
        pass
    assert info.id in str(error.value) and "'apply'" in str(error.value)
    with pytest.raises(StateLockError, match="live process"):
        backend.unlock(info.id)
    release.set()
    holder.join(timeout=30)
    assert backend.lock_info() is None and backend.is_stale(info)
    with backend.lock("plan") as held:
        assert held.replaced is None
    assert backend.warnings == []


def test_a_waiting_holder_gets_the_lock_once_released() -> None:
    backend = MemoryStateBackend()
    acquired: list[str] = []

    def wait_for_lock() -> None:
        with backend.lock("plan", timeout=60) as held:
            acquired.append(held.operation)

    with backend.lock("apply"):
        waiter = threading.Thread(target=wait_for_lock)
        waiter.start()
    waiter.join(timeout=60)
    assert acquired == ["plan"]
