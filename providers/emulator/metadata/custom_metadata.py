"""Metadata API ``CustomMetadata``: the records of custom metadata types (objects named ``Type__mdt``,
seeded in the ``objects`` section, see ``org/seed_objects.py``), read, saved, deleted and listed.

A record's fullName is ``Type.Record`` (the type without ``__mdt``; ``ns__Type.ns__Record`` for a managed
one). Its component: ``fullName``, ``label``, ``protected`` and one ``values`` element per field of the
type, ``<values><field>Enabled__c</field><value xsi:type="xsd:boolean">true</value></values>``
(``xsd:string``, ``xsd:boolean``, ``xsd:double``, ``xsd:date`` by the field's type, the ``xsd`` prefix
declared on the element; an empty field is ``<value xsi:nil="true"/>``), the shape the Metadata API
returns.

Contract:

- ``find(store, fullName)``: ``(table, row)`` or None (names compare case-insensitively).
- ``render(store, table, row)``: the inner XML of readMetadata's ``records``.
- ``save(store, parsed, upsert=...)``: ``(created, errors)``. A save replaces the whole record, as a
  deploy does: a field left out of ``values`` becomes empty. An unknown type fails with
  ``INVALID_CROSS_REFERENCE_KEY``; an unknown record on update too; a missing ``label`` with
  ``REQUIRED_FIELD_MISSING``; a ``values`` field the type does not have with ``INVALID_FIELD`` (the real
  statusCode is not public). A record of another namespace than the org's that is protected fails
  with ``CANNOT_MODIFY_MANAGED_OBJECT`` (a subscriber cannot edit it). Values are stored typed by the
  field (Checkbox as a boolean, Number/Percent/Currency as a number, the rest as text). It never
  commits.
- ``delete(store, fullName)``: the errors (an unknown record: ``INVALID_CROSS_REFERENCE_KEY``; a
  protected managed one: ``CANNOT_MODIFY_MANAGED_OBJECT``).
- ``listed(store)``: ``(fullName, fileName, row)`` of every record, sorted by fullName.
"""

from __future__ import annotations

from typing import Any

from ..org.naming import split_namespace
from ..org.store import Store
from ..soap.xml import text_el, xml_attr, xml_text
from .types import Parsed, as_bool, first

Row = dict[str, Any]
ErrorSpec = tuple[str, str]
TYPE = "CustomMetadata"
MDT = "__mdt"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_NUMBERS = {"Number", "Percent", "Currency"}
_XSD = {"Checkbox": "xsd:boolean", "Number": "xsd:double", "Percent": "xsd:double", "Currency": "xsd:double"}


def _tables(store: Store) -> list[str]:
    return [name for name in store.sobjects() if name.endswith(MDT)]


def full_name(table: str, row: Row) -> str:
    return f"{table[: -len(MDT)]}.{row['QualifiedApiName']}"


def _split(name: str) -> tuple[str, str]:
    type_name, _, record = name.partition(".")
    return type_name + MDT, record


def _table(store: Store, type_name: str) -> str | None:
    return next((t for t in _tables(store) if t.casefold() == type_name.casefold()), None)


def find(store: Store, name: str) -> tuple[str, Row] | None:
    type_name, record = _split(name)
    table = _table(store, type_name)
    if table is None:
        return None
    rows = store.table(table).values()
    row = next((r for r in rows if str(r["QualifiedApiName"]).casefold() == record.casefold()), None)
    return (table, row) if row is not None else None


def fields(store: Store, table: str) -> dict[str, str]:
    """Field API name -> field type (``Checkbox``, ``Number``, ``Text`` ...) of a type's ``__c`` fields."""
    found = store.find("CustomField", _object=table)
    return {str(f["FullName"]).split(".", 1)[1]: str(f["Metadata"].get("type") or "Text") for f in found}


