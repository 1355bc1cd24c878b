"""The ``record_type_visibility`` kind: ``Profile.recordTypeVisibilities`` through the Metadata API.

Read: the profiles named by the keys (``Schema.lookup_profiles``: one SOQL query, one ``listMetadata`` for
their fullNames, shared with the layout kind), then ``readMetadata(Profile)`` for at most 10 profiles a
call (fewer with ``RECONCILE_PROFILE_READ_BATCH``, ``providers.salesforce.profile_reads``); a profile the
layout kind already read in this plan is taken from ``Schema.remembered``. Each
``ProfileRecordTypeVisibility{default, recordType: "Account.Enterprise", visible}`` is one resource. Keys
are ``Profile Name/Object.RecordType``; a pair the profile does not list is left out.

Write: ``updateMetadata`` of ``Profile(fullName, recordTypeVisibilities=[...])``, at most 10 profiles a call.
Profile deploys overlay, as for layout assignments: only the listed record types change. Salesforce keeps
one default per profile and object, so making one record type the default clears the previous one.
``forget`` touches nothing.

Preflight: an unknown profile or record type is a problem with a "did you mean" hint.

Inventory: every pair of every profile, 10 profiles a ``readMetadata`` call.

Seed (snapshots): the ``record_type_visibilities`` section, the inventory's pairs that are visible or the
default (a pair a seed does not name is neither); profiles another kind read in the same snapshot (the
layout kind reads them all) are not read again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.names import decode_component
from providers.salesforce.profile_reads import profile_read_batch
from providers.salesforce.schema import ProfileRecord, zeep_list
from reconcile.errors import Problem
from reconcile.kinds.record_type_visibility import RecordTypeVisibility, parse_key
from reconcile.model import Action, Address, Change, ChangeResult, Resource

BATCH = 10
KIND = "record_type_visibility"


def _true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


class RecordTypeVisibilityHandler:
    """Reads, checks, writes and lists ``record_type_visibility`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.schema = context.schema
        self.pairs: dict[tuple[str, str], tuple[str, bool, bool]] = {}  # (profile, rt casefolded) -> live

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        parsed = {key: parse_key(key) for key in keys}
        self._read_profiles([p[0] for p in parsed.values() if p is not None])
        result: dict[Address, Resource] = {}
        for key, slot in parsed.items():
            profile = self.schema.profile(slot[0]) if slot is not None else None
            if slot is None or profile is None:
                continue
            found = self._resource(profile, f"{slot[1]}.{slot[2]}")
            if found is not None:
                result[Address(KIND, key)] = found
        return result

    def _resource(self, profile: ProfileRecord, record_type: str) -> RecordTypeVisibility | None:
        live = self.pairs.get((profile.name.casefold(), record_type.casefold()))
        if live is None:
            return None
        object_name, _, developer_name = live[0].partition(".")
        return RecordTypeVisibility(
            profile=profile.name,
            object=object_name,
            record_type=developer_name,
            visible=live[1],
            default=live[2],
            ids={"profile": profile.record_id},
        )

    def _read_profiles(self, names: list[str]) -> None:
        self.schema.lookup_profiles(names)
        profiles = [p for p in (self.schema.profile(n) for n in dict.fromkeys(names)) if p is not None]
        unread = []
        for profile in profiles:
            if any(key[0] == profile.name.casefold() for key in self.pairs):
                continue
            record = self.schema.remembered("Profile", profile.full_name)
            if record is not None:
                self._remember(profile, record)
            else:
                unread.append(profile)
        by_full_name = {decode_component(p.full_name).casefold(): p for p in unread}
        batch = profile_read_batch()
        for start in range(0, len(unread), batch):
            chunk = [p.full_name for p in unread[start : start + batch]]
            for record in _records(self.transport.metadata("readMetadata", "Profile", chunk)):
                holder = by_full_name.get(decode_component(str(record.fullName)).casefold())
                if holder is not None:
                    self.schema.remember_component("Profile", record)
                    self._remember(holder, record)

    def _remember(self, profile: ProfileRecord, record: Any) -> None:
        for item in zeep_list(getattr(record, "recordTypeVisibilities", None)):
            name = str(item.recordType)
            self.pairs[(profile.name.casefold(), name.casefold())] = (name, _true(item.visible), _true(item.default))

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, RecordTypeVisibility)]
        self._read_profiles([d.profile for d in wanted])
        self.schema.lookup_record_types(d.object for d in wanted)
        problems = []
        for item in wanted:
            address = str(item.address)
            if self.schema.profile(item.profile) is None:
                hint = suggestion(item.profile, self.schema.all_profile_names())
                problems.append(Problem(f"unknown profile {item.profile}", hint=hint, address=address))
                continue
            names = self.schema.record_types(item.object)
            if item.record_type.casefold() not in {n.casefold() for n in names}:
                hint = suggestion(item.record_type, names) or (
                    f"{item.object} has no record types" if not names else ""
                )
                message = f"unknown record type {item.object}.{item.record_type}"
                problems.append(Problem(message, hint=hint, address=address))
        return problems

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        by_profile: dict[str, list[int]] = {}
        self.schema.lookup_profiles(c.after.profile for c in changes if isinstance(c.after, RecordTypeVisibility))
        for index, change in enumerate(changes):
            after = change.after
            if change.action is Action.FORGET or not isinstance(after, RecordTypeVisibility):
                results[index] = ChangeResult(address=change.address, ok=True, message="no longer managed")
                continue
            profile = self.schema.profile(after.profile)
            if profile is None:
                message = f"no profile {after.profile} in the org"
                results[index] = ChangeResult(address=change.address, ok=False, code="NOT_FOUND", message=message)
                continue
            by_profile.setdefault(profile.full_name, []).append(index)
        full_names = list(by_profile)
        for start in range(0, len(full_names), BATCH):
            results.update(self._write(full_names[start : start + BATCH], by_profile, changes))
        return [results[i] for i in range(len(changes))]

    def _write(
        self, full_names: list[str], by_profile: dict[str, list[int]], changes: Sequence[Change]
    ) -> dict[int, ChangeResult]:
        profile_type = self.transport.metadata_type("Profile")
        visibility_type = self.transport.metadata_type("ProfileRecordTypeVisibility")
        components = []
        for full_name in full_names:
            items = [changes[i].after for i in by_profile[full_name]]
            visibilities = [
                visibility_type(recordType=f"{a.object}.{a.record_type}", visible=a.visible, default=a.default)
                for a in items
                if isinstance(a, RecordTypeVisibility)
            ]
            components.append(profile_type(fullName=full_name, recordTypeVisibilities=visibilities))
        saved = zeep_list(self.transport.metadata("updateMetadata", components))
        results: dict[int, ChangeResult] = {}
        for position, full_name in enumerate(full_names):
            ok, code, message = _outcome(saved, position, full_name)
            for index in by_profile[full_name]:
                change = changes[index]
                if ok:
                    results[index] = ChangeResult(address=change.address, ok=True, message="set", resource=change.after)
                else:
                    results[index] = ChangeResult(address=change.address, ok=False, code=code, message=message)
        return results

    def seed(self) -> dict[str, Any]:
        """The ``record_type_visibilities`` section: every pair that is visible or a default."""
        pairs = []
        for item in self.inventory().values():
            if isinstance(item, RecordTypeVisibility) and (item.visible or item.default):
                entry: dict[str, Any] = {"profile": item.profile, "record_type": f"{item.object}.{item.record_type}"}
                entry["visible"] = item.visible
                if item.default:
                    entry["default"] = True
                pairs.append(entry)
        return {"record_type_visibilities": pairs}

    def inventory(self) -> dict[Address, Resource]:
        names = [str(r["Name"]) for r in self.transport.query_all("SELECT Name FROM Profile")]
        self._read_profiles(names)
        found: dict[Address, Resource] = {}
        for profile in (self.schema.profile(n) for n in names):
            if profile is None:
                continue
            for (holder, _), (record_type, _, _) in list(self.pairs.items()):
                resource = self._resource(profile, record_type) if holder == profile.name.casefold() else None
                if resource is not None:
                    found[resource.address] = resource
        return dict(sorted(found.items()))


def _records(answer: Any) -> list[Any]:
    records = getattr(answer, "records", answer)
    return [r for r in zeep_list(records) if r is not None and getattr(r, "fullName", None)]


def _outcome(saved: list[Any], position: int, full_name: str) -> tuple[bool, str, str]:
    wanted = decode_component(full_name)
    match = next((s for s in saved if decode_component(str(s.fullName or "")) == wanted), None)
    if match is None and position < len(saved):
        match = saved[position]
    if match is None:
        return False, "NO_RESULT", "the Metadata API returned no result for this profile"
    if _true(match.success):
        return True, "", ""
    errors = zeep_list(match.errors)
    first = errors[0] if errors else None
    return False, str(getattr(first, "statusCode", "") or "UNKNOWN_ERROR"), str(getattr(first, "message", "") or "")
