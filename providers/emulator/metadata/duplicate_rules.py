"""Metadata API ``DuplicateRule``: readMetadata's XML for a stored rule, and updateMetadata of one.

Contract:

- ``find(store, fullName)``: the ``DuplicateRule`` row whose ``Object.ns__DeveloperName`` is fullName
  (case-insensitive), or None.
- ``render(row)``: the inner XML of readMetadata's ``records`` element, elements in WSDL order
  (``fullName`` first), booleans "true"/"false", absent optional values left out (as for the other
  types; whether a real org writes ``<duplicateRuleFilter xsi:nil="true"/>`` instead is not public).
- ``save(store, fullName, parsed)``: updateMetadata replaces the whole component, as the Metadata API
  does. ``actionOnInsert``, ``actionOnUpdate``, ``isActive``, ``masterLabel``, ``securityOption`` and
  ``sortOrder`` are required (WSDL, minOccurs 1, not nillable): a missing one fails the component with
  ``REQUIRED_FIELD_MISSING`` (the wording of the emulator's other types; the real wording is not
  public). An enumeration outside the WSDL's values fails with ``FIELD_INTEGRITY_EXCEPTION`` (invented).
  Rules are never created (upsert of an unknown rule fails like update: rules belong to the org).
  It never commits; the caller commits once per request.
"""

from __future__ import annotations

from typing import Any

from ..org import duplicate_rules
from ..org.store import Store
from ..soap.xml import text_el
from .types import Parsed, as_bool, first

Row = dict[str, Any]
ComponentErrorSpec = tuple[str, str]  # statusCode, message

#: Each complex element's children in WSDL order; a name in ``_REPEATED`` may occur many times.
_ORDER: dict[str, tuple[str, ...]] = {
    "DuplicateRule": (
        "actionOnInsert",
        "actionOnUpdate",
        "alertText",
        "description",
        "duplicateRuleFilter",
        "duplicateRuleMatchRules",
        "isActive",
        "masterLabel",
        "operationsOnInsert",
        "operationsOnUpdate",
        "securityOption",
        "sortOrder",
    ),
    "duplicateRuleFilter": ("booleanFilter", "duplicateRuleFilterItems"),
    "duplicateRuleFilterItems": ("field", "operation", "value", "valueField", "sortOrder", "table"),
    "duplicateRuleMatchRules": ("matchRuleSObjectType", "matchingRule", "objectMapping"),
    "objectMapping": ("inputObject", "mappingFields", "outputObject"),
    "mappingFields": ("inputField", "outputField"),
}
_REPEATED = {
    "duplicateRuleMatchRules",
    "operationsOnInsert",
    "operationsOnUpdate",
    "duplicateRuleFilterItems",
    "mappingFields",
}
_INTEGERS = {"sortOrder"}
_BOOLEANS = {"isActive"}
REQUIRED = ("actionOnInsert", "actionOnUpdate", "isActive", "masterLabel", "securityOption", "sortOrder")
_ENUMS = {
    "actionOnInsert": ("Allow", "Block"),
    "actionOnUpdate": ("Allow", "Block"),
    "securityOption": ("EnforceSharingRules", "BypassSharingRules"),
}


def find(store: Store, full_name: str) -> Row | None:
    wanted = full_name.casefold()
    rows = store.table(duplicate_rules.TABLE).values()
    return next((row for row in rows if duplicate_rules.full_name(row).casefold() == wanted), None)


def listed(store: Store) -> list[tuple[str, str, Row]]:
    """(fullName, fileName, row) of every rule, as listMetadata reports them."""
    rows = store.table(duplicate_rules.TABLE).values()
    named = [
        (duplicate_rules.full_name(r), f"duplicateRules/{duplicate_rules.full_name(r)}.duplicateRule", r) for r in rows
    ]
    return sorted(named, key=lambda item: item[0])


def render(row: Row) -> str:
    return text_el("fullName", duplicate_rules.full_name(row)) + _children("DuplicateRule", row["Metadata"])


def _children(element: str, value: dict[str, Any]) -> str:
    parts = []
    for key in _ORDER[element]:
        items = value.get(key)
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):
                parts.append(f"<{key}>{_children(key, item)}</{key}>")
            else:
                parts.append(text_el(key, item))
    return "".join(parts)


def save(store: Store, full_name: str, parsed: Parsed) -> list[ComponentErrorSpec]:
    """Replace the stored component of ``full_name`` with ``parsed``; the errors, empty on success."""
    row = find(store, full_name)
    if row is None:
        return [("INVALID_CROSS_REFERENCE_KEY", f"In field: fullName - no DuplicateRule named {full_name} found")]
    missing = [key for key in REQUIRED if first(parsed, key) in (None, "")]
    if missing:
        return [("REQUIRED_FIELD_MISSING", f"Required field is missing: {key}") for key in missing]
    wrong = [key for key, allowed in _ENUMS.items() if str(first(parsed, key)) not in allowed]
    if wrong:
        return [("FIELD_INTEGRITY_EXCEPTION", f"{key}: bad value for restricted picklist field") for key in wrong]
    if str(first(parsed, "isActive")).strip().lower() not in {"true", "false", "1", "0"}:
        return [("FIELD_INTEGRITY_EXCEPTION", "isActive: value not of required type")]
    component = _stored("DuplicateRule", parsed)
    store.update(duplicate_rules.TABLE, str(row["Id"]), duplicate_rules.columns(component))
    return []


def _stored(element: str, parsed: Parsed) -> dict[str, Any]:
    """Plain stored data for a parsed complex element: every WSDL child, None when absent."""
    stored: dict[str, Any] = {}
    for key in _ORDER[element]:
        values = [_value(key, v) for v in parsed.get(key) or [] if v is not None]
        stored[key] = values if key in _REPEATED else (values[0] if values else None)
    return stored


def _value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return _stored(key, value) if key in _ORDER else value
    if key in _BOOLEANS:
        return as_bool(value)
    if key in _INTEGERS:
        return int(float(value))
    return value
