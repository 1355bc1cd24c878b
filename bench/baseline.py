"""The baseline: what an admin's script does today, record by record, with simple-salesforce.

Against a fresh emulated org of the same seed and latency, the script:

- grants: looks each permission set up once, then per grant ``sf.query`` for the user and
  ``sf.PermissionSetAssignment.create``;
- picklists: one Tooling query for the fields' ids, then per field a Tooling GET of the field and a
  PATCH of its Metadata with the new values appended;
- layouts: per profile a Metadata API ``Profile.read`` and a ``Profile.update`` of its assignments.

A full run would take many minutes, so the script runs on a slice (``fraction`` of each kind, at least
one of each) and every per-record cost is extrapolated linearly to the full size; the result says so.
Calls are counted by the emulator, the same way as for the engine.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from bench.fleet import Fleet
from bench.seeding import RECORD_TYPE, Names, Size, declared_values
from providers.emulator.embedded import EmulatorHandle

T = TypeVar("T")


@dataclass
class BaselinePart:
    """One kind's slice: records run and in full, the one-off lookup calls (not scaled) and the per-record
    calls (scaled by ``full_records / records``), with their wall seconds."""

    records: int
    full_records: int
    lookup_calls: Counter[str] = field(default_factory=Counter)
    lookup_seconds: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def scale(self) -> float:
        return self.full_records / self.records if self.records else 0.0

    @property
    def calls_full(self) -> int:
        return sum(self.lookup_calls.values()) + round(sum(self.calls.values()) * self.scale)

    @property
    def seconds_full(self) -> float:
        return self.lookup_seconds + self.seconds * self.scale

    def as_json(self) -> dict[str, Any]:
        return {
            "records_run": self.records,
            "records_full": self.full_records,
            "lookup_calls": dict(sorted(self.lookup_calls.items())),
            "calls_run": dict(sorted(self.calls.items())),
            "seconds_run": round(self.lookup_seconds + self.seconds, 3),
            "calls_full": self.calls_full,
            "seconds_full": round(self.seconds_full, 2),
        }


@dataclass
class BaselineResult:
    """The per-record script on a slice of scenario (a), extrapolated to the full size."""

    fraction: float
    latency_ms: int
    parts: dict[str, BaselinePart]

    @property
    def extrapolated(self) -> bool:
        return any(part.records < part.full_records for part in self.parts.values())

    @property
    def calls(self) -> int:
        return sum(p.calls_full for p in self.parts.values())

    @property
    def seconds(self) -> float:
        return sum(p.seconds_full for p in self.parts.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "fraction": self.fraction,
            "extrapolated": self.extrapolated,
            "latency_ms": self.latency_ms,
            "calls_full": self.calls,
            "seconds_full": round(self.seconds, 2),
            "parts": {name: part.as_json() for name, part in self.parts.items()},
        }


def _client(handle: EmulatorHandle) -> Salesforce:
    session = requests.Session()
    session.verify = str(handle.ca_cert)
    session.trust_env = False
    sf = Salesforce(
        instance_url=handle.instance_url, session_id=handle.access_token, version=handle.api_version, session=session
    )
    mdapi_session: Any = sf.mdapi._client.transport.session
    mdapi_session.verify = str(handle.ca_cert)
    mdapi_session.trust_env = False
    return sf


def _measured(handle: EmulatorHandle, work: Callable[[], T]) -> tuple[Counter[str], float, T]:
    """(calls the emulator counted, wall seconds, result) of ``work()``."""
    handle.reset_stats()
    started = time.perf_counter()
    result = work()
    return Counter(handle.stats()["requests"]), time.perf_counter() - started, result


def _permission_set_ids(sf: Salesforce, names: list[str]) -> dict[str, str]:
    return {
        name: sf.query(f"SELECT Id FROM PermissionSet WHERE Name = '{name}'")["records"][0]["Id"]
        for name in dict.fromkeys(names)
    }


def _grants(sf: Salesforce, grants: list[tuple[str, str]], sets: dict[str, str]) -> None:
    assignments: Any = sf.PermissionSetAssignment
    for permission_set, username in grants:
        user = sf.query(f"SELECT Id FROM User WHERE Username = '{username}'")["records"][0]["Id"]
        try:
            assignments.create({"AssigneeId": user, "PermissionSetId": sets[permission_set]})
        except SalesforceMalformedRequest:
            continue  # already assigned


def _field_ids(sf: Salesforce, fields: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(object, field) -> CustomField Id: one EntityDefinition and one CustomField Tooling query."""
    objects = ",".join(sorted({f"'{obj}'" for obj, _ in fields}))
    entity_soql = f"SELECT DurableId, QualifiedApiName FROM EntityDefinition WHERE QualifiedApiName IN ({objects})"
    entities = sf.toolingexecute("query/", params={"q": entity_soql})["records"]
    object_of = {r["DurableId"]: r["QualifiedApiName"] for r in entities}
    developer_names = ",".join(sorted({f"'{name.removesuffix('__c')}'" for _, name in fields}))
    field_soql = f"SELECT Id, DeveloperName, TableEnumOrId FROM CustomField WHERE DeveloperName IN ({developer_names})"
    found = sf.toolingexecute("query/", params={"q": field_soql})["records"]
    return {(object_of.get(r["TableEnumOrId"], ""), f"{r['DeveloperName']}__c"): r["Id"] for r in found}


