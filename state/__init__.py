"""What the tool remembers between runs (DESIGN.md §8): the managed resources of every org, and the
execution journal.

- ``base``: the state models, the ``StateBackend`` protocol and its contract, lock records.
- ``local``: the state in a local JSON file; ``journal``: the ``JournalStore`` protocol and the JSON Lines
  journal beside that file.
- ``postgres/``: the state and the journal shared in PostgreSQL, with per-org locks.
- ``memory``: the state in memory, for tests and benchmarks.
- ``settings``: the ``[state]`` table of a configuration; ``factory`` builds the backend and journal it
  names; ``migrate`` moves a state and its journal from one backend to another.

Nothing here imports the configuration package or the engine beyond ``reconcile.errors``.
"""
