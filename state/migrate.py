"""Moving a state and its journal from one backend to another (``reconcile state migrate``).

Contract: the caller holds the lock of both backends. ``migrate_state`` reads the source, refuses a
target that was already written under another lineage (``StateError``; nothing is changed), writes the
source's orgs to the target under the source's lineage, and reads the target back: the documents must
equal the source's, else ``StateError``. The source is left as it was. Journal records the target does
not hold yet are appended in order (so running it again appends nothing), then checked to be present.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from reconcile.errors import StateError
from state.base import State, StateBackend
from state.journal import JournalStore, _encode


@dataclass(frozen=True)
class Migration:
    """What was moved: orgs and resources, the target's serial after the write, journal records copied."""

    source: str
    target: str
    lineage: str
    orgs: int
    resources: int
    serial: int
    journal_copied: int
    journal_total: int


def migrate_state(
    source: StateBackend, target: StateBackend, source_journal: JournalStore, target_journal: JournalStore
) -> Migration:
    """Copy ``source`` (and its journal) to ``target``; see the module docstring."""
    current = source.read()
    existing = target.read()
    _check_target(current, existing, target.describe())
    written = target.write(State(lineage=current.lineage, serial=existing.serial, orgs=current.orgs))
    _verify(current, target.read(), target.describe())
    copied, total = _copy_journal(source_journal, target_journal, target.describe())
    return Migration(
        source=source.describe(),
        target=target.describe(),
        lineage=current.lineage,
        orgs=len(current.orgs),
        resources=sum(len(org.resources) for org in current.orgs.values()),
        serial=written.serial,
        journal_copied=copied,
        journal_total=total,
    )


def _check_target(source: State, target: State, where: str) -> None:
    if target.serial > 0 and target.lineage != source.lineage:
        raise StateError(
            f"the state at {where} already holds {len(target.orgs)} org(s) of lineage {target.lineage} "
            f"(serial {target.serial}), not the migrated lineage {source.lineage}: refusing to overwrite it"
        )


def _verify(source: State, readback: State, where: str) -> None:
    if readback.lineage != source.lineage or _documents(readback) != _documents(source):
        raise StateError(
            f"the state read back from {where} differs from the one migrated: keep using the current backend "
            "and report this"
        )


def _documents(state: State) -> dict[str, Any]:
    return {org: value.model_dump(mode="json") for org, value in state.orgs.items()}


def _copy_journal(source: JournalStore, target: JournalStore, where: str) -> tuple[int, int]:
    present = Counter(_canonical(record) for record in target.read())
    missing: list[dict[str, Any]] = []
    records = source.read()
    for record in records:
        key = _canonical(record)
        if present[key] > 0:
            present[key] -= 1
        else:
            missing.append(record)
    for record in missing:
        target.append(record)
    held = Counter(_canonical(record) for record in target.read())
    if Counter(_canonical(record) for record in records) - held:
        raise StateError(f"the journal at {where} is missing records after the migration")
    return len(missing), len(records)


def _canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=_encode)
