"""Which values of each custom picklist field a record type offers (RecordType ``picklistValues``).

Seed section ``record_type_picklists``: ``[{record_type: "Account.Enterprise", field: "Tier__c",
values: ["Gold", "Silver"], default?: "Gold"}]``. A (record type, picklist field) pair the section does not
name offers every value that is active when the org is first loaded, with the field's default, as a
record type created in Setup does. The live org file writes every pair, so a value added to a field
later is offered by no record type until a RecordType update names it: Salesforce does not add new values
to record types either. An unknown record type, field or value raises ``SeedError``.

Stored on each RecordType row as ``_picklist_values``: ``{field name (casefolded): {"field": name,
"values": [value names], "default": name or None}}``. What the APIs show (``available``) is that list
reduced to the values still active on the field, in the field's order, so a deactivated value disappears
from every record type and comes back if it is reactivated.
"""

from __future__ import annotations

from typing import Any

from . import sections as seed
from .data import OrgData, Record, SeedError

SECTION = "record_type_picklists"

SEED_SECTION = seed.SeedSection(
    SECTION,
    "The values of a picklist field each record type offers, and its default (RecordType "
    "`picklistValues`). A pair not named offers every value active when the org is first loaded; values "
    "added to the field later are offered by no record type until a RecordType update names them.",
    seed.listing(
        "The (record type, field) pairs.",
        seed.entry(
            "The values one record type offers for one field.",
            ("record_type", "field"),
            record_type=seed.text("`Object.DeveloperName` of one of the object's record types."),
            field=seed.text("The picklist field's API name on that object."),
            values=seed.listing("The values offered, by API name.", seed.text("A value of the field.")),
            default=seed.text("The record type's default value for the field."),
        ),
    ),
)
KEY = "_picklist_values"
_PICKLIST_TYPES = ("Picklist", "MultiselectPicklist")


def picklist_fields(tables: dict[str, dict[str, Record]], sobject: str) -> list[Record]:
    """The CustomField rows of ``sobject`` that are picklists, in table order."""
    return [
        row
        for row in tables.get("CustomField", {}).values()
        if str(row.get("_object") or "").casefold() == sobject.casefold()
        and (row.get("Metadata") or {}).get("type") in _PICKLIST_TYPES
    ]


def field_name(field: Record) -> str:
    return str(field["FullName"]).split(".", 1)[1]


def all_values(tables: dict[str, dict[str, Record]], field: Record) -> list[dict[str, Any]]:
    """Every stored value of a picklist field (following a global value set binding)."""
    value_set = (field.get("Metadata") or {}).get("valueSet") or {}
    bound = value_set.get("valueSetName")
    if bound:
        for row in tables.get("GlobalValueSet", {}).values():
            if str(row.get("FullName") or "").casefold() == str(bound).casefold():
                return list((row.get("Metadata") or {}).get("customValue") or [])
        return []
    return list((value_set.get("valueSetDefinition") or {}).get("value") or [])


def _active_names(tables: dict[str, dict[str, Record]], field: Record) -> list[str]:
    return [str(v["valueName"]) for v in all_values(tables, field) if v.get("isActive") is not False]


def full_name(record_type: Record) -> str:
    prefix = f"{record_type['NamespacePrefix']}__" if record_type.get("NamespacePrefix") else ""
    return f"{record_type['SobjectType']}.{prefix}{record_type['DeveloperName']}"


