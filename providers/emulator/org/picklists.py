"""Picklist values as each API shows them, and how a Tooling PATCH changes them.

The store keeps every value with ``isActive`` true or false. Tooling (query and GET) shows active values
only, each with ``isActive`` null; REST describe shows active values only as ``picklistValues`` entries.
A Tooling PATCH is a full replacement of the definition, except that values it omits are kept as
inactive (Salesforce deactivates, never deletes, a value missing from a definition).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .record_type_values import available

if TYPE_CHECKING:
    from .store import Store

Value = dict[str, Any]
VALUE_KEYS = ("valueName", "label", "default", "isActive", "color", "description", "urls")


def active_values(values: list[Value]) -> list[Value]:
    return [v for v in values if v.get("isActive") is not False]


def _tooling_values(values: list[Value]) -> list[Value]:
    return [{**v, "isActive": None} for v in active_values(values)]


def tooling_field_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """CustomField Metadata as Tooling shows it (active values, ``isActive`` null)."""
    shown = copy.deepcopy(metadata)
    definition = (shown.get("valueSet") or {}).get("valueSetDefinition")
    if definition is not None:
        definition["value"] = _tooling_values(definition.get("value", []))
    return shown


def tooling_value_set_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """GlobalValueSet Metadata as Tooling shows it."""
    shown = copy.deepcopy(metadata)
    shown["customValue"] = _tooling_values(shown.get("customValue", []))
    return shown


def describe_entries(values: list[Value]) -> list[dict[str, Any]]:
    """REST describe ``picklistValues``: active values only."""
    return [
        {
            "active": True,
            "defaultValue": bool(v.get("default")),
            "label": v.get("label") or v["valueName"],
            "validFor": None,
            "value": v["valueName"],
        }
        for v in active_values(values)
    ]


def field_values(store: Store, metadata: dict[str, Any]) -> list[Value]:
    """Every stored value of a picklist field, following a global value set binding."""
    value_set = metadata.get("valueSet") or {}
    bound = value_set.get("valueSetName")
    if bound:
        found = store.find("GlobalValueSet", FullName=bound)
        return list(found[0]["Metadata"].get("customValue", [])) if found else []
    definition = value_set.get("valueSetDefinition") or {}
    return list(definition.get("value", []))


def standard_field_values(store: Store, spec: dict[str, Any]) -> list[Value]:
    """Values of a declared standard picklist (own values, a standard or a global value set)."""
    if spec.get("standard_value_set"):
        found = store.find("StandardValueSet", FullName=spec["standard_value_set"])
        return list(found[0]["Metadata"].get("standardValue", [])) if found else []
    if spec.get("global_value_set"):
        found = store.find("GlobalValueSet", FullName=spec["global_value_set"])
        return list(found[0]["Metadata"].get("customValue", [])) if found else []
    return [
        {"valueName": v["name"], "label": v["label"], "default": v["default"], "isActive": v["active"]}
        for v in spec.get("values", [])
    ]


def merge_values(stored: list[Value], incoming: list[Value]) -> list[Value]:
    """The sent values in order (active unless sent with ``isActive`` false), then every stored value the
    request omitted, kept as inactive."""
    sent = {str(v.get("valueName", "")).lower() for v in incoming}
    merged = [_normalise(v) for v in incoming]
    merged += [{**v, "isActive": False} for v in stored if str(v["valueName"]).lower() not in sent]
    return merged


def _normalise(value: Value) -> Value:
    name = value.get("valueName")
    return {
        "valueName": name,
        "label": value.get("label") or name,
        "default": bool(value.get("default")),
        "isActive": value.get("isActive") is not False,
        "color": value.get("color"),
        "description": value.get("description"),
        "urls": value.get("urls"),
    }


def tooling_record_type(store: Store, row: dict[str, Any] | Any) -> dict[str, Any]:
    """Tooling-only RecordType fields: FullName and Metadata (the values of the object's custom picklists
    that the record type offers, see ``record_type_values``)."""
    sobject = row["SobjectType"]
    picklists = [
        {"picklist": field, "values": [{"valueName": name, "default": default} for name, default in values]}
        for field, values in available(store.data.tables, row)
    ]
    developer_name = row["DeveloperName"]
    full = f"{row['NamespacePrefix']}__{developer_name}" if row.get("NamespacePrefix") else developer_name
    return {
        "FullName": f"{sobject}.{full}",
        "Metadata": {
            "active": row["IsActive"],
            "businessProcess": None,
            "compactLayoutAssignment": None,
            "description": row.get("Description"),
            "label": row["Name"],
            "picklistValues": picklists,
        },
    }
