"""REST describe: ``sobjects/`` (global) and ``sobjects/{T}/describe``.

Only the keys clients commonly read are produced. Picklist fields list their ACTIVE values only
(wire reference Part 3 §7), following global and standard value set bindings.
"""

from __future__ import annotations

from typing import Any

from ..org.naming import is_custom
from ..org.picklists import describe_entries, field_values, standard_field_values
from ..org.store import Store
from ..soql import FieldInfo
from .records import writable
from .schema import OrgDatabase


def _urls(base: str, name: str) -> dict[str, str]:
    return {
        "sobject": f"{base}/sobjects/{name}",
        "describe": f"{base}/sobjects/{name}/describe",
        "rowTemplate": f"{base}/sobjects/{name}/{{ID}}",
    }


def _summary(store: Store, name: str, base: str) -> dict[str, Any]:
    entity = next(iter(store.find("EntityDefinition", QualifiedApiName=name)), None)
    label = entity["Label"] if entity else name
    return {
        "name": name,
        "label": label,
        "labelPlural": entity["PluralLabel"] if entity else f"{label}s",
        "keyPrefix": store.key_prefix(name),
        "custom": is_custom(name),
        "customSetting": bool(entity and entity.get("_custom_setting")),
        "queryable": True,
        "createable": writable(store, name, "create") is not None,
        "updateable": writable(store, name, "update") is not None,
        "deletable": writable(store, name, "delete") is not None,
        "urls": _urls(base, name),
    }


def global_describe(store: Store, base: str) -> dict[str, Any]:
    """``GET sobjects/``."""
    names = OrgDatabase(store).names()
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [_summary(store, n, base) for n in names]}


def object_describe(store: Store, name: str, base: str) -> dict[str, Any]:
    """``GET sobjects/{name}/describe`` for a known REST object."""
    database = OrgDatabase(store)
    schema = database.schema(name)
    assert schema is not None
    parents = {rel.field: rel for rel in schema.parents.values()}
    body = _summary(store, name, base)
    body["fields"] = [_field(store, name, info, parents) for info in schema.fields.values()]
    body["childRelationships"] = [
        {"childSObject": rel.child, "field": rel.field, "relationshipName": rel.name, "cascadeDelete": False}
        for rel in schema.children.values()
    ]
    body["recordTypeInfos"] = [
        {
            "active": rt["IsActive"],
            "available": True,
            "defaultRecordTypeMapping": False,
            "developerName": rt["DeveloperName"],
            "master": False,
            "name": rt["Name"],
            "recordTypeId": rt["Id"],
            "urls": {"layout": f"{base}/sobjects/{name}/describe/layouts/{rt['Id']}"},
        }
        for rt in store.find("RecordType", SobjectType=name)
    ]
    return body


def _field(store: Store, sobject: str, info: FieldInfo, parents: dict[str, Any]) -> dict[str, Any]:
    parent = parents.get(info.name)
    return {
        "name": info.name,
        "label": _label(store, sobject, info.name),
        "type": info.type,
        "custom": is_custom(info.name),
        "nillable": info.name not in ("Id", "Name"),
        "createable": info.name != "Id",
        "updateable": info.name != "Id",
        "picklistValues": _picklist(store, sobject, info.name) if info.type in ("picklist", "multipicklist") else [],
        "referenceTo": [parent.target] if parent else [],
        "relationshipName": parent.name if parent else None,
    }


def _label(store: Store, sobject: str, field: str) -> str:
    custom = store.find("CustomField", FullName=f"{sobject}.{field}")
    if custom:
        return str(custom[0]["Metadata"].get("label") or field)
    return field


def _picklist(store: Store, sobject: str, field: str) -> list[dict[str, Any]]:
    custom = store.find("CustomField", FullName=f"{sobject}.{field}")
    if custom:
        return describe_entries(field_values(store, custom[0]["Metadata"]))
    entity = next(iter(store.find("EntityDefinition", QualifiedApiName=sobject)), None)
    spec = next((f for f in (entity or {}).get("_fields", []) if f["name"] == field), None)
    return describe_entries(standard_field_values(store, spec)) if spec else []
