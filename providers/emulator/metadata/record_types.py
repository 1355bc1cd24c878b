"""RecordType ``picklistValues`` in the Metadata API: how readMetadata shows them and how updateMetadata
changes them.

Contract:

- ``picklist_values_xml`` renders one ``<picklistValues><picklist>F__c</picklist><values>...`` element per
  custom picklist field of the record type's object, listing the values the record type offers that are
  active on the field, each ``PicklistValue`` with ``fullName`` and ``default``.
- ``visibilities_xml`` / ``save_visibilities``: a Profile's ``recordTypeVisibilities`` (every record type,
  ``ProfileRecordTypeVisibility{default, recordType, visible}``), overlaid by a Profile update.
- ``save`` applies an updateMetadata / upsertMetadata of a RecordType: each ``picklistValues`` element
  sent replaces the values of that picklist (certinia/apex-mdapi#199); picklists not sent keep theirs.
  ``label``, ``active`` and ``description`` are updated when sent. A RecordType is never created. An
  unknown record type is ``INVALID_CROSS_REFERENCE_KEY`` (the Metadata API's wording for a missing
  component); a picklist or value the object does not have is ``FIELD_INTEGRITY_EXCEPTION``, a code
  chosen here (no public source gives the real one). Values are names, percent-decoded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from ..org import record_type_values, record_type_visibility
from ..org.store import Store
from ..soap.xml import text_el
from .names import Row, find_record_type

Errors = list[tuple[str, str]]


def picklist_values_xml(store: Store, record_type: Row) -> str:
    """The ``picklistValues`` elements of a RecordType (see the module contract)."""
    parts = []
    for field, values in record_type_values.available(store.data.tables, record_type):
        inner = "".join(
            f"<values>{text_el('fullName', name)}{text_el('default', is_default)}</values>"
            for name, is_default in values
        )
        parts.append(f"<picklistValues>{text_el('picklist', field)}{inner}</picklistValues>")
    return "".join(parts)


def visibilities_xml(store: Store, profile: Row) -> str:
    """A Profile's ``recordTypeVisibilities``: one element per record type of the org (WSDL order)."""
    return "".join(
        "<recordTypeVisibilities>"
        + text_el("default", default)
        + text_el("recordType", name)
        + text_el("visible", visible)
        + "</recordTypeVisibilities>"
        for name, visible, default in record_type_visibility.visibilities(store.data.tables, profile)
    )


def save_visibilities(store: Store, profile: Row, items: list[Any]) -> Errors:
    """Overlay a Profile update's ``recordTypeVisibilities`` (see ``org/record_type_visibility.py``): all of
    them or, when one is invalid, none."""
    staged = dict(profile)
    for item in items:
        if not isinstance(item, dict):
            continue
        name = str((item.get("recordType") or [""])[0] or "")
        record_type = find_record_type(store, name)
        if record_type is None:
            return [("INVALID_CROSS_REFERENCE_KEY", f"In field: recordType - no RecordType named {name} found")]
        visible, default = (str((item.get(k) or [""])[0]).lower() in {"true", "1"} for k in ("visible", "default"))
        message = record_type_visibility.set_visibility(store.data.tables, staged, record_type, visible, default)
        if message:
            return [("FIELD_INTEGRITY_EXCEPTION", message)]
    store.update("Profile", str(profile["Id"]), {record_type_visibility.KEY: staged.get(record_type_visibility.KEY)})
    return []


def save(store: Store, full_name: str, parsed: dict[str, list[Any]]) -> Errors:
    """Apply one parsed RecordType component; the errors of its SaveResult (none when it was saved)."""
    record_type = find_record_type(store, full_name)
    if record_type is None:
        return [("INVALID_CROSS_REFERENCE_KEY", f"In field: fullName - no RecordType named {full_name} found")]
    lists = dict(record_type.get(record_type_values.KEY) or {})
    for item in parsed.get("picklistValues") or []:
        if not isinstance(item, dict):
            continue
        picklist = str((item.get("picklist") or [""])[0] or "")
        values = [_value(v) for v in item.get("values") or [] if isinstance(v, dict)]
        message, lists = record_type_values.replaced(
            store.data.tables, {**record_type, record_type_values.KEY: lists}, picklist, values
        )
        if message:
            return [("FIELD_INTEGRITY_EXCEPTION", message)]
    fields: dict[str, Any] = {record_type_values.KEY: lists}
    for element, column in (("label", "Name"), ("description", "Description")):
        if element in parsed:
            fields[column] = (parsed[element] or [None])[0]
    if "active" in parsed:
        fields["IsActive"] = str((parsed["active"] or [""])[0]).lower() in {"true", "1"}
    store.update("RecordType", str(record_type["Id"]), fields)
    return []


def _value(item: dict[str, list[Any]]) -> tuple[str, bool]:
    name = unquote(str((item.get("fullName") or [""])[0] or ""))
    default = str((item.get("default") or [""])[0]).lower() in {"true", "1"}
    return name, default
