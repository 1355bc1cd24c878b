"""Building the state backend and the journal a configuration's ``[state]`` table asks for.

- ``backend = "local"``: ``LocalStateBackend`` on ``path`` and the JSON Lines ``Journal`` beside it
  (``history.jsonl``).
- ``backend = "postgres"``: ``PostgresStateBackend`` and ``PgJournal``. The connection string is read
  from the environment variable named by ``dsn_env``, never from the TOML; a missing or empty variable
  is a ``StateError`` naming the variable (the value is never shown). ``path`` names the workspace in
  the database: the default path is the workspace ``default``, any other path string is used as is
  (unresolved, so every checkout of one configuration shares one workspace).

psycopg is an optional dependency (``pip install 'sf-reconcile[postgres]'``), imported only when the
postgres backend is asked for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from reconcile.errors import StateError
from state.base import LockInfo, StateBackend
from state.journal import Journal, JournalStore
from state.local import LocalStateBackend
from state.settings import BackendName, StateSettings

DEFAULT_WORKSPACE = "default"
JOURNAL_FILE = "history.jsonl"


@runtime_checkable
class OrgLockingBackend(Protocol):
    """A backend that can lock some orgs of its state rather than all of it."""

    def lock_orgs(
        self, orgs: Sequence[str], operation: str, timeout: float = 0.0
    ) -> AbstractContextManager[LockInfo]: ...


def workspace_name(settings: StateSettings) -> str:
    """The workspace a configuration's state is kept under in a shared database."""
    default_path = StateSettings.model_fields["path"].default
    return DEFAULT_WORKSPACE if settings.path == default_path else settings.path


def dsn_from_env(settings: StateSettings, environ: Mapping[str, str] | None = None) -> str:
    """The connection string held by the variable ``settings.dsn_env``; ``StateError`` if unset."""
    value = (os.environ if environ is None else environ).get(settings.dsn_env, "")
    if not value.strip():
        raise StateError(
            f'[state] backend = "postgres" reads its connection string from the environment variable '
            f"{settings.dsn_env}, which is not set: export it (e.g. {settings.dsn_env}="
            "postgresql://user@host/dbname, the password in ~/.pgpass or PGPASSWORD)"
        )
    return value


def backend_for(
    settings: StateSettings, root: Path | None = None, *, backend: BackendName | None = None
) -> StateBackend:
    """The state backend of ``settings`` (or of ``backend``, to reach the other kind, e.g. to migrate).
    A relative state path is resolved against ``root``."""
    kind = backend or settings.backend
    if kind == "local":
        return LocalStateBackend(_local_path(settings, root))
    from state.postgres.backend import PostgresStateBackend

    return PostgresStateBackend(dsn_from_env(settings), workspace_name(settings))


def journal_for(
    settings: StateSettings, root: Path | None = None, *, backend: BackendName | None = None
) -> JournalStore:
    """The execution journal kept with the state of ``settings`` (or of ``backend``)."""
    kind = backend or settings.backend
    if kind == "local":
        return Journal(_local_path(settings, root).parent / JOURNAL_FILE)
    from state.postgres.journal import PgJournal

    return PgJournal(dsn_from_env(settings), workspace_name(settings))


def lock_orgs(
    backend: StateBackend, orgs: Sequence[str], operation: str, timeout: float = 0.0
) -> AbstractContextManager[LockInfo]:
    """Lock ``orgs`` on a backend that locks per org, else the whole state (a local file has one lock)."""
    if isinstance(backend, OrgLockingBackend):
        return backend.lock_orgs(orgs, operation, timeout)
    return backend.lock(operation, timeout)


def _local_path(settings: StateSettings, root: Path | None) -> Path:
    path = settings.state_path
    return root / path if root is not None and not path.is_absolute() else path
