"""State kept in local JSON files, guarded by an OS-level lock.

Layout next to ``state.json`` (the head, naming one content-addressed file per org under
``state.json.d/``; see ``state.local_files``):

- ``state.json.backup``: the previous head, replaced atomically on every write (the org files it names
  are kept until the backup after it replaces it).
- ``state.json.lock``: the file the OS lock (``flock``) is taken on; the kernel releases it when the
  holder dies, however it dies.
- ``state.json.lock.info``: who holds the lock (a JSON ``LockInfo``), written after acquiring and removed
  before releasing. One left behind while the OS lock is free means its holder was killed.

A write renders and writes only the orgs that changed, then replaces the head: its cost follows what
changed, not the size of the fleet. A version 1 file (the whole state in one file) is read as before and
migrated by the next write.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pydantic import ValidationError

from reconcile.errors import StateError, StateLockError, plain_validation_problem
from state.base import STATE_VERSION, HeldLock, LockInfo, State, describe_holder, new_lock_info, refuse_partial
from state.local_files import (
    FILE_VERSION,
    MissingOrgFile,
    fsync_directory,
    is_reference,
    org_dir_name,
    read_org_file,
    remove_org_files,
    render_head,
    render_org,
    write_atomic,
    write_org_file,
    write_synced,
)

_REQUIRED_KEYS = ("version", "lineage", "serial")
_READ_ATTEMPTS = 5


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
        self._last_written: tuple[tuple[int, int, int], str, int, dict[str, str]] | None = None

    def describe(self) -> str:
        return str(self.path)

    # -- reading -------------------------------------------------------------------------------------

    def read(self) -> State:
        """The stored state, or a fresh empty one (not yet persisted) if the file does not exist."""
        stored = self._read_stored()
        return stored if stored is not None else State()

    def read_orgs(self, orgs: Collection[str]) -> State:
        """The stored state with the entries of ``orgs`` only: a version 2 head names one file per org,
        and the other orgs' files are not read (see ``state.base.read_orgs``)."""
        stored = self._read_stored(frozenset(orgs))
        return stored if stored is not None else State()

    def _read_stored(self, only: frozenset[str] | None = None) -> State | None:
        for _ in range(_READ_ATTEMPTS):
            raw = self._read_head_bytes()
            if raw is None:
                return None
            try:
                return self._parse(raw, only)
            except MissingOrgFile as missing:
                if self._read_head_bytes() == raw:  # not a writer replacing it under us: really missing
                    raise self._corrupt(f"the org file {missing} it names is missing") from None
        raise StateError(f"state at {self.path} kept changing while it was read: run again")

    def _read_head_bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read state at {self.path}: {exc.strerror or exc}") from exc

    def _load(self, raw: bytes) -> dict[str, Any]:
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
        return data

    def _parse(self, raw: bytes, only: frozenset[str] | None = None) -> State:
        data = self._load(raw)
        if data["version"] >= FILE_VERSION:
            references = self._references(data)
            orgs: dict[str, Any] = {}
            for org, reference in references.items():
                if only is not None and org not in only:
                    continue
                try:
                    orgs[org] = read_org_file(self.path, reference)
                except (ValueError, UnicodeDecodeError, OSError) as exc:
                    raise self._corrupt(f"org {org}: {exc}") from exc
            data = {**data, "version": STATE_VERSION, "orgs": orgs}
        try:
            return State.model_validate(data)
        except ValidationError as exc:
            raise self._corrupt(_summarise(exc)) from exc

    def _references(self, data: dict[str, Any]) -> dict[str, str]:
        """The org file references of a version 2 head (checked to be files of an org directory)."""
        orgs = data.get("orgs", {})
        if not isinstance(orgs, dict) or not all(isinstance(ref, str) and is_reference(ref) for ref in orgs.values()):
            raise self._corrupt(f"orgs must map each org to a file under {org_dir_name(self.path)}/")
        return orgs

    def _check_version(self, version: Any) -> None:
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self._corrupt(f"version {version!r} is not a positive integer")
        if version > FILE_VERSION:
            raise StateError(
                f"state at {self.path} has version {version}, newer than this reconcile understands "
                f"(up to {FILE_VERSION}): upgrade reconcile; the file was left untouched"
            )

    def _corrupt(self, what: str) -> StateError:
        return StateError(
            f"state at {self.path} is not a valid state file: {what}; the file was left untouched. "
            f"Restore it from {self.backup_path.name} or from version control (`git`)"
        )

    # -- writing -------------------------------------------------------------------------------------

    def write(self, state: State, changed: Collection[str] | None = None) -> State:
        """Persist ``state`` atomically and return it with the serial bumped by one.

        ``changed`` (optional) names the orgs that differ from the stored state this one was read at;
        only their files are written (with None, every org is rendered and only files whose content is
        new are written). The head is replaced last, so a crash leaves the old state or the new one."""
        with self._write_guard:
            head = self._stored_head()
            self._check_writable(state, head[:2] if head is not None else None)
            written = state.model_copy(update={"serial": state.serial + 1})
            before = head[2] if head is not None else {}
            try:
                references = self._write_orgs(written, before, changed)
                discarded = self._backup_references()
                payload = render_head(written.lineage, written.serial, references)
                self._replace_file(payload.encode("utf-8"))
                self._last_written = (self._signature(), written.lineage, written.serial, references)
            except OSError as exc:
                raise StateError(
                    f"could not write state at {self.path}: {exc.strerror or exc}; the previous version is intact"
                ) from exc
            # files only the discarded backup named: neither the new head nor its backup (the old head) does
            remove_org_files(self.path, discarded - set(before.values()) - set(references.values()))
            return written

    def _write_orgs(self, state: State, before: dict[str, str], changed: Collection[str] | None) -> dict[str, str]:
        references: dict[str, str] = {}
        wrote = False
        for org, org_state in state.orgs.items():
            if changed is not None and org not in changed and org in before:
                references[org] = before[org]
                continue
            text = render_org(org_state.model_dump(mode="json")).encode("utf-8")
            references[org] = write_org_file(self.path, org, text)
            wrote = wrote or references[org] != before.get(org)
        if wrote:
            fsync_directory(self.path.parent / org_dir_name(self.path))
        return references

    def _backup_references(self) -> set[str]:
        """The org files the current backup names (none for a version 1 backup or an unreadable one)."""
        try:
            data = json.loads(self.backup_path.read_bytes())
        except (OSError, ValueError):
            return set()
        orgs = data.get("orgs") if isinstance(data, dict) and data.get("version") == FILE_VERSION else None
        return {ref for ref in orgs.values() if isinstance(ref, str)} if isinstance(orgs, dict) else set()

    def _signature(self) -> tuple[int, int, int]:
        stat = self.path.stat()
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _stored_head(self) -> tuple[str, int, dict[str, str]] | None:
        """(lineage, serial, org file references) of the stored head, None if there is none; a version 1
        file has no references. Parsed only if someone else may have written it since this instance did."""
        if self._last_written is not None:
            signature, lineage, serial, references = self._last_written
            with contextlib.suppress(OSError):
                if self._signature() == signature:
                    return lineage, serial, references
        raw = self._read_head_bytes()
        if raw is None:
            return None
        data = self._load(raw)
        if data["version"] < FILE_VERSION:
            stored = self._parse(raw)  # the whole version 1 file, validated before it is replaced
            return stored.lineage, stored.serial, {}
        if not isinstance(data["lineage"], str) or not isinstance(data["serial"], int):
            raise self._corrupt("lineage must be a string and serial an integer")
        return data["lineage"], data["serial"], self._references(data)

    def _check_writable(self, state: State, stored: tuple[str, int] | None) -> None:
        refuse_partial(state)
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
            write_synced(temp, payload)
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
        write_atomic(self.info_path, LockInfo(**held.model_dump(exclude={"replaced"})).model_dump_json())
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
