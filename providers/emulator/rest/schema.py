"""What each table looks like to SOQL and describe, and the SOQL ``Database`` over the store.

Two views of one org: the REST view (``/services/data/vXX.X/query``) and the Tooling view
(``.../tooling/query``). Each lists the objects it can query; an object outside the view is INVALID_TYPE
there, as in Salesforce (CustomField is Tooling-only, PermissionSetAssignment REST-only). In the Tooling
view, picklist ``Metadata`` shows only active values with ``isActive`` null (wire reference Part 3 §6).
The static tables (fields, relationships, which view offers which object) are in ``object_tables.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..org import flows
from ..org.picklists import tooling_field_metadata, tooling_record_type, tooling_value_set_metadata
from ..org.store import Store
from ..soql import FieldInfo, ObjectSchema, ParentRel
from .object_tables import (
    CHILDREN,
    DESCRIBE_TYPES,
    FIELDS,
    MDT_FIELDS,
    PARENTS,
    REST_OBJECTS,
    TOOLING_OBJECTS,
    TOOLING_ONLY_FIELDS,
    Row,
)


def data_object_fields(store: Store, sobject: str) -> list[tuple[str, str]]:
    """Fields of a data object declared in the org document: Id/Name, record type, declared fields."""
    entity = store.find("EntityDefinition", QualifiedApiName=sobject)[0]
    fields: list[tuple[str, str]] = [("Name", "string")]
    if sobject.endswith("__mdt"):
        fields = [(name, "string") for name in MDT_FIELDS]
    if entity.get("_custom_setting") == "hierarchy":
        fields.append(("SetupOwnerId", "reference"))
    if store.find("RecordType", SobjectType=sobject):
        fields.append(("RecordTypeId", "reference"))
    for spec in entity["_fields"]:
        fields.append((spec["name"], DESCRIBE_TYPES.get(spec["type"], "string")))
    for custom in store.find("CustomField", _object=sobject):
        fields.append(
            (custom["FullName"].split(".", 1)[1], DESCRIBE_TYPES.get(custom["Metadata"].get("type"), "string"))
        )
    return fields


class OrgDatabase:
    """The SOQL ``Database`` over a store, in the REST or the Tooling view (see the module docstring)."""

    def __init__(self, store: Store, *, tooling: bool = False) -> None:
        self.store = store
        self.tooling = tooling

    def names(self) -> list[str]:
        """API names of every object queryable in this view."""
        if self.tooling:
            return list(TOOLING_OBJECTS)
        data_objects = [e["QualifiedApiName"] for e in self.store.table("EntityDefinition").values()]
        return [*REST_OBJECTS, *data_objects]

    def resolve(self, sobject: str) -> str | None:
        lowered = sobject.lower()
        return next((name for name in self.names() if name.lower() == lowered), None)

    def schema(self, sobject: str) -> ObjectSchema | None:
        name = self.resolve(sobject)
        if name is None:
            return None
        fields = [FieldInfo("Id", "id"), *(FieldInfo(n, t) for n, t in self.field_types(name))]
        parents = list(PARENTS.get(name, []))
        if any(f.name == "RecordTypeId" for f in fields):
            parents.append(ParentRel("RecordType", "RecordTypeId", "RecordType"))
        children = [c for c in CHILDREN.get(name, []) if self.resolve(c.child)]
        return ObjectSchema.of(name, fields, parents, children)

    def field_types(self, name: str) -> list[tuple[str, str]]:
        if name in FIELDS:
            extra = TOOLING_ONLY_FIELDS.get(name, []) if self.tooling else []
            return [*FIELDS[name], *extra]
        return data_object_fields(self.store, name)

    def rows(self, sobject: str) -> Iterable[Row]:
        name = self.resolve(sobject) or sobject
        return (self.view(name, row) for row in self.store.table(name).values())

    def get(self, sobject: str, record_id: str) -> Row | None:
        name = self.resolve(sobject) or sobject
        row = self.store.get(name, record_id)
        return self.view(name, row) if row is not None else None

    def view(self, name: str, row: Row) -> Row:
        """The row as this view shows it (Tooling picklist metadata, RecordType FullName/Metadata)."""
        if not self.tooling:
            return row
        if name == "CustomField":
            return {**row, "Metadata": tooling_field_metadata(row["Metadata"])}
        if name == "GlobalValueSet":
            return {**row, "Metadata": tooling_value_set_metadata(row["Metadata"])}
        if name == "RecordType":
            return {**row, **tooling_record_type(self.store, row)}
        if name == "FlowDefinition":
            return flows.tooling_view(self.store.data, row)
        return row
