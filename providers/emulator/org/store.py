"""One org's data, loaded from and persisted to an org file.

Contract:
- Thread-safe: every public method takes ``lock`` (a re-entrant lock); a request handler holds it around
  its whole read-modify-write so concurrent requests are serialised.
- Records use Salesforce field names; keys starting with ``_`` are internal and never sent on the wire.
- Ids are valid 18-character Salesforce ids with the object's key prefix; ``get`` accepts 15 or 18.
- ``delete`` keeps a tombstone (``is_deleted``), so a second delete can answer ENTITY_IS_DELETED.
- ``commit`` writes the org file atomically (temp file, fsync, rename); call it once per mutating request.
- ``transaction()`` records undo steps so an all-or-none request can ``rollback`` what it did.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import ids
from .data import OrgData
from .file import to_document, write_atomically
from .seed import build_tables

Record = dict[str, Any]
_Undo = tuple[str, str, str, Record | None]


class Transaction:
    """Undo log of one request; ``rollback`` restores every record it touched, newest first."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.steps: list[_Undo] = []

    def rollback(self) -> None:
        with self.store.lock:
            for action, sobject, record_id, before in reversed(self.steps):
                table = self.store.table(sobject)
                if action == "insert":
                    table.pop(record_id, None)
                else:
                    table[record_id] = before if before is not None else {}
                if action == "delete":
                    self.store.deleted.pop(record_id, None)
            self.steps.clear()