def render(store: Store, table: str, row: Row) -> str:
    values = "".join(_value_xml(name, kind, row.get(name)) for name, kind in sorted(fields(store, table).items()))
    return (
        text_el("fullName", full_name(table, row))
        + text_el("label", row.get("MasterLabel"))
        + text_el("protected", bool(row.get("IsProtected")))
        + values
    )


def _value_xml(name: str, kind: str, value: Any) -> str:
    if value is None:
        inner = '<value xsi:nil="true"/>'
    else:
        xsd = "xsd:date" if kind == "Date" else _XSD.get(kind, "xsd:string")
        inner = f'<value xmlns:xsd="{XSD_NS}" xsi:type={xml_attr(xsd)}>{xml_text(value)}</value>'
    return f"<values>{text_el('field', name)}{inner}</values>"


def listed(store: Store) -> list[tuple[str, str, Row]]:
    rows = [(t, r) for t in _tables(store) for r in store.table(t).values()]
    named = [(full_name(t, r), f"customMetadata/{full_name(t, r)}.md", r) for t, r in rows]
    return sorted(named, key=lambda item: item[0])


def _managed(store: Store, row: Row) -> bool:
    namespace = row.get("NamespacePrefix")
    return bool(namespace) and namespace != store.organization.get("NamespacePrefix") and bool(row.get("IsProtected"))


def save(store: Store, parsed: Parsed, *, upsert: bool) -> tuple[bool, list[ErrorSpec]]:
    name = str(first(parsed, "fullName") or "")
    type_name, record = _split(name)
    table = _table(store, type_name)
    if table is None or not record:
        return False, [("INVALID_CROSS_REFERENCE_KEY", f"In field: fullName - no CustomMetadata type for {name}")]
    found = find(store, name)
    if found is None and not upsert:
        return False, [("INVALID_CROSS_REFERENCE_KEY", f"In field: fullName - no CustomMetadata named {name} found")]
    if found is not None and _managed(store, found[1]):
        return False, [("CANNOT_MODIFY_MANAGED_OBJECT", f"Cannot modify managed object: entity=CustomMetadata, {name}")]
    label = first(parsed, "label")
    if not label:
        return False, [("REQUIRED_FIELD_MISSING", "Required field is missing: label")]
    known = fields(store, table)
    given: dict[str, Any] = {}
    for item in parsed.get("values") or []:
        field = str(first(item, "field") or "") if isinstance(item, dict) else ""
        api = next((f for f in known if f.casefold() == field.casefold()), None)
        if api is None:
            return False, [("INVALID_FIELD", f"No such field {field} on {table}")]
        try:
            given[api] = _typed(known[api], first(item, "value"))
        except ValueError:
            return False, [("FIELD_INTEGRITY_EXCEPTION", f"{api}: value not of required type: {first(item, 'value')}")]
    columns = {api: given.get(api) for api in known}
    columns.update({"MasterLabel": str(label), "Label": str(label)})
    if first(parsed, "protected") is not None:
        columns["IsProtected"] = as_bool(first(parsed, "protected"))
    if found is not None:
        store.update(table, str(found[1]["Id"]), columns)
        return False, []
    namespace, developer_name = split_namespace(record)
    fixed = {"DeveloperName": developer_name, "NamespacePrefix": namespace, "QualifiedApiName": record}
    store.insert(table, {**fixed, "IsProtected": False, **columns})
    return True, []


def _typed(kind: str, value: Any) -> Any:
    if value is None or (value == "" and kind != "Text"):
        return None
    if kind == "Checkbox":
        return as_bool(value)
    if kind in _NUMBERS:
        return float(value)
    return str(value)


def delete(store: Store, name: str) -> list[ErrorSpec]:
    found = find(store, name)
    if found is None:
        return [("INVALID_CROSS_REFERENCE_KEY", f"In field: fullName - no CustomMetadata named {name} found")]
    if _managed(store, found[1]):
        return [("CANNOT_MODIFY_MANAGED_OBJECT", f"Cannot modify managed object: entity=CustomMetadata, {name}")]
    store.delete(found[0], str(found[1]["Id"]))
    return []
