"""Validation rules in an org: the ``validation_rules`` section of an org document and the Tooling
``ValidationRule`` record made from it.

Seed section (each rule names an object of the ``objects`` section)::

    "validation_rules": [{"object": "Account", "name": "Require_Tier", "active": true,
                          "error_message": "Tier is required", "formula": "ISBLANK(TEXT(Tier__c))",
                          "description": "optional", "error_display_field": "optional field name"}]

``active`` defaults to true, ``error_message`` and ``formula`` are required (Salesforce requires both).
A managed rule is written ``ns__Name`` and stored with ``NamespacePrefix`` apart, as Salesforce does.

Stored record (Tooling ``ValidationRule``, key prefix ``03d``): ``ValidationName``, ``NamespacePrefix``,
``Active``, ``Description``, ``EntityDefinitionId`` (the object's DurableId: its API name for standard
objects, the 01I id for custom ones), ``ErrorDisplayField``, ``ErrorMessage``, ``FullName``
(``Object.Name``), ``ManageableState`` and ``Metadata``: ``{description, errorConditionFormula,
errorDisplayField, errorMessage, active, urls}`` (the Metadata API ``ValidationRule`` fields; ``urls`` as
every Tooling ``Metadata`` carries it). The scalar columns always mirror ``Metadata``.

PATCH (``updated``): the sent ``Metadata`` replaces the stored one whole. ``active``, ``errorMessage``
and ``errorConditionFormula`` are required there, as in the Metadata API; which errorCode Salesforce
answers when one is missing is not public, ``FIELD_INTEGRITY_EXCEPTION`` is our choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import OrgData, Record, SeedError
from .naming import split_namespace
from .sections import SeedSection, entry, flag, listing, text

SECTION = "validation_rules"
REQUIRED_METADATA = ("active", "errorConditionFormula", "errorMessage")
METADATA_KEYS = ("description", "errorConditionFormula", "errorDisplayField", "errorMessage", "active", "urls")


class InvalidMetadata(ValueError):
    """A PATCH body whose ``Metadata`` lacks a required key (``fields`` names them)."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


def load(data: OrgData, specs: list[dict[str, Any]], mint: Callable[[str, str, Any], str]) -> None:
    """Add a ValidationRule record for each seed entry (objects must be loaded already)."""
    entities = {str(e["QualifiedApiName"]).lower(): e for e in data.tables["EntityDefinition"].values()}
    for spec in specs:
        object_name, name = str(spec["object"]), str(spec["name"])
        entity = entities.get(object_name.lower())
        if entity is None:
            raise SeedError(f"validation rule {object_name}.{name}: unknown object {object_name}")
        for key in ("error_message", "formula"):
            if not spec.get(key):
                raise SeedError(f"validation rule {object_name}.{name}: `{key}` is required")
        full_name = f"{entity['QualifiedApiName']}.{name}"
        metadata = {
            "description": spec.get("description"),
            "errorConditionFormula": str(spec["formula"]),
            "errorDisplayField": spec.get("error_display_field"),
            "errorMessage": str(spec["error_message"]),
            "active": bool(spec.get("active", True)),
            "urls": None,
        }
        namespace, developer_name = split_namespace(name)
        record: Record = {
            "Id": mint("ValidationRule", full_name, spec.get("id")),
            "ValidationName": developer_name,
            "NamespacePrefix": namespace,
            "EntityDefinitionId": entity["DurableId"],
            "FullName": full_name,
            "ManageableState": "installed" if namespace else "unmanaged",
        }
        record.update(columns(metadata))
        data.add("ValidationRule", record)


def columns(metadata: Mapping[str, Any]) -> Record:
    """The scalar columns that mirror ``Metadata``, and ``Metadata`` itself."""
    return {
        "Active": bool(metadata["active"]),
        "Description": metadata.get("description"),
        "ErrorDisplayField": metadata.get("errorDisplayField"),
        "ErrorMessage": metadata["errorMessage"],
        "Metadata": {key: metadata.get(key) for key in METADATA_KEYS},
    }


def updated(sent: Any) -> Record:
    """The columns a PATCH body ``{"Metadata": {...}}`` sets; ``InvalidMetadata`` when it lacks a key."""
    metadata = sent.get("Metadata") if isinstance(sent, dict) else None
    if not isinstance(metadata, dict):
        raise InvalidMetadata("Metadata: required field missing", ["Metadata"])
    missing = [key for key in REQUIRED_METADATA if metadata.get(key) is None or metadata.get(key) == ""]
    if missing:
        raise InvalidMetadata(f"Required field missing: {', '.join(missing)}", missing)
    if not isinstance(metadata["active"], bool):
        raise InvalidMetadata("active: value not of required type: " + repr(metadata["active"]), ["active"])
    return columns(metadata)


def to_document(rows: Mapping[str, Record], entities: Mapping[str, Record]) -> list[Record]:
    """The ``validation_rules`` section of a live org document (ids kept)."""
    section = []
    for row in rows.values():
        entity = entities.get(row["EntityDefinitionId"]) or {}
        metadata = row["Metadata"]
        name = f"{row['NamespacePrefix']}__{row['ValidationName']}" if row["NamespacePrefix"] else row["ValidationName"]
        entry: Record = {
            "id": row["Id"],
            "object": entity.get("QualifiedApiName", row["EntityDefinitionId"]),
            "name": name,
            "active": row["Active"],
            "error_message": metadata["errorMessage"],
            "formula": metadata["errorConditionFormula"],
        }
        for key, source in (("description", "description"), ("error_display_field", "errorDisplayField")):
            if metadata.get(source):
                entry[key] = metadata[source]
        section.append(entry)
    return section


SEED_SECTION = SeedSection(
    SECTION,
    "Validation rules (`validation_rule:Object.Name` in the configuration); Tooling `ValidationRule`.",
    listing(
        "The validation rules.",
        entry(
            "A validation rule.",
            ("object", "name", "error_message", "formula"),
            object=text("The `name` of one of `$.objects`."),
            name=text("The rule's name; `ns__Name` for a managed one."),
            active=flag("Whether the rule is active.", default=True),
            error_message=text("The message users see (Salesforce requires one)."),
            formula=text("The error condition formula (Salesforce requires one; the emulator never runs it)."),
            description=text("A description."),
            error_display_field=text("The field the message is shown at; the page top when left out."),
            id=text("", live=True),
        ),
    ),
)