def _picklists(sf: Salesforce, fields: list[tuple[str, str]], ids: dict[tuple[str, str], str]) -> None:
    for obj, name in fields:
        field_id = ids[(obj, name)]
        metadata = sf.toolingexecute(f"sobjects/CustomField/{field_id}")["Metadata"]
        values = metadata["valueSet"]["valueSetDefinition"]["value"]
        have = {v["valueName"] for v in values}
        values += [{"valueName": v, "label": v, "default": False} for v in declared_values() if v not in have]
        sf.toolingexecute(f"sobjects/CustomField/{field_id}", method="PATCH", data={"Metadata": metadata})


def _layouts(sf: Salesforce, names: Names, profiles: list[str]) -> None:
    for profile in profiles:
        sf.mdapi.Profile.read([profile])
        assignments = [
            sf.mdapi.ProfileLayoutAssignment(
                layout=f"{names.object(i)}-{names.layout(i, alternate=True)}",
                recordType=f"{names.object(i)}.{RECORD_TYPE}" if record_type else None,
            )
            for p, i, record_type in names.slots()
            if p == profile
        ]
        sf.mdapi.Profile.update([sf.mdapi.Profile(fullName=profile, layoutAssignments=assignments)])


def run_baseline(size: Size, fraction: float, latency_ms: int, workdir: Path) -> BaselineResult:
    """Run the per-record script on ``fraction`` of scenario (a) against a fresh org (see module docstring)."""
    names = Names(size)
    grants = names.grants()
    fields = [names.field(i) for i in range(size.fields)]
    profiles = sorted({p for p, _, _ in names.slots()})
    grants_run = grants[: max(1, math.floor(len(grants) * fraction))]
    fields_run = fields[: max(1, math.floor(len(fields) * fraction))]
    profiles_run = profiles[: max(1, math.floor(len(profiles) * fraction))]
    slots = names.slots()
    parts = {
        "grants": BaselinePart(len(grants_run), len(grants)),
        "picklists": BaselinePart(len(fields_run), len(fields)),
        "layouts": BaselinePart(sum(1 for p, _, _ in slots if p in profiles_run), len(slots)),
    }
    fleet = Fleet(size, 1, latency_ms, workdir)
    try:
        fleet.start()
        handle = fleet.handles[fleet.names[0]]
        sf = _client(handle)
        grant_part, field_part, layout_part = parts["grants"], parts["picklists"], parts["layouts"]
        lookup = _measured(handle, lambda: _permission_set_ids(sf, [ps for ps, _ in grants]))
        grant_part.lookup_calls, grant_part.lookup_seconds, sets = lookup
        grant_part.calls, grant_part.seconds, _ = _measured(handle, lambda: _grants(sf, grants_run, sets))
        field_part.lookup_calls, field_part.lookup_seconds, ids = _measured(handle, lambda: _field_ids(sf, fields))
        field_part.calls, field_part.seconds, _ = _measured(handle, lambda: _picklists(sf, fields_run, ids))
        layout_part.calls, layout_part.seconds, _ = _measured(handle, lambda: _layouts(sf, names, profiles_run))
    finally:
        fleet.stop()
    return BaselineResult(fraction=fraction, latency_ms=latency_ms, parts=parts)
