"""State kept in memory: a ``StateBackend`` doing no I/O, for tests and benchmarks.

It keeps the contract of ``state.base`` as the local file does, within one process:

- ``read()`` returns the last state written, or a fresh empty state (not stored) before the first write.
- ``write(state)`` returns ``state`` with the serial bumped, leaving the argument as it was. It refuses
  (``StateError``, in the local file's words) a state of another lineage, or whose serial is not the
  stored serial; before the first write it accepts any lineage at serial 0, as a missing file does.
  Writes from several threads are serialised.
- ``lock(operation, timeout)`` yields a ``HeldLock``: one holder at a time, a second one waits up to
  ``timeout`` seconds, then gets ``StateLockError`` naming the holder. A lock in memory lives exactly as
  long as its holder's ``with`` block, so no record is ever left behind by a dead holder: ``warnings``
  stays empty, ``is_stale`` is true only of a record no longer held, and ``unlock`` never clears a lock.

Every state written is kept in ``writes``, in order. By default states are copied (deeply) on the way in
and out, so a caller changing a state it holds never changes what is stored, as with a file. With
``copies=False`` the backend keeps the very state ``write`` returns and ``read`` hands that object back:
for benchmarks, where copying every state would measure the copy instead of the engine. ``fail_after``
makes the write of that index (0-based) and every later one fail as a full disk would, to test how
callers handle a state that could not be saved.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterator

from reconcile.errors import StateError, StateLockError
from state.base import HeldLock, LockInfo, State, describe_holder, new_lock_info, refuse_partial

WHERE = "state in memory"


class MemoryStateBackend:
    """A ``StateBackend`` in memory; see the module docstring for the contract and the options.

    ``state`` is the state already stored (copied unless ``copies=False``); None stores nothing yet.
    """

    def __init__(self, state: State | None = None, *, copies: bool = True, fail_after: int | None = None) -> None:
        self.copies = copies
        self.fail_after = fail_after
        self.stored = self._copy(state) if state is not None else None
        self.writes: list[State] = []
        self.warnings: list[str] = []
        self._write_guard = threading.Lock()
        self._state_lock = threading.Lock()
        self._held: HeldLock | None = None

    def describe(self) -> str:
        return "memory"

    def _copy(self, state: State) -> State:
        return state.model_copy(deep=True) if self.copies else state

    # -- reading and writing -------------------------------------------------------------------------

    def read(self) -> State:
        """The stored state, or a fresh empty one (not stored) before the first write."""
        stored = self.stored
        return self._copy(stored) if stored is not None else State()

    def write(self, state: State, changed: Collection[str] | None = None) -> State:
        """Store ``state`` and return it with the serial bumped by one."""
        refuse_partial(state)
        with self._write_guard:
            if self.fail_after is not None and len(self.writes) >= self.fail_after:
                raise StateError("disk full")
            self._check_writable(state)
            written = state.model_copy(update={"serial": state.serial + 1})
            self.stored = self._copy(written)
            self.writes.append(self.stored)
            return written

    def _check_writable(self, state: State) -> None:
        if self.stored is None:
            if state.serial != 0:
                raise StateError(
                    f"{WHERE} was never written but this run read serial {state.serial}: refusing to start over"
                )
            return
        if self.stored.lineage != state.lineage:
            raise StateError(
                f"{WHERE} belongs to lineage {self.stored.lineage}, this run has {state.lineage}: refusing to overwrite"
            )
        if self.stored.serial != state.serial:
            raise StateError(
                f"{WHERE} is at serial {self.stored.serial} but this run read serial {state.serial}: "
                "someone wrote it in between; run again to start from the current state"
            )

    # -- locking -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, operation: str, timeout: float = 0.0) -> Iterator[HeldLock]:
        """Hold the state lock for ``operation``; wait up to ``timeout`` seconds for another holder."""
        acquired = self._state_lock.acquire(timeout=timeout) if timeout > 0 else self._state_lock.acquire(False)
        if not acquired:
            raise self._held_error()
        held = HeldLock(**new_lock_info(operation).model_dump())
        self._held = held
        try:
            yield held
        finally:
            self._held = None
            self._state_lock.release()

    def _held_error(self) -> StateLockError:
        info = self.lock_info()
        holder = describe_holder(info) if info is not None else "another thread that has not recorded itself yet"
        return StateLockError(f"{WHERE} is locked by {holder}: wait for it and run again")

    def lock_info(self) -> LockInfo | None:
        """Who holds the lock; None when nobody does."""
        held = self._held
        return LockInfo(**held.model_dump(exclude={"replaced"})) if held is not None else None

    def is_stale(self, info: LockInfo) -> bool:
        """True if the holder of ``info`` no longer holds the lock (it released it: holders never die
        holding a lock in memory)."""
        held = self._held
        return held is None or held.id != info.id

    def unlock(self, lock_id: str) -> None:
        """Refuse, naming the holder: a lock in memory is only ever held by a live holder."""
        info = self.lock_info()
        if info is None:
            raise StateLockError(f"{WHERE} is not locked: nothing to unlock")
        if info.id != lock_id:
            raise StateLockError(
                f"lock id {lock_id} does not match the lock on {WHERE}, which is held by {describe_holder(info)}"
            )
        raise StateLockError(
            f"refusing to unlock {WHERE}: it is held by a live process ({describe_holder(info)}); wait for it to finish"
        )
