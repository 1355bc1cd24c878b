"""Duplicate rules in an org: the ``duplicate_rules`` section of an org document and the ``DuplicateRule``
record made from it.

Seed section (each rule names an object of the ``objects`` section)::

    "duplicate_rules": [{"object": "Account", "name": "Standard_Account_Duplicate_Rule",
                         "label": "Standard Account Duplicate Rule", "active": true,
                         "matching_rule": "optional, default Standard_<Object>_Match_Rule_v1_0",
                         "metadata": {optional: the whole Metadata API component, see below}}]

``label`` defaults to the name with ``_`` as spaces, ``active`` to true. A managed rule is written
``ns__Name`` and stored with ``NamespacePrefix`` apart, as Salesforce does.

Stored record (the read-only ``DuplicateRule`` sObject, key prefix ``0Bm``): ``DeveloperName``,
``NamespacePrefix``, ``SobjectType``, ``SobjectSubtype``, ``IsActive``, ``MasterLabel``, ``Language``, and
``Metadata``: the Metadata API ``DuplicateRule`` component as plain data (element name -> value; a list
for the repeated elements, a dict for the nested ones; no ``fullName``), which SOQL never shows. Without
a ``metadata`` key the component is the shape of Salesforce's standard rules: Allow on insert and update,
alert and report, one match rule, sharing rules enforced, ``sortOrder`` the rule's position among its
object's rules. ``IsActive`` and ``MasterLabel`` always mirror ``isActive`` and ``masterLabel``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import OrgData, Record, SeedError
from .naming import split_namespace
from .sections import SeedSection, anything, entry, flag, listing, text

SECTION = "duplicate_rules"
TABLE = "DuplicateRule"


def default_component(object_name: str, label: str, active: bool, matching_rule: str, sort_order: int) -> Record:
    """The component of a rule seeded without ``metadata`` (the standard rules' shape)."""
    return {
        "actionOnInsert": "Allow",
        "actionOnUpdate": "Allow",
        "alertText": "Use one of these records?",
        "description": None,
        "duplicateRuleFilter": None,
        "duplicateRuleMatchRules": [
            {"matchRuleSObjectType": object_name, "matchingRule": matching_rule, "objectMapping": None}
        ],
        "isActive": active,
        "masterLabel": label,
        "operationsOnInsert": ["Alert", "Report"],
        "operationsOnUpdate": ["Alert", "Report"],
        "securityOption": "EnforceSharingRules",
        "sortOrder": sort_order,
    }


def load(data: OrgData, specs: list[dict[str, Any]], mint: Callable[[str, str, Any], str]) -> None:
    """Add a DuplicateRule record for each seed entry (objects must be loaded already)."""
    entities = {str(e["QualifiedApiName"]).lower(): e for e in data.tables["EntityDefinition"].values()}
    positions: dict[str, int] = {}
    for spec in specs:
        object_name, name = str(spec["object"]), str(spec["name"])
        entity = entities.get(object_name.lower())
        if entity is None:
            raise SeedError(f"duplicate rule {object_name}.{name}: unknown object {object_name}")
        object_name = str(entity["QualifiedApiName"])
        positions[object_name] = positions.get(object_name, 0) + 1
        label = str(spec.get("label") or name.replace("_", " "))
        matching_rule = str(spec.get("matching_rule") or f"Standard_{object_name}_Match_Rule_v1_0")
        component = default_component(
            object_name, label, bool(spec.get("active", True)), matching_rule, positions[object_name]
        )
        if isinstance(spec.get("metadata"), dict):
            component = {**component, **spec["metadata"]}
        namespace, developer_name = split_namespace(name)
        record: Record = {
            "Id": mint(TABLE, f"{object_name}.{name}", spec.get("id")),
            "DeveloperName": developer_name,
            "NamespacePrefix": namespace,
            "SobjectType": object_name,
            "SobjectSubtype": "None",
            "Language": "en_US",
        }
        record.update(columns(component))
        data.add(TABLE, record)


def columns(component: Mapping[str, Any]) -> Record:
    """The sObject columns that mirror the component, and the component itself."""
    return {
        "IsActive": bool(component["isActive"]),
        "MasterLabel": str(component["masterLabel"]),
        "Metadata": dict(component),
    }


def full_name(row: Mapping[str, Any]) -> str:
    """The Metadata API fullName: ``Object.ns__DeveloperName``."""
    return f"{row['SobjectType']}.{rule_name(row)}"


def rule_name(row: Mapping[str, Any]) -> str:
    namespace = row.get("NamespacePrefix")
    return f"{namespace}__{row['DeveloperName']}" if namespace else str(row["DeveloperName"])


def to_document(rows: Mapping[str, Record]) -> list[Record]:
    """The ``duplicate_rules`` section of a live org document (ids kept; ``metadata`` only when the
    component differs from the one the other keys give)."""
    section = []
    positions: dict[str, int] = {}
    for row in rows.values():
        object_name = str(row["SobjectType"])
        positions[object_name] = positions.get(object_name, 0) + 1
        component: Record = row["Metadata"]
        entry: Record = {
            "id": row["Id"],
            "object": object_name,
            "name": rule_name(row),
            "label": row["MasterLabel"],
            "active": row["IsActive"],
        }
        rules = component.get("duplicateRuleMatchRules") or []
        matching_rule = str(rules[0].get("matchingRule")) if rules and isinstance(rules[0], dict) else ""
        if matching_rule and matching_rule != f"Standard_{object_name}_Match_Rule_v1_0":
            entry["matching_rule"] = matching_rule
        default = default_component(
            object_name, str(row["MasterLabel"]), bool(row["IsActive"]), matching_rule, positions[object_name]
        )
        if component != default:
            entry["metadata"] = component
        section.append(entry)
    return section


SEED_SECTION = SeedSection(
    SECTION,
    "Duplicate rules (`duplicate_rule:Object.Name` in the configuration); the `DuplicateRule` sObject.",
    listing(
        "The duplicate rules.",
        entry(
            "A duplicate rule.",
            ("object", "name"),
            object=text("The `name` of one of `$.objects`."),
            name=text("The rule's developer name; `ns__Name` for a managed one."),
            label=text("Its label; the name with `_` as spaces when left out."),
            active=flag("Whether the rule is active.", default=True),
            matching_rule=text("The matching rule it uses.", default="Standard_<Object>_Match_Rule_v1_0"),
            metadata=anything("The whole Metadata API component (element name -> value) instead of the default."),
            id=text("", live=True),
        ),
    ),
)
