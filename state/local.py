"""State kept in a local JSON file, guarded by an OS-level lock.

Layout next to ``state.json``:

- ``state.json.backup``: the previous version, replaced atomically on every write.
- ``state.json.lock``: the file the OS lock (``flock``) is taken on; the kernel releases it when the
  holder dies, however it dies.
- ``state.json.lock.info``: who holds the lock (a JSON ``LockInfo``), written after acquiring and removed
  before releasing. One left behind while the OS lock is free means its holder was killed.

The file is sorted-keys JSON, indented down to the resources, with each resource entry on one line: a
state of tens of thousands of resources stays diffable line by line and is written with the C JSON
encoder (an apply persists state after every batch, so write cost matters).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pydantic import ValidationError

from reconcile.errors import StateError, StateLockError, plain_validation_problem
from state.base import STATE_VERSION, HeldLock, LockInfo, State, describe_holder, new_lock_info

_REQUIRED_KEYS = ("version", "lineage", "serial")


class LocalStateBackend:
    """A ``StateBackend`` on a JSON file.

    Contract: ``read`` never modifies the file; ``write`` either replaces the file completely (temp file,
    fsync, rename, directory fsync, previous version kept as ``<name>.backup``) or leaves it untouched
    and no temp file behind. Writes from several threads of one instance are serialised; a write whose
    serial or lineage no longer matches the stored file is refused with ``StateError``.

    ``lock`` yields a ``HeldLock``. When it takes over a lock whose holder died, ``HeldLock.replaced``
    names the dead holder and a line is appended to ``warnings`` for the caller to show.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.backup_path = self.path.with_name(self.path.name + ".backup")
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.info_path = self.path.with_name(self.path.name + ".lock.info")
        self.warnings: list[str] = []
        self._write_guard = threading.Lock()
        # (file signature, lineage, serial) of the file as this instance last wrote it: a write that finds
        # the same signature need not read and parse the whole file again to check lineage and serial.
        self._last_written: tuple[tuple[int, int, int], str, int] | None = None

    def describe(self) -> str:
        return str(self.path)

    # -- reading -------------------------------------------------------------------------------------

    def read(self) -> State:
        """The stored state, or a fresh empty one (not yet persisted) if the file does not exist."""
        stored = self._read_stored()
        return stored if stored is not None else State()

    def _read_stored(self) -> State | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state at {self.path}: {exc.strerror or exc}") from exc
        return self._parse(raw)

    def _parse(self, raw: bytes) -> State:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._corrupt(f"it is not valid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise self._corrupt(f"expected a JSON object, found {type(data).__name__}")
        missing = [key for key in _REQUIRED_KEYS if key not in data]
        if missing:
            raise self._corrupt(f"missing {', '.join(missing)}")
        self._check_version(data["version"])
        try:
            return State.model_validate(data)
        except ValidationError as exc:
            raise self._corrupt(_summarise(exc)) from exc

    def _check_version(self, version: Any) -> None:
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self._corrupt(f"version {version!r} is not a positive integer")
        if version > STATE_VERSION:
            raise StateError(
                f"state at {self.path} has version {version}, newer than this reconcile understands "
                f"(up to {STATE_VERSION}): upgrade reconcile; the file was left untouched"
            )

    def _corrupt(self, what: str) -> StateError:
        return StateError(
            f"state at {self.path} is not a valid state file: {what}; the file was left untouched. "
            f"Restore it from {self.backup_path.name} or from version control (`git`)"
        )

    # -- writing -------------------------------------------------------------------------------------

    def write(self, state: State) -> State:
        """Persist ``state`` atomically and return it with the serial bumped by one."""
        with self._write_guard:
            self._check_writable(state, self._stored_head())
            written = state.model_copy(update={"serial": state.serial + 1})
            payload = render_state(written.model_dump(mode="json"))
            try:
                self._replace_file(payload.encode("utf-8"))
                self._last_written = (self._signature(), written.lineage, written.serial)
            except OSError as exc:
                raise StateError(
                    f"could not write state at {self.path}: {exc.strerror or exc}; the previous version is intact"
                ) from exc
            return written

    def _signature(self) -> tuple[int, int, int]:
        stat = self.path.stat()
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _stored_head(self) -> tuple[str, int] | None:
        """(lineage, serial) of the stored file, None if there is none; parsed only if someone else may
        have written it since this instance did."""
        if self._last_written is not None:
            signature, lineage, serial = self._last_written
            with contextlib.suppress(OSError):
                if self._signature() == signature:
                    return lineage, serial
        stored = self._read_stored()
        return (stored.lineage, stored.serial) if stored is not None else None

    def _check_writable(self, state: State, stored: tuple[str, int] | None) -> None:
        if stored is None:
            if state.serial != 0:
                raise StateError(
                    f"state at {self.path} no longer exists but this run read serial {state.serial}: "
                    f"refusing to start over; restore it from {self.backup_path.name}"
                )
            return
        stored_lineage, stored_serial = stored
        if stored_lineage != state.lineage:
            raise StateError(
                f"state at {self.path} belongs to lineage {stored_lineage}, this run has {state.lineage}: "
                "refusing to overwrite"
            )
        if stored_serial != state.serial:
            raise StateError(
                f"state at {self.path} is at serial {stored_serial} but this run read serial "
                f"{state.serial}: someone wrote it in between; run again to start from the current state"
            )

    def _replace_file(self, payload: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temps: list[Path] = []
        try:
            temp = self._temp_path("new", temps)
            _write_synced(temp, payload)
            if self.path.exists():
                self._keep_backup(temps)
            os.replace(temp, self.path)
            temps.remove(temp)
            fsync_directory(self.path.parent)
        finally:
            for leftover in temps:
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    def _keep_backup(self, temps: list[Path]) -> None:
        staged = self._temp_path("backup", temps)
        try:
            os.link(self.path, staged)
        except OSError:
            shutil.copyfile(self.path, staged)
        os.replace(staged, self.backup_path)
        temps.remove(staged)

    def _temp_path(self, purpose: str, temps: list[Path]) -> Path:
        temp = self.path.with_name(f".{self.path.name}.{purpose}.{uuid.uuid4().hex}.tmp")
        temps.append(temp)
        return temp

    # -- locking -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, operation: str, timeout: float = 0.0) -> Iterator[HeldLock]:
        """Hold the state lock for ``operation``; wait up to ``timeout`` seconds for another holder."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        os_lock = FileLock(self.lock_path)
        try:
            os_lock.acquire(timeout=max(timeout, 0.0), blocking=timeout > 0)
        except Timeout:
            raise self._held_error() from None
        try:
            held = self._take_over(operation)
        except BaseException:
            os_lock.release()
            raise
        try:
            yield held
        finally:
            self._remove_info(held.id)
            os_lock.release()

    def _take_over(self, operation: str) -> HeldLock:
        previous = self.lock_info()
        held = HeldLock(**new_lock_info(operation).model_dump(), replaced=previous)
        if previous is not None:
            self.warnings.append(
                f"took over the lock on {self.path} left by {describe_holder(previous)}, whose process is gone"
            )
        _write_atomic(self.info_path, LockInfo(**held.model_dump(exclude={"replaced"})).model_dump_json())
        return held

    def _remove_info(self, lock_id: str) -> None:
        current = self.lock_info()
        if current is not None and current.id == lock_id:
            with contextlib.suppress(FileNotFoundError):
                self.info_path.unlink()

    def _held_error(self) -> StateLockError:
        info = self.lock_info()
        if info is None:
            return StateLockError(
                f"state at {self.path} is locked by another process that has not recorded itself yet "
                f"(lock file {self.lock_path}): wait for it and run again"
            )
        return StateLockError(
            f"state at {self.path} is locked by {describe_holder(info)}: wait for it, or if that process "
            f"is gone run `reconcile state unlock {info.id}`"
        )

    def lock_info(self) -> LockInfo | None:
        """Who holds (or last held, if it died) the lock; None when nobody does."""
        try:
            raw = self.info_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return LockInfo.model_validate_json(raw)
        except ValidationError:
            self.warnings.append(f"ignored unreadable lock info at {self.info_path}")
            return None

    def is_stale(self, info: LockInfo) -> bool:
        """True if the holder is gone: the OS lock is free, or the pid is dead on this very host."""
        if info.host == socket.gethostname() and not _pid_alive(info.pid):
            return True
        return self._os_lock_free()

    def _os_lock_free(self) -> bool:
        probe = FileLock(self.lock_path)
        try:
            probe.acquire(blocking=False)
        except Timeout:
            return False
        probe.release()
        return True

    def unlock(self, lock_id: str) -> None:
        """Clear the lock record ``lock_id`` left by a dead holder; never breaks a live lock."""
        info = self.lock_info()
        if info is None:
            raise StateLockError(f"state at {self.path} is not locked: nothing to unlock")
        if info.id != lock_id:
            raise StateLockError(
                f"lock id {lock_id} does not match the lock on {self.path}, which is held by {describe_holder(info)}"
            )
        if not self._os_lock_free():
            raise StateLockError(
                f"refusing to unlock {self.path}: it is held by a live process ({describe_holder(info)}); "
                "wait for it to finish"
            )
        with contextlib.suppress(FileNotFoundError):
            self.info_path.unlink()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _summarise(exc: ValidationError) -> str:
    shown = [plain_validation_problem(err, "the state") for err in exc.errors()[:3]]
    more = exc.error_count() - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def _write_synced(path: Path, payload: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        _write_synced(temp, text.encode("utf-8"))
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def fsync_directory(directory: Path) -> None:
    """Make a rename or file creation in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def render_state(data: dict[str, Any]) -> str:
    """Sorted-keys JSON of a state document, indented down to ``orgs.<org>.resources``, each resource
    entry on one line. ``json.loads`` of the result equals ``data``."""
    orgs = data.get("orgs", {})
    fields = {key: _compact(value) for key, value in data.items() if key != "orgs"}
    fields["orgs"] = _block({name: _render_org(orgs[name], "    ") for name in orgs}, "  ")
    return _block(fields, "") + "\n"


def _render_org(org: dict[str, Any], indent: str) -> str:
    resources = org.get("resources", {})
    fields = {key: _compact(value) for key, value in org.items() if key != "resources"}
    fields["resources"] = _block({address: _compact(entry) for address, entry in resources.items()}, indent + "  ")
    return _block(fields, indent)


def _block(rendered: dict[str, str], indent: str) -> str:
    """A JSON object of already rendered values, one key per line, keys sorted."""
    if not rendered:
        return "{}"
    rows = [f"{indent}  {json.dumps(key, ensure_ascii=False)}: {rendered[key]}" for key in sorted(rendered)]
    return "{\n" + ",\n".join(rows) + f"\n{indent}}}"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
