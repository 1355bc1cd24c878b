"""The ``picklist`` kind: custom-field value sets, global value sets and standard value sets via the
Metadata API.

Why the Metadata API: ``readMetadata`` lists every value, inactive ones with ``isActive=false``. The
Tooling API (``CustomField.Metadata``, ``GlobalValueSet.Metadata``) shows only active values, each with
``isActive`` null, and REST describe (``picklistValues``) only active ones too; StandardValueSet exists
only in the Metadata API. A plan that deactivates values must see them, so reads use readMetadata.

Read: ``readMetadata`` of ``CustomField`` (``Account.Tier__c``), ``GlobalValueSet`` (``gvs:Regions``) and
``StandardValueSet`` (``svs:Industry``), at most 10 names a call. SOAP carries no types and zeep may hand
back strings or its own objects, so every scalar is normalised (``"false"`` -> False). A field bound to
a global value set (``valueSet.valueSetName``) has no values of its own: it is left out of the result
and remembered, and preflight says to manage the global value set instead. The records read are kept
for apply, because ``updateMetadata`` of a CustomField needs the whole field (type, label ...).

Write: ``updateMetadata`` with the complete value list of ``change.after`` (values not active are sent
with ``isActive`` false; live values the list omits are sent inactive too, never dropped), 10 components
a call, one SaveResult per component. A global value set that does not exist yet is created with
``upsertMetadata``. Sending the same full list twice leaves the org unchanged, so retries are safe.

Inventory: every custom picklist field and every global value set. ``listMetadata`` of CustomField and
GlobalValueSet (shared with preflight, fetched once) names them with their namespace, already as
``Object.Field__c``; their values come from ``readMetadata``, 10 a call. A field that is not a picklist,
or takes its values from a global value set, is left out (the global value set is listed instead).
Tooling ``CustomField`` would need a second query to turn the ``TableEnumOrId`` of custom objects (an
01I id) into a name, so listMetadata is used. Standard value sets are not listed:
``listMetadata(StandardValueSet)`` answers nothing on real orgs and there are hundreds of them. Callers
read the ones they know by name with ``read``.

Seed (snapshots): the inventory's fields (as ``objects`` entries, with type, label and whether the
value set is restricted) and global value sets, and the standard value sets read before by name.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from typing import Any

from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.schema import zeep_list
from reconcile.errors import Problem
from reconcile.kinds.picklist_values import MAX_VALUES, Picklist, PicklistValue
from reconcile.model import Address, Change, ChangeResult, Resource

BATCH = 10
TYPES = {
    "field": "CustomField",
    "global_value_set": "GlobalValueSet",
    "standard_value_set": "StandardValueSet",
}
VALUE_TYPES = {
    "CustomField": "CustomValue",
    "GlobalValueSet": "CustomValue",
    "StandardValueSet": "StandardValue",
}


def as_bool(value: Any, default: bool = False) -> bool:
    """A SOAP boolean (bool, "true"/"false", "1"/"0", None) as bool."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1")


def target_of(key: str) -> tuple[str, str]:
    """``gvs:Regions`` -> ``("GlobalValueSet", "Regions")``; ``Account.Tier__c`` -> a CustomField."""
    target = Picklist(target=key)
    return TYPES[target.target_type], target.target_name