def load(data: OrgData, specs: list[dict[str, Any]]) -> None:
    """Give every RecordType row its value lists (see the module docstring)."""
    tables = data.tables
    given: dict[tuple[str, str], dict[str, Any]] = {}
    by_name = {full_name(rt).casefold(): rt for rt in tables.get("RecordType", {}).values()}
    for spec in specs:
        record_type = by_name.get(str(spec.get("record_type") or "").casefold())
        if record_type is None:
            raise SeedError(f"{SECTION}: unknown record type {spec.get('record_type')!r}")
        given[(full_name(record_type).casefold(), str(spec.get("field") or "").casefold())] = spec
    for record_type in tables.get("RecordType", {}).values():
        lists: dict[str, dict[str, Any]] = {}
        for field in picklist_fields(tables, str(record_type["SobjectType"])):
            name = field_name(field)
            lists[name.casefold()] = _entry(
                tables, field, given.pop((full_name(record_type).casefold(), name.casefold()), None)
            )
        record_type[KEY] = lists
    if given:
        record_type_name, unknown_field = next(iter(given))
        raise SeedError(f"{SECTION}: {record_type_name} has no picklist field {unknown_field!r}")


def _entry(tables: dict[str, dict[str, Record]], field: Record, spec: dict[str, Any] | None) -> dict[str, Any]:
    known = {name.casefold(): name for name in (str(v["valueName"]) for v in all_values(tables, field))}
    if spec is None:
        values = _active_names(tables, field)
        default = next((str(v["valueName"]) for v in all_values(tables, field) if v.get("default")), None)
        return {"field": field_name(field), "values": values, "default": default}
    names = [str(v) for v in spec.get("values") or []]
    unknown = [n for n in names if n.casefold() not in known]
    if unknown:
        raise SeedError(f"{SECTION}: {field['FullName']} has no value {unknown[0]!r}")
    default = spec.get("default")
    return {"field": field_name(field), "values": [known[n.casefold()] for n in names], "default": default}


def available(tables: dict[str, dict[str, Record]], record_type: Record) -> list[tuple[str, list[tuple[str, bool]]]]:
    """``(field, [(value, is_default)])`` for each picklist field of the record type, active values only."""
    stored: dict[str, dict[str, Any]] = record_type.get(KEY) or {}
    shown = []
    for field in picklist_fields(tables, str(record_type["SobjectType"])):
        entry = stored.get(field_name(field).casefold()) or {}
        offered = {str(v).casefold() for v in entry.get("values") or []}
        default = str(entry.get("default") or "").casefold()
        values = [(v, v.casefold() == default) for v in _active_names(tables, field) if v.casefold() in offered]
        shown.append((field_name(field), values))
    return shown


def to_document(data: OrgData) -> list[dict[str, Any]]:
    """The ``record_type_picklists`` section: every (record type, picklist field) pair."""
    section = []
    for record_type in data.tables.get("RecordType", {}).values():
        for entry in (record_type.get(KEY) or {}).values():
            item: dict[str, Any] = {"record_type": full_name(record_type), "field": entry["field"]}
            item["values"] = list(entry.get("values") or [])
            if entry.get("default"):
                item["default"] = entry["default"]
            section.append(item)
    return section


def replaced(
    tables: dict[str, dict[str, Record]], record_type: Record, picklist: str, values: list[tuple[str, bool]]
) -> tuple[str, dict[str, Any]]:
    """The record type's ``_picklist_values`` with one picklist's list replaced by ``values`` (an update
    replaces the list of each picklist it sends), and an error message ("" when the values are valid)."""
    lists = dict(record_type.get(KEY) or {})
    fields = picklist_fields(tables, str(record_type["SobjectType"]))
    field = next((f for f in fields if field_name(f).casefold() == picklist.casefold()), None)
    if field is None:
        return f"no picklist field {record_type['SobjectType']}.{picklist}", lists
    known = {n.casefold(): n for n in _active_names(tables, field)}
    unknown = [name for name, _ in values if name.casefold() not in known]
    if unknown:
        return f"{unknown[0]} is not an active value of {field['FullName']}", lists
    defaults = [known[name.casefold()] for name, is_default in values if is_default]
    if len(defaults) > 1:
        return f"more than one default value for {field['FullName']}", lists
    lists[field_name(field).casefold()] = {
        "field": field_name(field),
        "values": [known[name.casefold()] for name, _ in values],
        "default": defaults[0] if defaults else None,
    }
    return "", lists
