"""Whole Metadata API components of one type, read, listed, saved and deleted by fullName in batches.

For kinds whose resource is one small component (``RemoteSiteSetting``, ``NamedCredential``):

- ``read(transport, type, names)``: ``readMetadata``, 10 names a call; fullName (casefolded) -> the zeep
  component for the names the org has (an unknown name comes back nil and is left out).
- ``list_all(transport, type, known)``: ``listMetadata`` once, then ``read`` of every listed name not in
  ``known`` (components read before).
- ``read_resources(transport, type, kind, keys, live, make)`` / ``inventory(transport, type, kind, make)``:
  the same reads as resources of ``kind``, keyed as asked (``make(key, component)`` builds one); the
  first also keeps what it read in ``live``.
- ``save(transport, operation, components)`` / ``delete(transport, type, names)``: ``upsertMetadata``,
  ``updateMetadata`` or ``deleteMetadata``, 10 a call; one ``Outcome`` per component, in order, mapped
  back by fullName (by position when the org leaves it out). A failed component is an outcome, never an
  exception. All three are replay-safe: writing the same component or deleting it twice ends the same.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from providers.salesforce.schema import zeep_list
from providers.salesforce.transport import Transport
from reconcile.model import Address, Resource

#: Builds a kind's resource from its key and its live component.
Make = Callable[[str, Any], Resource]

BATCH = 10


@dataclass(frozen=True)
class Outcome:
    """What the org said about one written or deleted component."""

    full_name: str
    ok: bool
    code: str = ""
    message: str = ""
    created: bool = False


def read(transport: Transport, type_name: str, names: Iterable[str]) -> dict[str, Any]:
    wanted = list(dict.fromkeys(names))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), BATCH):
        answer = transport.metadata("readMetadata", type_name, wanted[start : start + BATCH])
        records = getattr(answer, "records", answer)
        for record in zeep_list(records):
            if record is not None and getattr(record, "fullName", None):
                found[str(record.fullName).casefold()] = record
    return found


def list_all(transport: Transport, type_name: str, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every component of the type (casefolded fullName -> component); those in ``known`` (keyed the
    same way, read before) are taken from it, not read again."""
    query = transport.metadata_type("ListMetadataQuery")(type=type_name)
    answer = transport.metadata("listMetadata", [query], transport.session.api_version)
    names = sorted(str(item.fullName) for item in zeep_list(answer))
    known = known or {}
    found = {name.casefold(): known[name.casefold()] for name in names if name.casefold() in known}
    unread = [name for name in names if name.casefold() not in known]
    return found | (read(transport, type_name, unread) if unread else {})


def read_resources(
    transport: Transport, type_name: str, kind: str, keys: Collection[str], live: MutableMapping[str, Any], make: Make
) -> dict[Address, Resource]:
    """The resources of ``kind`` the org has among ``keys`` (keyed as asked); what was read goes to ``live``."""
    live.update(read(transport, type_name, keys))
    return {Address(kind, key): make(key, live[key.casefold()]) for key in keys if key.casefold() in live}


def inventory(transport: Transport, type_name: str, kind: str, make: Make) -> dict[Address, Resource]:
    """Every component of the type as a resource of ``kind``, sorted by address."""
    listed = list_all(transport, type_name)
    found = {Address(kind, str(c.fullName)): make(str(c.fullName), c) for c in listed.values()}
    return dict(sorted(found.items()))


def save(transport: Transport, operation: str, components: Sequence[Any]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for start in range(0, len(components), BATCH):
        chunk = components[start : start + BATCH]
        answer = zeep_list(transport.metadata(operation, list(chunk)))
        outcomes.extend(_outcome(answer, position, str(c.fullName)) for position, c in enumerate(chunk))
    return outcomes


def delete(transport: Transport, type_name: str, names: Sequence[str]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for start in range(0, len(names), BATCH):
        chunk = list(names[start : start + BATCH])
        answer = zeep_list(transport.metadata("deleteMetadata", type_name, chunk))
        outcomes.extend(_outcome(answer, position, name) for position, name in enumerate(chunk))
    return outcomes


def _outcome(answer: list[Any], position: int, full_name: str) -> Outcome:
    match = next((r for r in answer if str(getattr(r, "fullName", "") or "").casefold() == full_name.casefold()), None)
    if match is None and position < len(answer):
        match = answer[position]
    if match is None:
        return Outcome(full_name, False, "NO_RESULT", "the Metadata API returned no result for this component")
    created = getattr(match, "created", None) in (True, "true")
    if match.success in (True, "true"):
        return Outcome(full_name, True, created=created)
    errors = zeep_list(match.errors)
    first = errors[0] if errors else None
    code = str(getattr(first, "statusCode", "") or "UNKNOWN_ERROR")
    return Outcome(full_name, False, code, str(getattr(first, "message", "") or ""))
