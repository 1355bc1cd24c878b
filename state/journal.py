"""The execution journal: ``JournalStore``, the protocol every journal implements, and ``Journal``, the
append-only JSON Lines history kept next to a local state (``state.postgres.journal`` holds the shared one).

Records are plain JSON objects whose shape the caller defines (run id, who, when, org, events; see
``reconcile.history``); once written they are never rewritten. In the JSON Lines file every record is one
line. Nothing is redacted here: callers must never put credentials, session ids or other secrets in a
record.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock

from state.local_files import fsync_directory


class JournalStore(Protocol):
    """What every journal offers (``Journal``, ``PgJournal``): ``append`` one record; ``read`` the records
    back oldest first, only those whose ``run_id`` matches if given, the last ``limit`` if given; and
    ``warnings``, what reading skipped (torn or unreadable lines)."""

    warnings: list[str]

    def append(self, record: Mapping[str, Any]) -> None: ...

    def read(self, limit: int | None = None, run_id: str | None = None) -> list[dict[str, Any]]: ...


class Journal:
    """Append-only JSON Lines file, safe for concurrent writers (threads and processes).

    Contract: ``append`` writes exactly one whole line with ``O_APPEND``, flushed and fsynced, under an
    OS lock on ``<journal>.lock``, so concurrent appends never interleave. A line torn by a crash
    mid-append is skipped by ``read`` (with a message appended to ``warnings``), and the next append
    starts on a fresh line so the torn fragment never corrupts a later record.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.warnings: list[str] = []
        self._guard = threading.Lock()

    def append(self, record: Mapping[str, Any]) -> None:
        """Write ``record`` as the last line of the journal."""
        line = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_encode)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._guard, FileLock(self.lock_path):
            created = not self.path.exists()
            self._append_line(line.encode("utf-8"))
            if created:
                fsync_directory(self.path.parent)

    def _append_line(self, line: bytes) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            _write_all(fd, (b"\n" if torn else b"") + line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self, limit: int | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
        """Records oldest first, only those whose ``run_id`` matches if given, the last ``limit`` if given."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be zero or more, got {limit}")
        with self._guard, FileLock(self.lock_path):
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return []
        records = [r for r in self._parse(raw) if run_id is None or r.get("run_id") == run_id]
        if limit is None:
            return records
        return records[-limit:] if limit else []

    def _parse(self, raw: bytes) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for number, line in enumerate(raw.split(b"\n"), start=1):
            if not line.strip():
                continue
            record = self._parse_line(number, line)
            if record is not None:
                records.append(record)
        return records

    def _parse_line(self, number: int, line: bytes) -> dict[str, Any] | None:
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.warnings.append(f"{self.path}:{number}: skipped a torn or unreadable journal line")
            return None
        if not isinstance(record, dict):
            self.warnings.append(f"{self.path}:{number}: skipped a journal line that is not a JSON object")
            return None
        return record


def _encode(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"journal records hold JSON values and datetimes only, not {type(value).__name__}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