class Store:
    """An org's tables (object API name -> Id -> record) plus tombstones, bound to an org file."""

    def __init__(self, path: Path, data: OrgData) -> None:
        self.lock = threading.RLock()
        self.path = path
        self.data = data
        self.org_name = data.org_name
        self.org_id: str = next(iter(data.tables["Organization"]))
        self._prefixes = self._prefix_map()
        self._counters: dict[str, int] = {}
        self._transaction: Transaction | None = None

    @classmethod
    def load(cls, path: Path) -> Store:
        """Load a seed (ids assigned deterministically) or a live org file (ids kept) from ``path``."""
        document = json.loads(path.read_text(encoding="utf-8"))
        return cls(path, build_tables(document))

    @classmethod
    def create(cls, seed: Path, data: Path) -> Store:
        """Make the live org file ``data`` from ``seed`` (replacing it) and return its store. Each live file
        is its own org: its Organization Id takes the file's name unless the seed gives one."""
        document = json.loads(seed.read_text(encoding="utf-8"))
        store = cls(data, build_tables(document, instance=data.stem))
        store.commit()
        return store

    @property
    def deleted(self) -> dict[str, str]:
        """Tombstones: deleted id -> object API name."""
        return self.data.deleted

    @property
    def organization(self) -> Record:
        return next(iter(self.data.tables["Organization"].values()))

    @property
    def daily_api_limit(self) -> int:
        return int(self.organization["_daily_api_limit"])

    @property
    def session_seconds(self) -> float:
        """Idle seconds after which a session expires (Session Settings' timeout; two hours by default)."""
        return float(self.organization.get("_session_timeout_minutes") or 120) * 60

    def sobjects(self) -> list[str]:
        """API names of every table (object types this org has)."""
        return list(self.data.tables)

    def resolve(self, sobject: str) -> str | None:
        """The table's API name spelled as the org spells it (case-insensitive match), or None."""
        if sobject in self.data.tables:
            return sobject
        lowered = sobject.lower()
        return next((name for name in self.data.tables if name.lower() == lowered), None)

    def table(self, sobject: str) -> dict[str, Record]:
        """Id -> record for ``sobject``; KeyError for an unknown type."""
        return self.data.tables[sobject]

    def key_prefix(self, sobject: str) -> str | None:
        return next((prefix for prefix, name in self._prefixes.items() if name == sobject), None)

    def type_of(self, record_id: str) -> str | None:
        """The object type an id's key prefix names in this org, or None."""
        return self._prefixes.get(record_id[:3])

    def get(self, sobject: str, record_id: str) -> Record | None:
        """The record with this 15- or 18-character Id (or DurableId), or None."""
        with self.lock:
            table = self.data.tables.get(sobject, {})
            if record_id in table:
                return table[record_id]
            if len(record_id) == 15 and ids.is_well_formed(record_id):
                return table.get(ids.to_18(record_id))
            return None

    def locate(self, record_id: str) -> tuple[str, Record] | None:
        """(type, record) of a live id of any type, or None."""
        sobject = self.type_of(record_id)
        record = self.get(sobject, record_id) if sobject else None
        return (sobject, record) if sobject and record is not None else None

    def is_deleted(self, record_id: str) -> bool:
        return ids.to_18(record_id) in self.data.deleted if ids.is_well_formed(record_id) else False

    def find(self, sobject: str, **equals: Any) -> list[Record]:
        """Records whose fields equal ``equals`` (strings compared case-insensitively)."""
        wanted = {k: v.lower() if isinstance(v, str) else v for k, v in equals.items()}
        with self.lock:
            return [r for r in self.table(sobject).values() if all(_same(r.get(k), v) for k, v in wanted.items())]

    def insert(self, sobject: str, fields: Record) -> str:
        """Add a record with a new valid 18-character Id (``fields`` must not carry one); return the Id."""
        with self.lock:
            table = self.table(sobject)
            record_id = self._new_id(sobject)
            table[record_id] = {"Id": record_id, **{k: v for k, v in fields.items() if k != "Id"}}
            self._log("insert", sobject, record_id, None)
            return record_id

    def update(self, sobject: str, record_id: str, fields: Record) -> None:
        """Merge ``fields`` into the record (KeyError when it does not exist); the Id never changes."""
        with self.lock:
            record = self.get(sobject, record_id)
            if record is None:
                raise KeyError(record_id)
            self._log("update", sobject, record["Id"], copy.deepcopy(record))
            record.update({k: v for k, v in fields.items() if k != "Id"})

    def delete(self, sobject: str, record_id: str) -> None:
        """Remove the record (KeyError when it does not exist) and keep a tombstone for its Id."""
        with self.lock:
            record = self.get(sobject, record_id)
            if record is None:
                raise KeyError(record_id)
            self._log("delete", sobject, record["Id"], record)
            del self.table(sobject)[record["Id"]]
            self.data.deleted[record["Id"]] = sobject

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the lock and record undo steps for the block; the caller decides to ``rollback``."""
        with self.lock:
            outer, self._transaction = self._transaction, Transaction(self)
            try:
                yield self._transaction
            finally:
                if outer is not None:
                    outer.steps.extend(self._transaction.steps)
                self._transaction = outer

    def commit(self) -> None:
        """Write the org file atomically (temp file, fsync, rename)."""
        with self.lock:
            write_atomically(self.path, to_document(self.data))

    def _log(self, action: str, sobject: str, record_id: str, before: Record | None) -> None:
        if self._transaction is not None:
            self._transaction.steps.append((action, sobject, record_id, before))

    def _new_id(self, sobject: str) -> str:
        prefix = self.key_prefix(sobject) or ids.custom_object_prefix(sobject)
        table = self.table(sobject)
        counter = self._counters.get(sobject, len(table) + len(self.data.deleted))
        while True:
            counter += 1
            candidate = ids.mint(prefix, self.org_name, sobject, f"new#{counter}")
            if candidate not in table and candidate not in self.data.deleted:
                self._counters[sobject] = counter
                return candidate

    def _prefix_map(self) -> dict[str, str]:
        prefixes = {prefix: name for name, prefix in ids.KEY_PREFIXES.items() if name in self.data.tables}
        for entity in self.data.tables["EntityDefinition"].values():
            prefixes[entity["_key_prefix"]] = entity["QualifiedApiName"]
        return prefixes


def _same(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.lower() == wanted
    return bool(actual == wanted)
