"""The ``custom_metadata`` kind: records of custom metadata types, read by SOQL and written through the
Metadata API (``CustomMetadata``).

Read: per type named by the keys, one describe (``GET sobjects/Type__mdt/describe``: the type's fields
and their types) and one query of every record (``DeveloperName``, ``MasterLabel``, ``QualifiedApiName``,
``NamespacePrefix`` and every ``__c`` field). Records are keyed as asked (names compare
case-insensitively; ``QualifiedApiName`` carries a managed record's namespace).

Write: ``upsertMetadata`` of whole ``CustomMetadata`` components, 10 a call: fullName ``Type.Record``
(the type without ``__mdt``), ``label``, and a ``values`` element for every field of the type, the
declared ones as declared and the others as the org has them (a deploy replaces the whole record), each
``value`` typed (``xsd:string``, ``xsd:boolean``, ``xsd:double``, ``xsd:date``; an empty one
``xsi:nil``) as the Metadata API returns them. Deletes: ``deleteMetadata``, 10 a call. Both are
replay-safe.

Preflight: an unknown type, an unknown field (with the closest as a hint), a value of the wrong type, and
a managed record a subscriber cannot edit: a record of another namespace than the org's that
``readMetadata`` says is ``protected`` (one readMetadata per 10 such records, only when the configuration
declares some), or that the org does not show (protected records of a package are not visible to
subscribers). Each is reported on its entry and not attempted.

Seed (snapshots): the types read (the ones the configuration names; no more calls), each as an
``objects`` entry ``Type__mdt`` with its fields and records (``DeveloperName`` with its namespace,
``MasterLabel``, the field values; ``providers.salesforce.seed_objects``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from zeep import xsd as zeep_xsd

from providers.salesforce import components, field_values
from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.seed_objects import object_entry
from reconcile.errors import Problem, ProviderError
from reconcile.kinds.custom_metadata import CustomMetadataRecord, split_record
from reconcile.model import Action, Address, Change, ChangeResult, Resource

METADATA_TYPE = "CustomMetadata"
MDT = "__mdt"
STANDARD = ("Id", "DeveloperName", "MasterLabel", "QualifiedApiName", "NamespacePrefix")
_UNKNOWN_OBJECT = ("NOT_FOUND", "INVALID_TYPE")
#: zeep's schema types (untyped: used through ``Any``).
xsd: Any = zeep_xsd
_XSD = {"boolean": xsd.Boolean, "double": xsd.Double, "int": xsd.Integer, "currency": xsd.Double, "percent": xsd.Double}


class MetadataType:
    """One custom metadata type as the org describes it, and its records by name (casefolded)."""

    def __init__(self, describe: dict[str, Any]) -> None:
        self.name = str(describe["name"])
        self.label = str(describe.get("label") or "")
        fields = {str(f["name"]): str(f["type"]) for f in describe.get("fields", [])}
        self.fields = {name.casefold(): (name, kind) for name, kind in fields.items() if name.endswith("__c")}
        self.records: dict[str, dict[str, Any]] = {}

    def resource(self, name: str, record: dict[str, Any]) -> CustomMetadataRecord:
        return CustomMetadataRecord(
            type=self.name,
            name=name,
            label=str(record.get("MasterLabel") or ""),
            values={api: record.get(api) for api, _ in self.fields.values()},
            namespace=str(record.get("NamespacePrefix") or ""),
            ids={"record": str(record["Id"])},
        )


def full_name(type_name: str, name: str) -> str:
    return f"{type_name.removesuffix(MDT)}.{name}"


class CustomMetadataHandler:
    """Reads, checks, writes and lists ``custom_metadata`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.types: dict[str, MetadataType | None] = {}
        self.org_namespace: str | None = None

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        self._load(split_record(key)[0] for key in keys)
        found: dict[Address, Resource] = {}
        for key in keys:
            type_name, name = split_record(key)
            live = self.types.get(type_name.casefold())
            record = live.records.get(name.casefold()) if live is not None else None
            if live is not None and record is not None:
                found[Address("custom_metadata", key)] = live.resource(name, record)
        return found

    def inventory(self) -> dict[Address, Resource]:
        described = self.transport.rest("GET", "sobjects") or {}
        names = [str(s["name"]) for s in described.get("sobjects", []) if str(s["name"]).endswith(MDT)]
        self._load(names)
        found: dict[Address, Resource] = {}
        for live in (self.types.get(n.casefold()) for n in names):
            for record in live.records.values() if live is not None else []:
                resource = live.resource(str(record["QualifiedApiName"]), record) if live is not None else None
                if resource is not None:
                    found[resource.address] = resource
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The custom metadata types read, with their records, as ``objects`` entries."""
        entries = []
        for live in self.types.values():
            if live is None:
                continue
            fields = dict(live.fields.values())
            records = [
                {
                    "DeveloperName": record["QualifiedApiName"],
                    "MasterLabel": record.get("MasterLabel"),
                    **{api: record.get(api) for api in fields},
                }
                for record in live.records.values()
            ]
            entries.append(object_entry(live.name, live.label, fields, records))
        return {"objects": entries}

    def _load(self, types: Iterable[str]) -> None:
        unique = {t.casefold(): t for t in reversed(list(types))}
        for folded, type_name in unique.items():
            if folded in self.types:
                continue
            live = self._describe(type_name)
            self.types[folded] = live
            if live is not None:
                columns = [*STANDARD, *(api for api, _ in live.fields.values())]
                for record in self.transport.query_all(f"SELECT {', '.join(columns)} FROM {live.name}"):
                    live.records[str(record["QualifiedApiName"]).casefold()] = record

    def _describe(self, type_name: str) -> MetadataType | None:
        try:
            describe = self.transport.rest("GET", f"sobjects/{type_name}/describe")
        except ProviderError as error:
            if error.code in _UNKNOWN_OBJECT:
                return None
            raise
        return MetadataType(describe) if describe else None

    # -- preflight -------------------------------------------------------------------------------------

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, CustomMetadataRecord)]
        self._load(d.type for d in wanted)
        protected = self._protected([d for d in wanted if "__" in d.name])
        return [problem for item in wanted for problem in self._problems(item, protected)]

    def _protected(self, managed: list[CustomMetadataRecord]) -> set[str]:
        """Full names (casefolded) of the declared managed records a subscriber cannot edit."""
        if not managed:
            return set()
        if self.org_namespace is None:
            rows = self.transport.query_all("SELECT NamespacePrefix FROM Organization")
            self.org_namespace = str(rows[0].get("NamespacePrefix") or "") if rows else ""
        foreign = [m for m in managed if not m.name.casefold().startswith(f"{self.org_namespace}__".casefold())]
        names = [full_name(m.type, m.name) for m in foreign]
        read = components.read(self.transport, METADATA_TYPE, names) if names else {}
        return {n.casefold() for n in names if n.casefold() not in read or _is_true(read[n.casefold()].protected)}

    def _problems(self, item: CustomMetadataRecord, protected: set[str]) -> list[Problem]:
        address = str(item.address)
        live = self.types.get(item.type.casefold())
        if live is None:
            return [Problem(f"unknown custom metadata type {item.type}", address=address)]
        if full_name(item.type, item.name).casefold() in protected:
            message = f"{item.key} is a protected record of a managed package: a subscriber org cannot edit it"
            return [Problem(message, hint="remove the entry; the package owns this record", address=address)]
        problems = []
        for field, value in item.values.items():
            known = live.fields.get(field.casefold())
            if known is None:
                hint = suggestion(field, [api for api, _ in live.fields.values()])
                problems.append(Problem(f"unknown field {field} on {live.name}", hint=hint, address=address))
                continue
            try:
                field_values.typed(value, known[1])
            except ValueError as error:
                problems.append(Problem(f"{live.name}.{known[0]} {error}", address=address))
        return problems

    # -- apply -----------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        self._load(c.address.key.partition(".")[0] for c in changes)
        results: dict[int, ChangeResult] = {}
        writes: dict[int, Any] = {}
        deletes: dict[int, str] = {}
        for index, change in enumerate(changes):
            type_name, name = split_record(change.address.key)
            if change.action is Action.FORGET:
                results[index] = ChangeResult(address=change.address, ok=True, message="no longer managed")
            elif change.action is Action.DELETE:
                deletes[index] = full_name(type_name, name)
            elif isinstance(change.after, CustomMetadataRecord):
                try:
                    writes[index] = self._component(change.after)
                except (KeyError, ValueError) as error:
                    results[index] = ChangeResult(address=change.address, ok=False, code="INVALID", message=str(error))
        saved = components.save(self.transport, "upsertMetadata", list(writes.values()))
        for index, outcome in zip(writes, saved, strict=True):
            results[index] = _result(changes[index], outcome, "created" if outcome.created else "updated")
        removed = components.delete(self.transport, METADATA_TYPE, list(deletes.values()))
        for index, outcome in zip(deletes, removed, strict=True):
            results[index] = _result(changes[index], outcome, "deleted")
        return [results[i] for i in range(len(changes))]

    def _component(self, record: CustomMetadataRecord) -> Any:
        live = self.types.get(record.type.casefold())
        if live is None:
            raise ValueError(f"unknown custom metadata type {record.type}")
        current = live.records.get(record.name.casefold(), {})
        declared = {field.casefold(): value for field, value in record.values.items()}
        value_type = self.transport.metadata_type("CustomMetadataValue")
        values = []
        for folded, (api, kind) in sorted(live.fields.items()):
            value = field_values.typed(declared[folded], kind) if folded in declared else current.get(api)
            values.append(value_type(field=api, value=_any(value, kind)))
        return self.transport.metadata_type(METADATA_TYPE)(
            fullName=full_name(live.name, record.name), label=record.label or record.name, values=values
        )


def _any(value: Any, kind: str) -> Any:
    """A value as an ``xsd:anyType`` element carrying its ``xsi:type``; None stays nil."""
    if value is None:
        return None
    if kind == "date":
        return xsd.AnyObject(xsd.Date(), date.fromisoformat(str(value)))
    if kind in _XSD:
        return xsd.AnyObject(_XSD[kind](), value)
    return xsd.AnyObject(xsd.String(), str(value))


def _is_true(value: Any) -> bool:
    return value in (True, "true")


def _result(change: Change, outcome: components.Outcome, message: str) -> ChangeResult:
    if not outcome.ok:
        return ChangeResult(address=change.address, ok=False, code=outcome.code, message=outcome.message)
    return ChangeResult(address=change.address, ok=True, message=message)