class PicklistHandler:
    """Reads, checks, writes and lists ``picklist`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.schema = context.schema
        self.records: dict[tuple[str, str], Any] = {}
        self.bound: dict[str, str] = {}
        self.not_picklist: set[str] = set()
        self._read: set[tuple[str, str]] = set()

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        self._fetch([target_of(k) for k in keys])
        result: dict[Address, Resource] = {}
        for key in keys:
            record = self.records.get(_norm(*target_of(key)))
            picklist = _picklist(key, target_of(key)[0], record) if record is not None else None
            if picklist is not None:
                result[picklist.address] = picklist
        return result

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, Picklist)]
        self._fetch([target_of(d.target) for d in wanted])
        problems: list[Problem] = []
        for item in wanted:
            problem = self._problem(item)
            if problem is not None:
                problems.append(problem)
        return problems

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        self._fetch([target_of(c.address.key) for c in changes])
        results: dict[int, ChangeResult] = {}
        batches: dict[tuple[str, str], list[tuple[int, Any]]] = {}
        for index, change in enumerate(changes):
            type_name, name = target_of(change.address.key)
            after = change.after
            if not isinstance(after, Picklist):
                results[index] = ChangeResult(address=change.address, ok=True, message="nothing to write")
                continue
            record = self.records.get(_norm(type_name, name))
            component, operation, error = self._component(type_name, name, record, after)
            if component is None:
                results[index] = ChangeResult(address=change.address, ok=False, code="NOT_FOUND", message=error)
                continue
            batches.setdefault((type_name, operation), []).append((index, component))
        for (_, operation), items in batches.items():
            for start in range(0, len(items), BATCH):
                results.update(self._save(operation, items[start : start + BATCH], changes))
        return [results[i] for i in range(len(changes))]

    def inventory(self) -> dict[Address, Resource]:
        fields = [name for _, name in self.schema.listed("CustomField", "GlobalValueSet")]
        value_sets = [f"gvs:{name}" for _, name in self.schema.listed("GlobalValueSet")]
        found = self.read([*fields, *value_sets])
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The picklist fields (as ``objects`` entries) and the value sets read: the inventory's, and
        the standard value sets read before by name (``read``)."""
        self.inventory()
        objects: dict[str, list[dict[str, Any]]] = {}
        for (type_name, _), record in sorted(self.records.items()):
            if type_name == "CustomField":
                obj, _, field = str(record.fullName).partition(".")
                entry = {"name": field, "type": str(getattr(record, "type", None) or "Picklist")}
                if getattr(record, "label", None):
                    entry["label"] = str(record.label)
                restricted = getattr(record.valueSet, "restricted", None)
                objects.setdefault(obj, []).append(
                    entry | {"restricted": as_bool(restricted)} | _seed_values(type_name, record)
                )
        for full_name, value_set in sorted(self.bound.items()):
            obj, _, field = self._spelling(full_name).partition(".")
            objects.setdefault(obj, []).append({"name": field, "type": "Picklist", "global_value_set": value_set})
        sections: dict[str, Any] = {"objects": [{"name": o, "fields": f} for o, f in sorted(objects.items())]}
        for type_name, section in (
            ("GlobalValueSet", "global_value_sets"),
            ("StandardValueSet", "standard_value_sets"),
        ):
            sets = [(name, r) for (t, name), r in sorted(self.records.items()) if t == type_name]
            sections[section] = [{"name": str(r.fullName)} | _seed_values(type_name, r) for _, r in sets]
        return sections

    def _spelling(self, casefolded: str) -> str:
        listed = [name for _, name in self.schema.listed("CustomField")]
        return next((name for name in listed if name.casefold() == casefolded), casefolded)

    def _fetch(self, targets: list[tuple[str, str]]) -> None:
        by_type: dict[str, list[str]] = {}
        for type_name, name in dict.fromkeys(targets):
            if _norm(type_name, name) not in self._read:
                by_type.setdefault(type_name, []).append(name)
        for type_name, names in by_type.items():
            for start in range(0, len(names), BATCH):
                chunk = names[start : start + BATCH]
                answer = self.transport.metadata("readMetadata", type_name, chunk)
                records = getattr(answer, "records", answer)
                for record in zeep_list(records):
                    if record is not None and getattr(record, "fullName", None):
                        self.schema.remember_component(type_name, record)
                        self._remember(type_name, record)
                self._read.update(_norm(type_name, n) for n in chunk)

    def _remember(self, type_name: str, record: Any) -> None:
        name = str(record.fullName)
        if type_name == "CustomField":
            value_set = getattr(record, "valueSet", None)
            if value_set is None:
                self.not_picklist.add(name.casefold())
                return
            if getattr(value_set, "valueSetName", None):
                self.bound[name.casefold()] = str(value_set.valueSetName)
                return
        self.records[_norm(type_name, name)] = record

    def _component(self, type_name: str, name: str, record: Any, after: Picklist) -> tuple[Any | None, str, str]:
        """The component to save, the operation, or an error message."""
        if record is None and type_name != "GlobalValueSet":
            what = "field" if type_name == "CustomField" else "standard value set"
            return None, "", f"no picklist {what} {name} in the org"
        value_type = self.transport.metadata_type(VALUE_TYPES[type_name])
        if record is None:
            values = _values(value_type, [], after)
            component = self.transport.metadata_type("GlobalValueSet")(
                fullName=name, masterLabel=name, customValue=values, sorted=bool(after.sorted)
            )
            return component, "upsertMetadata", ""
        component = copy.deepcopy(record)
        if type_name == "CustomField":
            definition = component.valueSet.valueSetDefinition
            definition.value = _values(value_type, zeep_list(definition.value), after)
            if after.sorted is not None:
                definition.sorted = after.sorted
        else:
            field_name = "customValue" if type_name == "GlobalValueSet" else "standardValue"
            setattr(component, field_name, _values(value_type, zeep_list(getattr(component, field_name)), after))
            if after.sorted is not None:
                component.sorted = after.sorted
        return component, "updateMetadata", ""

    def _save(self, operation: str, items: list[tuple[int, Any]], changes: Sequence[Change]) -> dict[int, ChangeResult]:
        saved = zeep_list(self.transport.metadata(operation, [component for _, component in items]))
        results: dict[int, ChangeResult] = {}
        for position, (index, component) in enumerate(items):
            change = changes[index]
            result = saved[position] if position < len(saved) else None
            if result is not None and as_bool(result.success):
                type_name, name = target_of(change.address.key)
                self.records[_norm(type_name, name)] = component
                self._read.add(_norm(type_name, name))
                results[index] = ChangeResult(address=change.address, ok=True, message="saved", resource=change.after)
                continue
            errors = zeep_list(getattr(result, "errors", None))
            first = errors[0] if errors else None
            code = str(getattr(first, "statusCode", "") or "NO_RESULT")
            message = str(getattr(first, "message", "") or "the Metadata API returned no result")
            results[index] = ChangeResult(address=change.address, ok=False, code=code, message=message)
        return results

    def _problem(self, item: Picklist) -> Problem | None:
        type_name, name = target_of(item.target)
        address = str(item.address)
        if type_name == "CustomField" and name.casefold() in self.bound:
            gvs = self.bound[name.casefold()]
            return Problem(
                f"{name} takes its values from the global value set {gvs}",
                hint=f"manage the global value set gvs:{gvs} instead",
                address=address,
            )
        if type_name == "CustomField" and name.casefold() in self.not_picklist:
            return Problem(f"{name} is not a picklist field", address=address)
        record = self.records.get(_norm(type_name, name))
        if record is not None:
            return _over_cap(item, type_name, record)
        if type_name == "GlobalValueSet":
            return None
        if type_name == "StandardValueSet":
            return Problem(f"unknown standard value set {name}", address=address)
        object_name = name.partition(".")[0]
        if not self.schema.objects_exist([object_name])[object_name]:
            objects = {n.partition(".")[0] for _, n in self.schema.listed("CustomField")}
            return Problem(f"unknown object {object_name}", hint=suggestion(object_name, objects), address=address)
        fields = [n for _, n in self.schema.listed("CustomField")]
        return Problem(f"unknown field {name}", hint=suggestion(name, fields), address=address)


