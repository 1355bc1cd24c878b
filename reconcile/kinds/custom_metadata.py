"""``custom_metadata``: one record of a custom metadata type, its label and field values.

Address: ``custom_metadata:Feature_Flag__mdt.New_Checkout`` (the type's API name, a dot, the record's
developer name; ``ns__Type__mdt.ns__Record`` for a managed one). TOML::

    [[custom_metadata]]
    record = "Feature_Flag__mdt.New_Checkout"
    label = "New checkout"                  # optional: a new record is labelled after its name
    values = { Enabled__c = true, Endpoint__c = "${var.erp_url}" }

Only the declared fields (and ``label`` when given) are compared; the provider writes the whole record
with the other fields as the org has them. Values are typed by the field's describe in preflight, as for
custom settings (``reconcile.kinds.custom_setting``).

Ownership: missing: create; differing: update; leaving the configuration: a record this tool created is
deleted, one it only updated is forgotten (the org keeps its values), one already gone is forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, StrictStr

from reconcile.config.schema import PLACEHOLDER, Entry, Finding, NonEmpty
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind, Skipped
from reconcile.kinds.custom_setting import FIELD_PATTERN, SettingValue, same_value, shown, typed_values
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

RECORD_PATTERN = re.compile(
    r"^([A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]*__mdt\.([A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]*$"
)


def _record(value: str) -> str:
    if PLACEHOLDER not in value and not RECORD_PATTERN.match(value):
        raise ValueError(f"{value!r} must look like Type__mdt.Record_Name, e.g. Feature_Flag__mdt.New_Checkout")
    return value


RecordName = Annotated[str, AfterValidator(_record), StrictStr]


class CustomMetadataEntry(Entry):
    """``[[custom_metadata]]``: one custom metadata record, its label and field values."""

    DESCRIPTION = (
        "A custom metadata record: its label and the values of the fields declared in `values` (the record's "
        "other fields are kept). A record this tool created is deleted when its entry leaves the configuration; "
        "one it only updated is left as it is."
    )
    KEY_DOCS = {
        "record": "`Type__mdt.Record_Name`: the type's API name and the record's developer name.",
        "label": "The record's label; a new record without one is labelled after its name.",
        "values": "Field API names and their values, e.g. `{ Enabled__c = true }`.",
    }
    EXAMPLES = {"record": "Feature_Flag__mdt.New_Checkout", "label": "New checkout", "values": {"Enabled__c": True}}
    CONSTRAINTS = {"record": {"pattern": RECORD_PATTERN.pattern}}

    record: RecordName
    label: NonEmpty | None = None
    values: dict[str, SettingValue] = {}

    def findings(self) -> list[Finding]:
        return [
            (("values", field), f"{field!r} is not a custom field's API name", "custom fields end in __c")
            for field in self.values
            if not FIELD_PATTERN.match(field)
        ]


class CustomMetadataRecord(Resource):
    """A custom metadata record. ``label`` None: not declared (not compared). ``values``: the declared
    fields (desired) or every field (live). ``namespace``: the record's package namespace (live only)."""

    kind: Literal["custom_metadata"] = "custom_metadata"
    type: str
    name: str
    label: str | None = None
    values: dict[str, Any]
    namespace: str = ""

    @property
    def key(self) -> str:
        return f"{self.type}.{self.name}"


def split_record(key: str) -> tuple[str, str]:
    """``Feature_Flag__mdt.New_Checkout`` -> ``("Feature_Flag__mdt", "New_Checkout")``."""
    type_name, _, name = key.partition(".")
    return type_name, name


def _differences(desired: CustomMetadataRecord, live: CustomMetadataRecord) -> list[str]:
    found = ["label"] if desired.label is not None and desired.label != live.label else []
    return found + [f for f, v in desired.values.items() if not same_value(v, live.values.get(f))]


