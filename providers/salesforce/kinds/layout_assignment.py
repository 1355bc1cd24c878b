"""The ``layout_assignment`` kind: ``Profile.layoutAssignments`` through the Metadata API.

Read: the profiles named by the keys (one SOQL query, one ``listMetadata`` to learn their fullNames),
then ``readMetadata(Profile)`` for at most 10 profiles a call (fewer with ``RECONCILE_PROFILE_READ_BATCH``,
``providers.salesforce.profile_reads``). readMetadata returns the profile's whole
``layoutAssignments`` list; each ``{layout: "Account-Account Layout", recordType: "Account.Enterprise"}``
decodes to object ``Account``, layout ``Account Layout`` and record type ``Enterprise`` (names
percent-decoded; a managed layout keeps its ``ns__`` prefix). Tooling ``ProfileLayout`` would need the
01I ids of custom objects and loses layout namespaces, so it is not used.

Pseudo-objects (``CaseClose``, ``UserAlt``, ``PersonAccount``; ``providers.salesforce.names``) are keyed by
their own name, as profiles name their layouts; their record types are their real object's, so preflight
looks up Case (not CaseClose) in EntityDefinition and RecordType, and the write spells the record type
``Case.X`` (``PersonAccount.X`` for PersonAccount).

Keys are ``Profile Name/Object[/RecordType]`` with the profile's ``Name`` as users write it. A profile
name may itself contain ``/``; a key is then read both ways and the reading whose profile exists wins.

Write: ``updateMetadata`` of ``Profile(fullName, layoutAssignments=[...])``, at most 10 profiles a call.
Profile deploys overlay: only the listed (object, record type) pairs are repointed, so repeating the call
is harmless. Every SaveResult maps back to the changes of its profile. Salesforce cannot remove an
assignment (only repoint it): ``forget`` touches nothing and ``delete`` is refused.

Inventory: every assignment of every profile. One query for the profile names, one for their ids
(``Schema.lookup_profiles``: the fullName comes from ``listMetadata(Profile)``), then
``readMetadata(Profile)``, 10 profiles a call. Names keep the org's spelling.

Seed (snapshots): the inventory, as ``layout_assignments`` entries.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.names import (
    decode_component,
    layout_full_name,
    parse_layout_assignment,
    real_object,
    record_type_full_name,
)
from providers.salesforce.profile_reads import profile_read_batch
from providers.salesforce.schema import zeep_list
from reconcile.errors import Problem
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.model import Action, Address, Change, ChangeResult, Resource

BATCH = 10
Slot = tuple[str, str, str]  # profile, object, record type (casefolded)


def key_readings(key: str) -> list[tuple[str, str, str]]:
    """``(profile, object, record_type)`` readings of a key, the record-type reading first."""
    parts = key.split("/")
    readings = []
    if len(parts) >= 3:
        readings.append(("/".join(parts[:-2]), parts[-2], parts[-1]))
    if len(parts) >= 2:
        readings.append(("/".join(parts[:-1]), parts[-1], ""))
    return readings


class LayoutAssignmentHandler:
    """Reads, checks, writes and lists ``layout_assignment`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.schema = context.schema
        self.assigned: dict[Slot, str] = {}
        self._read_profiles: set[str] = set()

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        readings = {key: key_readings(key) for key in keys}
        self.schema.lookup_profiles(p for rs in readings.values() for p, _, _ in rs)
        self._read_profiles_of([p for rs in readings.values() for p, _, _ in rs])
        result: dict[Address, Resource] = {}
        for key, options in readings.items():
            reading = next((r for r in options if self.schema.profile(r[0])), None)
            if reading is None:
                continue
            layout = self.assigned.get(_slot(*reading))
            if layout is not None:
                profile = self.schema.profile(reading[0])
                assert profile is not None
                found = LayoutAssignment(
                    profile=reading[0],
                    object=reading[1],
                    record_type=reading[2],
                    layout=layout,
                    ids={"profile": profile.record_id},
                )
                result[Address(found.address.kind, key)] = found  # keyed as asked
        return result

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, LayoutAssignment)]
        self.schema.lookup_profiles(d.profile for d in wanted)
        # A slot ``read`` found in a profile proves its object and record type exist: only the others
        # are looked up, so a plan whose assignments all exist makes no lookup calls here.
        seen = [_slot(d.profile, d.object, d.record_type) in self.assigned for d in wanted]
        unseen = [d for d, was_seen in zip(wanted, seen, strict=True) if not was_seen]
        objects = self.schema.objects_exist(real_object(d.object) for d in unseen)
        self.schema.lookup_record_types(real_object(d.object) for d in unseen if d.record_type)
        layouts = {decode_component(name).casefold(): name for _, name in self.schema.listed("Layout")}
        problems: list[Problem] = []
        for item, was_seen in zip(wanted, seen, strict=True):
            exists = None if was_seen else objects[real_object(item.object)]
            problems.extend(self._problems(item, exists, layouts))
        return problems

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        by_profile: dict[str, list[int]] = {}
        writes = [c.after for c in changes if isinstance(c.after, LayoutAssignment)]
        self.schema.lookup_profiles(a.profile for a in writes)
        for index, change in enumerate(changes):
            early = _without_write(change)
            if early is not None:
                results[index] = early
                continue
            assert isinstance(change.after, LayoutAssignment)
            profile = self.schema.profile(change.after.profile)
            if profile is None:
                results[index] = _failed(change, "NOT_FOUND", f"no profile {change.after.profile} in the org")
                continue
            by_profile.setdefault(profile.full_name, []).append(index)
        full_names = list(by_profile)
        for start in range(0, len(full_names), BATCH):
            chunk = full_names[start : start + BATCH]
            results.update(self._write(chunk, by_profile, changes))
        return [results[i] for i in range(len(changes))]

    def inventory(self) -> dict[Address, Resource]:
        names = [str(r["Name"]) for r in self.transport.query_all("SELECT Name FROM Profile")]
        self.schema.lookup_profiles(names)
        profiles = {p.full_name: p for p in (self.schema.profile(n) for n in names) if p is not None}
        by_decoded = {decode_component(full).casefold(): p for full, p in profiles.items()}
        found: dict[Address, Resource] = {}
        full_names = sorted(profiles)
        batch = profile_read_batch()
        for start in range(0, len(full_names), batch):
            answer = self.transport.metadata("readMetadata", "Profile", full_names[start : start + batch])
            for record in _records(answer):
                profile = by_decoded.get(decode_component(str(record.fullName)).casefold())
                if profile is None:
                    continue
                for item in zeep_list(getattr(record, "layoutAssignments", None)):
                    ref = parse_layout_assignment(str(item.layout), item.recordType)
                    assignment = LayoutAssignment(
                        profile=profile.name,
                        object=ref.object,
                        record_type=ref.record_type,
                        layout=ref.layout,
                        ids={"profile": profile.record_id},
                    )
                    found[assignment.address] = assignment
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The ``layout_assignments`` seed section (the inventory), and the layouts and record types it
        names as ``objects`` entries."""
        assignments: list[dict[str, Any]] = []
        objects: dict[str, dict[str, Any]] = {}
        for item in self.inventory().values():
            if not isinstance(item, LayoutAssignment):
                continue
            entry = {"profile": item.profile, "object": item.object, "layout": item.layout}
            obj = objects.setdefault(item.object, {"name": item.object, "layouts": [], "record_types": []})
            if item.layout not in obj["layouts"]:
                obj["layouts"].append(item.layout)
            if item.record_type:
                entry["record_type"] = item.record_type
                if item.record_type not in obj["record_types"]:
                    obj["record_types"].append(item.record_type)
            assignments.append(entry)
        return {"layout_assignments": assignments, "objects": list(objects.values())}

    def _read_profiles_of(self, names: list[str]) -> None:
        profiles = [p for p in (self.schema.profile(n) for n in dict.fromkeys(names)) if p is not None]
        unread = [p for p in profiles if p.full_name not in self._read_profiles]
        by_full_name = {decode_component(p.full_name).casefold(): p for p in unread}
        batch = profile_read_batch()
        for start in range(0, len(unread), batch):
            chunk = [p.full_name for p in unread[start : start + batch]]
            answer = self.transport.metadata("readMetadata", "Profile", chunk)
            for record in _records(answer):
                profile = by_full_name.get(decode_component(str(record.fullName or "")).casefold())
                if profile is not None:
                    self.schema.remember_component("Profile", record)
                    self._remember(profile.name, zeep_list(record.layoutAssignments))
            self._read_profiles.update(chunk)

    def _remember(self, profile: str, assignments: list[Any]) -> None:
        for item in assignments:
            ref = parse_layout_assignment(str(item.layout), item.recordType)
            self.assigned[_slot(profile, ref.object, ref.record_type)] = ref.layout

    def _write(
        self, full_names: list[str], by_profile: dict[str, list[int]], changes: Sequence[Change]
    ) -> dict[int, ChangeResult]:
        profile_type = self.transport.metadata_type("Profile")
        assignment_type = self.transport.metadata_type("ProfileLayoutAssignment")
        components = []
        for full_name in full_names:
            items = [changes[i].after for i in by_profile[full_name]]
            assignments = [
                assignment_type(
                    layout=layout_full_name(a.object, a.layout),
                    recordType=record_type_full_name(a.object, a.record_type) or None,
                )
                for a in items
                if isinstance(a, LayoutAssignment)
            ]
            components.append(profile_type(fullName=full_name, layoutAssignments=assignments))
        saved = zeep_list(self.transport.metadata("updateMetadata", components))
        results: dict[int, ChangeResult] = {}
        for position, full_name in enumerate(full_names):
            outcome = _save_result(saved, position, full_name)
            for index in by_profile[full_name]:
                results[index] = self._result(changes[index], outcome)
        return results

    def _result(self, change: Change, outcome: tuple[bool, str, str]) -> ChangeResult:
        ok, code, message = outcome
        after = change.after
        if not ok or not isinstance(after, LayoutAssignment):
            return _failed(change, code, message)
        self.assigned[_slot(after.profile, after.object, after.record_type)] = after.layout
        profile = self.schema.profile(after.profile)
        ids = {"profile": profile.record_id} if profile else {}
        resource = after.model_copy(update={"ids": ids})
        return ChangeResult(address=change.address, ok=True, message="assigned", ids=ids, resource=resource)

    def _problems(self, item: LayoutAssignment, object_exists: bool | None, layouts: dict[str, str]) -> list[Problem]:
        """``object_exists`` is None when the slot was read from the org (object and record type exist)."""
        address = str(item.address)
        if self.schema.profile(item.profile) is None:
            hint = suggestion(item.profile, self.schema.all_profile_names())
            return [Problem(f"unknown profile {item.profile}", hint=hint, address=address)]
        if object_exists is False:
            objects = {name.partition("-")[0] for name in layouts.values()}
            return [Problem(f"unknown object {item.object}", hint=suggestion(item.object, objects), address=address)]
        problems = []
        record_types = self.schema.record_types(real_object(item.object))
        if (
            object_exists is not None
            and item.record_type
            and item.record_type.casefold() not in {r.casefold() for r in record_types}
        ):
            hint = suggestion(item.record_type, record_types)
            problems.append(
                Problem(f"unknown record type {item.object}.{item.record_type}", hint=hint, address=address)
            )
        full_name = layout_full_name(item.object, item.layout)
        if decode_component(full_name).casefold() not in layouts:
            prefix = f"{item.object}-".casefold()
            same_object = [decode_component(n).split("-", 1)[1] for k, n in layouts.items() if k.startswith(prefix)]
            hint = suggestion(item.layout, same_object)
            problems.append(Problem(f"unknown layout {item.layout} for {item.object}", hint=hint, address=address))
        return problems


def _slot(profile: str, object_name: str, record_type: str) -> Slot:
    return (profile.casefold(), object_name.casefold(), record_type.casefold())


def _records(answer: Any) -> list[Any]:
    records = getattr(answer, "records", answer)
    return [r for r in zeep_list(records) if r is not None and getattr(r, "fullName", None)]


def _save_result(saved: list[Any], position: int, full_name: str) -> tuple[bool, str, str]:
    match = next((s for s in saved if decode_component(str(s.fullName or "")) == decode_component(full_name)), None)
    if match is None and position < len(saved):
        match = saved[position]
    if match is None:
        return False, "NO_RESULT", "the Metadata API returned no result for this profile"
    if match.success in (True, "true"):
        return True, "", ""
    errors = zeep_list(match.errors)
    first = errors[0] if errors else None
    return (
        False,
        str(getattr(first, "statusCode", "") or "UNKNOWN_ERROR"),
        str(getattr(first, "message", "") or ""),
    )


def _without_write(change: Change) -> ChangeResult | None:
    """The result of a change that needs no Metadata API call (forget) or cannot be done (delete)."""
    if change.action is Action.FORGET:
        return ChangeResult(address=change.address, ok=True, message="no longer managed; the org is untouched")
    if change.action is Action.DELETE or not isinstance(change.after, LayoutAssignment):
        return _failed(
            change,
            "UNSUPPORTED",
            "a layout assignment cannot be removed in Salesforce, only pointed elsewhere",
        )
    return None


def _failed(change: Change, code: str, message: str) -> ChangeResult:
    return ChangeResult(address=change.address, ok=False, code=code, message=message)
