"""The execution journal in PostgreSQL: the ``reconcile_journal`` table, used with the postgres backend.

Same interface and record rules as ``state.journal.Journal``: records are JSON objects whose shape the
caller defines, written whole or not at all (one ``INSERT`` each), read back oldest first. The table is
append-only: a trigger refuses every ``UPDATE``, ``DELETE`` and ``TRUNCATE``. Nothing is redacted here:
callers must never put credentials, session ids or other secrets in a record.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, LiteralString

import psycopg

from state.journal import _encode
from state.postgres.schema import Connection, connect, database_error, redact_dsn


class PgJournal:
    """The journal of one workspace, safe for concurrent writers (threads, processes, hosts).

    Contract: ``append`` commits exactly one record or raises ``StateError``; ``read`` returns records
    oldest first (in commit-id order), only those whose ``run_id`` matches if given, the last ``limit`` if
    given. ``warnings`` exists for parity with ``Journal``: rows are ``jsonb`` objects, never torn.
    """

    def __init__(self, dsn: str, workspace: str = "default") -> None:
        self.dsn = dsn
        self.workspace = workspace
        self.where = f"the journal of workspace {workspace!r} in {redact_dsn(dsn)}"
        self.warnings: list[str] = []
        self._guard = threading.Lock()
        self._connection: Connection | None = None

    def append(self, record: Mapping[str, Any]) -> None:
        """Add ``record`` as the newest record of the journal."""
        payload = json.dumps(record, sort_keys=True, ensure_ascii=False, default=_encode)
        run_id = record.get("run_id")
        self._execute(
            "append to",
            "INSERT INTO reconcile_journal (workspace, run_id, record) VALUES (%s, %s, %s::jsonb)",
            (self.workspace, run_id if isinstance(run_id, str) else None, payload),
        )

    def read(self, limit: int | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
        """Records oldest first, only those whose ``run_id`` matches if given, the last ``limit`` if given."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be zero or more, got {limit}")
        if limit == 0:
            return []
        rows = self._execute(
            "read",
            "SELECT record FROM reconcile_journal WHERE workspace = %s AND (%s::text IS NULL OR run_id = %s)"
            " ORDER BY id DESC LIMIT %s",
            (self.workspace, run_id, run_id, limit),
        )
        return [row[0] for row in reversed(rows)]

    def close(self) -> None:
        with self._guard:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _execute(self, what: str, query: LiteralString, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._guard:
            if self._connection is None or self._connection.closed:
                self._connection = connect(self.dsn, autocommit=True)
            try:
                cursor = self._connection.execute(query, params)
                return cursor.fetchall() if cursor.description is not None else []
            except psycopg.Error as exc:
                if self._connection.broken:
                    self._connection = None
                raise database_error(f"could not {what} {self.where}", exc) from None