def _over_cap(item: Picklist, type_name: str, record: Any) -> Problem | None:
    """A problem when the values to send (the declared ones, then every live one they omit, which stays
    as inactive: Salesforce never deletes a value) exceed Salesforce's 1,000 values per picklist."""
    declared = {value.name.casefold() for value in item.values}
    kept = [v for v in _value_records(type_name, record) if str(v.fullName).casefold() not in declared]
    total = len(item.values) + len(kept)
    if total <= MAX_VALUES:
        return None
    return Problem(
        f"the picklist would hold {total} values ({len(item.values)} declared, {len(kept)} kept as inactive): "
        f"Salesforce allows {MAX_VALUES}, inactive ones included",
        hint="delete unused inactive values in Setup, or declare fewer values",
        address=str(item.address),
    )


def _norm(type_name: str, name: str) -> tuple[str, str]:
    return type_name, name.casefold()


def _value_records(type_name: str, record: Any) -> list[Any]:
    """The value components of a field or value set as read."""
    if type_name == "CustomField":
        return zeep_list(getattr(record.valueSet.valueSetDefinition, "value", None))
    return zeep_list(getattr(record, "customValue" if type_name == "GlobalValueSet" else "standardValue", None))


def _picklist(key: str, type_name: str, record: Any) -> Picklist:
    raw = _value_records(type_name, record)
    owner = record.valueSet.valueSetDefinition if type_name == "CustomField" else record
    sorted_flag = getattr(owner, "sorted", None)
    values = tuple(
        PicklistValue(
            name=str(v.fullName),
            label=str(getattr(v, "label", None) or v.fullName),
            default=as_bool(getattr(v, "default", None)),
            active=as_bool(getattr(v, "isActive", None), default=True),
        )
        for v in raw
    )
    return Picklist(target=key, values=values, sorted=as_bool(sorted_flag))


def _seed_values(type_name: str, record: Any) -> dict[str, Any]:
    """A field's or value set's values in the seed shape, and whether they are sorted."""
    picklist = _picklist(str(record.fullName), type_name, record)
    values = [{"name": v.name, "label": v.label, "default": v.default, "active": v.active} for v in picklist.values]
    return {"values": values, "sorted": bool(picklist.sorted)}


def _values(value_type: Any, live: list[Any], after: Picklist) -> list[Any]:
    """The full value list to send: ``after``'s values in order, then live values it omits, inactive."""
    by_name = {str(v.fullName).casefold(): v for v in live}
    sent: list[Any] = []
    for value in after.values:
        item = copy.deepcopy(by_name.pop(value.name.casefold(), None)) or value_type(fullName=value.name)
        item.fullName, item.label = value.name, value.label
        item.default, item.isActive = value.default and value.active, value.active
        sent.append(item)
    for leftover in by_name.values():
        item = copy.deepcopy(leftover)
        item.default, item.isActive = False, False
        sent.append(item)
    return sent