class CustomMetadataKind(ResourceKind[CustomMetadataEntry, CustomMetadataRecord]):
    name = "custom_metadata"
    entry = CustomMetadataEntry
    resource = CustomMetadataRecord
    noun = "custom metadata records"

    def expand(self, entry: CustomMetadataEntry, org: Expansion) -> list[CustomMetadataRecord]:
        type_name, name = split_record(org.sub(entry.record))
        label = org.sub(entry.label) if entry.label is not None else None
        return [CustomMetadataRecord(type=type_name, name=name, label=label, values=typed_values(entry.values, org))]

    def plan(
        self,
        desired: CustomMetadataRecord,
        live: CustomMetadataRecord | None,
        entry: StateEntry | None,
        context: PlanContext,
    ) -> Change | None:
        if live is None:
            after = desired.model_copy(update={"label": desired.label or desired.name.replace("_", " ")})
            return Change(address=desired.address, action=Action.CREATE, after=after, reason="missing record")
        differing = _differences(desired, live)
        if not differing:
            return None
        before = live.model_copy(update={"values": {f: live.values.get(f) for f in desired.values}})
        after = desired.model_copy(update={"ids": live.ids, "label": desired.label or live.label})
        reason = "differs: " + ", ".join(differing)
        return Change(address=desired.address, action=Action.UPDATE, before=before, after=after, reason=reason)

    def plan_removal(self, address: Address, live: CustomMetadataRecord | None, entry: StateEntry) -> Change:
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="no longer in the org")
        declared = {field: live.values.get(field) for field in entry.attributes.get("values", {})}
        before = live.model_copy(update={"values": declared})
        if not entry.attributes.get("created"):
            reason = "no longer declared: the record keeps its values (this tool did not create it)"
            return Change(address=address, action=Action.FORGET, before=before, reason=reason)
        return Change(address=address, action=Action.DELETE, before=before, reason="no longer declared: delete")

    def state_attributes(self, change: Change, previous: StateEntry | None) -> dict[str, Any]:
        created = change.action is Action.CREATE or bool(previous is not None and previous.attributes.get("created"))
        return {**super().state_attributes(change, previous), "created": created}

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before if isinstance(change.before, CustomMetadataRecord) else None
        after = change.after if isinstance(change.after, CustomMetadataRecord) else None
        if before is not None and after is not None:
            lines: list[DetailLine] = []
            if after.label is not None and after.label != before.label:
                lines.append(("~", f"label: {before.label} -> {after.label}"))
            lines += [
                ("~", f"{field}: {shown(before.values.get(field))} -> {shown(value)}")
                for field, value in after.values.items()
                if not same_value(value, before.values.get(field))
            ]
            return lines
        record = after or before
        if record is None:
            return []
        symbol = "+" if after is not None else ("-" if change.action is Action.DELETE else " ")
        return [(symbol, f"label: {record.label}")] + [(symbol, f"{f}: {shown(v)}") for f, v in record.values.items()]

    def comparable(self, resource: CustomMetadataRecord) -> Any:
        return {field: shown(value) for field, value in resource.values.items()}

    def compare(
        self,
        source: CustomMetadataRecord,
        target: CustomMetadataRecord,
        after: CustomMetadataRecord,
        names: tuple[str, str],
    ) -> Change | None:
        fields = sorted(set(source.values) | set(target.values))
        differing = [f for f in fields if not same_value(source.values.get(f), target.values.get(f))]
        parts = (
            [f"label {source.label} in {names[0]}, {target.label} in {names[1]}"]
            if source.label != target.label
            else []
        )
        parts += [
            f"{f} {shown(source.values.get(f))} in {names[0]}, {shown(target.values.get(f))} in {names[1]}"
            for f in differing
        ]
        if not parts:
            return None
        return Change(address=target.address, action=Action.UPDATE, before=target, after=after, reason="; ".join(parts))

    def export(self, resources: Sequence[CustomMetadataRecord], org: str, suffix: str) -> Exported:
        """One entry per record (label and every non-empty field), sorted by address. A managed package's
        record is listed, not written: a subscriber can edit few of them (none that is protected)."""
        entries: list[dict[str, Any]] = []
        skipped = [
            Skipped(r.address, f"a record of the managed package {r.namespace}; declare it by hand if it is editable")
            for r in resources
            if r.namespace
        ]
        for record in sorted((r for r in resources if not r.namespace), key=lambda r: r.key.casefold()):
            values = {field: value for field, value in sorted(record.values.items()) if value is not None}
            entry: dict[str, Any] = {"record": record.key, "label": record.label}
            entries.append({**entry, **({"values": values} if values else {}), "orgs": [org]})
        return entries, skipped
