"""The shared state backend on PostgreSQL (DESIGN.md §8), for teams and fleets of runners.

- ``backend``: ``PostgresStateBackend``, the ``StateBackend`` of one workspace (its orgs as ``jsonb``).
- ``locks``: whole-workspace and per-org locks (advisory locks, plus rows naming the holders).
- ``journal``: ``PgJournal``, the execution journal as an append-only table.
- ``schema``: connecting, the tool's own tables and their migrations, DSN redaction.

Every module here needs psycopg (``pip install 'sf-reconcile[postgres]'``); ``state.factory`` imports
them only when the postgres backend is asked for. This package imports nothing of its own modules, so
importing one of them loads only what it needs.
"""
