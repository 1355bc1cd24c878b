"""PostgreSQL plumbing shared by the state backend and the journal: connecting, the schema, redaction.

The tool owns its schema. ``ensure_schema`` creates the tables on first use and applies every migration
newer than the version recorded in ``reconcile_schema_version``, under a transaction-scoped advisory
lock so that runners starting together migrate once. A database whose schema is newer than this
reconcile understands is refused (``StateError``), never downgraded.

Connection strings carry passwords: they are never put in a message. ``redact_dsn`` is what messages
show, and connection failures are reported with the redacted form.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from typing import LiteralString
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from reconcile.errors import StateError

SCHEMA_VERSION = 1
WORKSPACE_SCOPE = "*"
"""The lock scope (in ``reconcile_lock.scope``) of a lock on a whole workspace; org names never use it."""

Connection = psycopg.Connection[TupleRow]
_MIGRATION_LOCK = 0x5EC0_C11E_5C4E_3A00
_REDACTED = "***"
_PASSWORD_SETTING = re.compile(r"\bpassword\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s']\S*)")

_MIGRATIONS: Sequence[tuple[int, Sequence[LiteralString]]] = (
    (
        1,
        (
            """CREATE TABLE reconcile_workspace (
            workspace text PRIMARY KEY,
            lineage text NOT NULL,
            serial bigint NOT NULL,
            version integer NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now())""",
            """CREATE TABLE reconcile_org_state (
            workspace text NOT NULL REFERENCES reconcile_workspace (workspace) ON DELETE CASCADE,
            org text NOT NULL,
            serial bigint NOT NULL,
            document jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (workspace, org))""",
            """CREATE TABLE reconcile_lock (
            workspace text NOT NULL,
            scope text NOT NULL,
            id text NOT NULL,
            operation text NOT NULL,
            holder text NOT NULL,
            pid integer NOT NULL,
            host text NOT NULL,
            created timestamptz NOT NULL,
            backend_pid integer NOT NULL,
            PRIMARY KEY (workspace, scope))""",
            "CREATE INDEX reconcile_lock_id ON reconcile_lock (workspace, id)",
            """CREATE TABLE reconcile_journal (
            id bigserial PRIMARY KEY,
            workspace text NOT NULL,
            run_id text,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            record jsonb NOT NULL)""",
            "CREATE INDEX reconcile_journal_run ON reconcile_journal (workspace, run_id, id)",
            """CREATE FUNCTION reconcile_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'reconcile_journal is append-only: records are never changed or removed';
            END $$""",
            """CREATE TRIGGER reconcile_journal_append_only BEFORE UPDATE OR DELETE ON reconcile_journal
            FOR EACH ROW EXECUTE FUNCTION reconcile_journal_append_only()""",
            """CREATE TRIGGER reconcile_journal_no_truncate BEFORE TRUNCATE ON reconcile_journal
            FOR EACH STATEMENT EXECUTE FUNCTION reconcile_journal_append_only()""",
        ),
    ),
)

_migrated: set[str] = set()
_migrated_guard = threading.Lock()


def redact_dsn(dsn: str) -> str:
    """``dsn`` with its password replaced by ``***`` (URL and ``key=value`` forms alike)."""
    if dsn.startswith(("postgres://", "postgresql://")):
        return _redact_url(dsn)
    try:
        conninfo_to_dict(dsn)
    except psycopg.Error:
        return "(a connection string that could not be parsed)"
    return _PASSWORD_SETTING.sub(f"password={_REDACTED}", dsn)


def _redact_url(dsn: str) -> str:
    try:
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if "@" in netloc:
            credentials, hosts = netloc.rsplit("@", 1)
            user = credentials.split(":", 1)[0]
            netloc = f"{user}:{_REDACTED}@{hosts}" if ":" in credentials else netloc
        query = urlencode(
            [(k, _REDACTED if k == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
            safe="*",
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "(a connection string that could not be parsed)"


def advisory_key(workspace: str, scope: str) -> int:
    """The 64-bit advisory lock key of ``scope`` (an org, or ``WORKSPACE_SCOPE``) in ``workspace``."""
    digest = hashlib.sha256(f"reconcile\0{workspace}\0{scope}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def connect(dsn: str, *, autocommit: bool) -> Connection:
    """A new connection with the schema in place; failures raise ``StateError`` with the DSN redacted."""
    try:
        connection = psycopg.connect(dsn, autocommit=autocommit, application_name="reconcile")
    except psycopg.Error as exc:
        raise StateError(f"cannot connect to the state database {redact_dsn(dsn)}: {_reason(exc)}") from None
    try:
        ensure_schema(connection, dsn)
    except BaseException:
        connection.close()
        raise
    return connection


def ensure_schema(connection: Connection, dsn: str) -> None:
    """Create or migrate the schema (once per process and DSN); refuse a schema newer than ours."""
    with _migrated_guard:
        if dsn in _migrated:
            return
        try:
            with connection.transaction():
                _migrate(connection, redact_dsn(dsn))
        except psycopg.Error as exc:
            raise database_error(f"could not prepare the state schema in {redact_dsn(dsn)}", exc) from None
        _migrated.add(dsn)


def _migrate(connection: Connection, where: str) -> None:
    connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
    connection.execute(
        "CREATE TABLE IF NOT EXISTS reconcile_schema_version ("
        " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    row = connection.execute("SELECT coalesce(max(version), 0) FROM reconcile_schema_version").fetchone()
    current = int(row[0]) if row else 0
    if current > SCHEMA_VERSION:
        raise StateError(
            f"the state schema in {where} is at version {current}, newer than this reconcile understands "
            f"(up to {SCHEMA_VERSION}): upgrade reconcile; the database was left untouched"
        )
    for version, statements in _MIGRATIONS:
        if version > current:
            for statement in statements:
                connection.execute(statement)
            connection.execute("INSERT INTO reconcile_schema_version (version) VALUES (%s)", (version,))


def schema_version(connection: Connection) -> int:
    """The schema version recorded in the database (0 if the tool never ran there)."""
    row = connection.execute(
        "SELECT CASE WHEN to_regclass('reconcile_schema_version') IS NULL THEN 0"
        " ELSE (SELECT coalesce(max(version), 0) FROM reconcile_schema_version) END"
    ).fetchone()
    return int(row[0]) if row else 0


def forget_migrated(dsn: str) -> None:
    """Make the next ``connect`` to ``dsn`` check the schema again (after it was changed elsewhere)."""
    with _migrated_guard:
        _migrated.discard(dsn)


def database_error(what: str, exc: psycopg.Error) -> StateError:
    """``StateError`` for a failed database operation; the message never holds the DSN."""
    return StateError(f"{what}: {_reason(exc)}")


def _reason(exc: psycopg.Error) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())
