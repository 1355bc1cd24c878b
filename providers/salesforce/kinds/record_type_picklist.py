"""The ``record_type_picklist`` kind: RecordType ``picklistValues`` through the Metadata API.

Read: the record types of the keys' objects (``Schema.lookup_record_types``: one SOQL query for all of
them, shared with the layout kind), then ``readMetadata(RecordType)`` of ``Object.DeveloperName``, at most
10 a call, and ``readMetadata(CustomField)`` of the keys' fields (10 a call; a field bound to a global value
set also reads that set) to know the field's active values; a field the picklist kind already read in the
same plan is taken from ``Schema.remembered`` instead. A record type's ``picklistValues`` lists, per
picklist field, the values it offers (``PicklistValue{fullName, default}``). A key ``Account.*/Tier__c``
reads every record type of the object: it yields the values all of them offer, and also each record
type's own resource (``Account.Enterprise/Tier__c``), which the plan's warning about values no record
type offers uses. Keys whose record type or field does not exist are left out.

Preflight: an unknown record type or field is a problem with a "did you mean" hint, and so is a value the
field does not have (values a ``[[picklist]] record_types`` entry offers are the ones that entry adds,
so they are not checked).

Write: ``updateMetadata`` of ``RecordType(fullName, label, active, picklistValues)``, 10 record types a
call. Only the changed fields' picklists are sent, each with the whole list the record type offers after
the change (an update replaces the list of each picklist it sends: certinia/apex-mdapi#199); the other
fields and the values the entry does not name are kept. ``*`` writes every record type of the object.

Inventory: every record type of every object with custom picklist fields listed by ``listMetadata``,
each (record type, picklist) pair as one resource.

Seed (snapshots): the ``record_type_picklists`` section, the inventory's pairs of custom picklist fields
(the ones the record type's ``picklistValues`` names: what a seed holds as fields), each with the values
it offers and its default; fields the picklist kind read in the same snapshot are not read again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.schema import zeep_list
from reconcile.errors import Problem
from reconcile.kinds.record_type_picklist import EVERY_RECORD_TYPE, RecordTypePicklist, parse_key
from reconcile.model import Address, Change, ChangeResult, Resource

BATCH = 10
Offered = dict[str, tuple[list[str], str | None]]  # field (casefolded) -> (values, default)


def _true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1")


class RecordTypePicklistHandler:
    """Reads, checks, writes and lists ``record_type_picklist`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.schema = context.schema
        self.record_types: dict[str, Any] = {}  # "account.enterprise" -> RecordType metadata record
        self.offered: dict[str, Offered] = {}
        self.fields: dict[str, list[str] | None] = {}  # "account.tier__c" -> active values (None: no field)

    # -- reading ---------------------------------------------------------------------------------------

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        parsed = {key: parse_key(key) for key in keys}
        slots = [p for p in parsed.values() if p is not None]
        self._load(slots)
        result: dict[Address, Resource] = {}
        for key, slot in parsed.items():
            if slot is None:
                continue
            object_name, record_type, field = slot
            names = self._names(object_name) if record_type == EVERY_RECORD_TYPE else [record_type]
            own = [r for r in (self._resource(object_name, n, field) for n in names) if r is not None]
            if record_type == EVERY_RECORD_TYPE:
                result.update({r.address: r for r in own})
                if own:
                    result[Address("record_type_picklist", key)] = _every(object_name, field, own)
            elif own:
                result[Address("record_type_picklist", key)] = own[0]
        return result

    def _names(self, object_name: str) -> list[str]:
        return self.schema.record_types(object_name)

    def _load(self, slots: Iterable[tuple[str, str, str]]) -> None:
        slots = list(slots)
        self.schema.lookup_record_types(o for o, _, _ in slots)
        full_names = []
        for object_name, record_type, _ in slots:
            names = self._names(object_name) if record_type == EVERY_RECORD_TYPE else [record_type]
            known = {n.casefold() for n in self._names(object_name)}
            full_names += [f"{object_name}.{n}" for n in names if n.casefold() in known]
        self._read_record_types(full_names)
        self._read_fields([f"{o}.{f}" for o, _, f in slots])

    def _read_record_types(self, full_names: list[str]) -> None:
        wanted = [n for n in dict.fromkeys(full_names) if n.casefold() not in self.record_types]
        for start in range(0, len(wanted), BATCH):
            answer = self.transport.metadata("readMetadata", "RecordType", wanted[start : start + BATCH])
            for record in _records(answer):
                name = str(record.fullName).casefold()
                self.record_types[name] = record
                self.offered[name] = {
                    str(p.picklist).casefold(): (
                        [str(v.fullName) for v in zeep_list(p.values)],
                        next((str(v.fullName) for v in zeep_list(p.values) if _true(v.default)), None),
                    )
                    for p in zeep_list(getattr(record, "picklistValues", None))
                }

    def _read_fields(self, full_names: list[str], *, fresh: bool = False) -> None:
        """The active values of each field (a field the picklist kind read in this plan is not read again;
        ``fresh`` reads it anyway, after an apply changed it)."""
        wanted = [n for n in dict.fromkeys(full_names) if n.casefold() not in self.fields]
        cached = [] if fresh else [self.schema.remembered("CustomField", n) for n in wanted]
        records = [r for r in cached if r is not None]
        unread = [n for n, r in zip(wanted, cached or [None] * len(wanted), strict=True) if r is None]
        for start in range(0, len(unread), BATCH):
            records += _records(self.transport.metadata("readMetadata", "CustomField", unread[start : start + BATCH]))
        bound: dict[str, str] = {}
        for record in records:
            value_set = getattr(record, "valueSet", None)
            if value_set is not None and getattr(value_set, "valueSetName", None):
                bound[str(record.fullName).casefold()] = str(value_set.valueSetName)
            definition = getattr(value_set, "valueSetDefinition", None) if value_set is not None else None
            self.fields[str(record.fullName).casefold()] = _active(getattr(definition, "value", None))
        for name in wanted:
            self.fields.setdefault(name.casefold(), None)
        sets = sorted(set(bound.values()))
        for start in range(0, len(sets), BATCH):
            answer = self.transport.metadata("readMetadata", "GlobalValueSet", sets[start : start + BATCH])
            for record in _records(answer):
                for field, set_name in bound.items():
                    if set_name.casefold() == str(record.fullName).casefold():
                        self.fields[field] = _active(getattr(record, "customValue", None))

    def _resource(self, object_name: str, record_type: str, field: str) -> RecordTypePicklist | None:
        offered = self.offered.get(f"{object_name}.{record_type}".casefold())
        active = self.fields.get(f"{object_name}.{field}".casefold())
        if offered is None or active is None:
            return None
        values, default = offered.get(field.casefold(), ([], None))
        spelled = next((n for n in self._names(object_name) if n.casefold() == record_type.casefold()), record_type)
        return RecordTypePicklist(
            object=object_name,
            record_type=spelled,
            field=field,
            values=tuple(values),
            every_value={v.casefold() for v in active} <= {v.casefold() for v in values},
            default=default,
            ids={"record_type": f"{object_name}.{spelled}"},
        )

    # -- checking --------------------------------------------------------------------------------------

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, RecordTypePicklist)]
        self._load((d.object, d.record_type, d.field) for d in wanted)
        problems: list[Problem] = []
        for item in wanted:
            problems += self._problems(item)
        return problems

    def _problems(self, item: RecordTypePicklist) -> list[Problem]:
        address = str(item.address)
        names = self._names(item.object)
        if item.record_type != EVERY_RECORD_TYPE and item.record_type.casefold() not in {n.casefold() for n in names}:
            hint = suggestion(item.record_type, names) or (
                f"record types of {item.object}: {', '.join(names)}" if names else f"{item.object} has no record types"
            )
            return [Problem(f"unknown record type {item.object}.{item.record_type}", hint=hint, address=address)]
        active = self.fields.get(f"{item.object}.{item.field}".casefold())
        if active is None:
            fields = [str(k) for k in self._offered_fields(item.object)]
            hint = suggestion(item.field, fields)
            return [Problem(f"unknown picklist field {item.object}.{item.field}", hint=hint, address=address)]
        if item.from_picklist:
            return []
        known = {v.casefold() for v in active}
        return [
            Problem(
                f"{item.object}.{item.field} has no active value {value}",
                hint=suggestion(value, active) or "add it with a picklist entry that names these record_types",
                address=address,
            )
            for value in (*item.values, *([item.default] if item.default else []))
            if value.casefold() not in known
        ]

    def _offered_fields(self, object_name: str) -> list[str]:
        """The picklist fields the object's record types list, as the org spells them."""
        prefix = f"{object_name}.".casefold()
        records = [r for name, r in self.record_types.items() if name.startswith(prefix)]
        return sorted({str(p.picklist) for r in records for p in zeep_list(getattr(r, "picklistValues", None))})

    # -- writing ---------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        wanted = [c.after for c in changes if isinstance(c.after, RecordTypePicklist)]
        self._load((a.object, a.record_type, a.field) for a in wanted)
        if any(a.every_value for a in wanted):
            for a in wanted:  # values a picklist change of this apply added
                self.fields.pop(f"{a.object}.{a.field}".casefold(), None)
            self._read_fields([f"{a.object}.{a.field}" for a in wanted], fresh=True)
        targets: dict[str, list[int]] = {}
        results: dict[int, ChangeResult] = {}
        for index, change in enumerate(changes):
            after = change.after
            if not isinstance(after, RecordTypePicklist):
                results[index] = ChangeResult(address=change.address, ok=True, message="no longer managed")
                continue
            names = self._names(after.object) if after.record_type == EVERY_RECORD_TYPE else [after.record_type]
            for name in names:
                full_name = f"{after.object}.{name}".casefold()
                if full_name not in self.record_types:
                    message = f"no record type {after.object}.{name} in the org"
                    results[index] = ChangeResult(address=change.address, ok=False, code="NOT_FOUND", message=message)
                    break
                self._offer(full_name, after)
                targets.setdefault(full_name, []).append(index)
        touched = {
            full: sorted(
                {c.after.field.casefold() for c in (changes[i] for i in ix) if isinstance(c.after, RecordTypePicklist)}
            )
            for full, ix in targets.items()
        }
        outcomes: dict[int, list[tuple[bool, str, str]]] = {}
        full_names = list(targets)
        for start in range(0, len(full_names), BATCH):
            chunk = full_names[start : start + BATCH]
            for full_name, outcome in zip(chunk, self._write(chunk, touched), strict=True):
                for index in targets[full_name]:
                    outcomes.setdefault(index, []).append(outcome)
        for index, found in outcomes.items():
            failed = next((o for o in found if not o[0]), None)
            change = changes[index]
            if index in results:
                continue
            if failed is not None:
                results[index] = ChangeResult(address=change.address, ok=False, code=failed[1], message=failed[2])
            else:
                results[index] = ChangeResult(address=change.address, ok=True, message="offered", resource=change.after)
        return [results[i] for i in range(len(changes))]

    def _offer(self, full_name: str, after: RecordTypePicklist) -> None:
        """Put what ``after`` declares into the remembered list of the record type (values kept)."""
        offered = self.offered.setdefault(full_name, {})
        values, default = offered.get(after.field.casefold(), ([], None))
        active = self.fields.get(f"{after.object}.{after.field}".casefold()) or []
        wanted = active if after.every_value else list(after.values)
        held = {v.casefold() for v in values}
        values = values + [v for v in wanted if v.casefold() not in held]
        offered[after.field.casefold()] = (values, after.default if after.default is not None else default)

    def _write(self, full_names: list[str], touched: dict[str, list[str]]) -> list[tuple[bool, str, str]]:
        record_type = self.transport.metadata_type("RecordType")
        picklist_type = self.transport.metadata_type("RecordTypePicklistValue")
        value_type = self.transport.metadata_type("PicklistValue")
        components = []
        for full_name in full_names:
            record = self.record_types[full_name]
            picklists = []
            for field in touched[full_name]:
                values, default = self.offered[full_name][field]
                items = [value_type(fullName=v, default=v == default) for v in values]
                spelled = next(
                    (str(p.picklist) for p in zeep_list(record.picklistValues) if str(p.picklist).casefold() == field),
                    field,
                )
                picklists.append(picklist_type(picklist=spelled, values=items))
            components.append(
                record_type(
                    fullName=str(record.fullName), active=record.active, label=record.label, picklistValues=picklists
                )
            )
        saved = zeep_list(self.transport.metadata("updateMetadata", components))
        return [_outcome(saved, position, name) for position, name in enumerate(full_names)]

    # -- listing ---------------------------------------------------------------------------------------

    def seed(self) -> dict[str, Any]:
        """The ``record_type_picklists`` section: every (record type, custom picklist field) pair."""
        pairs = []
        for item in self.inventory().values():
            if not isinstance(item, RecordTypePicklist):
                continue
            if item.field.casefold() not in self.offered.get(f"{item.object}.{item.record_type}".casefold(), {}):
                continue  # not a picklist of the record type (a seed holds custom picklist fields only)
            entry: dict[str, Any] = {
                "record_type": f"{item.object}.{item.record_type}",
                "field": item.field,
                "values": list(item.values),
            }
            if item.default:
                entry["default"] = item.default
            pairs.append(entry)
        return {"record_type_picklists": pairs}

    def inventory(self) -> dict[Address, Resource]:
        fields = [name for _, name in self.schema.listed("CustomField")]
        by_object: dict[str, list[str]] = {}
        for full_name in fields:
            object_name, _, field = full_name.partition(".")
            by_object.setdefault(object_name, []).append(field)
        keys = [f"{o}.{EVERY_RECORD_TYPE}/{f}" for o, fs in by_object.items() for f in fs]
        found = {a: r for a, r in self.read(keys).items() if isinstance(r, RecordTypePicklist)}
        return dict(sorted((a, r) for a, r in found.items() if r.record_type != EVERY_RECORD_TYPE))


def _every(object_name: str, field: str, own: list[RecordTypePicklist]) -> RecordTypePicklist:
    """The values every record type offers (in the first one's order), for the ``*`` key."""
    common = [v for v in own[0].values if all(v.casefold() in {x.casefold() for x in r.values} for r in own)]
    return RecordTypePicklist(
        object=object_name,
        record_type=EVERY_RECORD_TYPE,
        field=field,
        values=tuple(common),
        every_value=all(r.every_value for r in own),
    )


def _active(values: Any) -> list[str]:
    """The names of the active values among CustomValue records (``isActive`` null means active)."""
    return [str(v.fullName) for v in zeep_list(values) if getattr(v, "isActive", None) is None or _true(v.isActive)]


def _records(answer: Any) -> list[Any]:
    records = getattr(answer, "records", answer)
    return [r for r in zeep_list(records) if r is not None and getattr(r, "fullName", None)]


def _outcome(saved: list[Any], position: int, full_name: str) -> tuple[bool, str, str]:
    match = next((s for s in saved if str(s.fullName or "").casefold() == full_name), None)
    if match is None and position < len(saved):
        match = saved[position]
    if match is None:
        return False, "NO_RESULT", "the Metadata API returned no result for this record type"
    if _true(match.success):
        return True, "", ""
    errors = zeep_list(match.errors)
    first = errors[0] if errors else None
    return False, str(getattr(first, "statusCode", "") or "UNKNOWN_ERROR"), str(getattr(first, "message", "") or "")
