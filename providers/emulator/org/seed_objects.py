"""Objects in an org document: EntityDefinition, record types, layouts, fields, data records, assignments.

Stored shapes (internal keys start with ``_``):
- EntityDefinition: Id = DurableId (API name for standard objects, a 01I id for custom ones),
  QualifiedApiName, DeveloperName, NamespacePrefix, Label, MasterLabel, PluralLabel; ``_key_prefix`` (the
  object's id prefix), ``_fields`` (declared standard fields: {name, type, label, values | value_set}).
- CustomField: one row per declared ``__c`` field, ``Metadata`` in the Tooling JSON shape, ``_object``.
- Data records: a table named by the object's API name.

An object entry may say ``"custom_setting": "hierarchy"`` or ``"list"`` (kept as ``_custom_setting``): it
is then a custom setting object. Describe says ``customSetting: true``; a hierarchy setting has the
``SetupOwnerId`` reference field (the Organization, a Profile or a User), a list setting is keyed by
``Name``; records are seeded in ``records`` like any object's (``{"SetupOwnerId": "00D...", "Endpoint__c":
"..."}``; an owner may also be written ``"owner": "org"``, ``"profile:Sales User"`` or
``"user:alice@acme.com"`` and is resolved on load). One row per owner or name (``rest/custom_settings.py``).

An object named ``Type__mdt`` is a custom metadata type: its records have ``DeveloperName`` (required,
``ns__Name`` for a managed record), ``MasterLabel``, ``IsProtected`` and the type's ``__c`` fields
(``{"DeveloperName": "New_Checkout", "MasterLabel": "New checkout", "Enabled__c": true}``), readable by
SOQL (``DeveloperName``, ``MasterLabel``, ``Label``, ``QualifiedApiName``, ``NamespacePrefix`` and the
fields; no ``Name``), never written by REST (DML on custom metadata is refused), and written through the
Metadata API ``CustomMetadata`` type (``metadata/custom_metadata.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import ids
from .core_sections import VALUES
from .data import OrgData, SeedError
from .naming import is_custom, picklist_value, seed_value, split_custom_name, split_namespace
from .pseudo_objects import PSEUDO_LAYOUTS, pseudo_layout_object, real_object, record_type_owner, record_type_prefix
from .sections import SeedSection, anything, either, entry, flag, listing, number, one_of_values, text

Mint = Callable[[str, str, Any], str]


def field_metadata(spec: dict[str, Any], label: str) -> dict[str, Any]:
    """The Tooling ``Metadata`` of a declared field (picklists carry a valueSet)."""
    field_type = spec.get("type", "Picklist")
    metadata: dict[str, Any] = {
        "label": label,
        "type": field_type,
        "required": False,
        "description": spec.get("description"),
        "inlineHelpText": None,
    }
    if field_type in ("Picklist", "MultiselectPicklist"):
        metadata["valueSet"] = value_set(spec)
    elif field_type == "Text":
        metadata["length"] = int(spec.get("length", 255))
    return metadata


def value_set(spec: dict[str, Any]) -> dict[str, Any]:
    """A picklist's valueSet: bound to a global value set, or its own values (inactive ones kept)."""
    bound = spec.get("global_value_set")
    definition = (
        None
        if bound
        else {
            "sorted": bool(spec.get("sorted", False)),
            "value": [picklist_value(v) for v in spec.get("values", [])],
        }
    )
    return {
        "controllingField": None,
        "restricted": bool(spec.get("restricted", True)),
        "valueSetName": bound,
        "valueSettings": [],
        "valueSetDefinition": definition,
    }


MDT = "__mdt"


def custom_metadata_record(record: dict[str, Any]) -> dict[str, Any]:
    """A custom metadata record with the standard fields a real one has: ``DeveloperName`` (required;
    ``ns__Name`` split into ``NamespacePrefix``), ``MasterLabel`` and ``Label`` (default: the name with
    spaces), ``QualifiedApiName`` (``ns__Name``), ``IsProtected`` (default false; not queryable)."""
    full = str(record.get("DeveloperName") or "")
    if record.get("NamespacePrefix") and "__" not in full:  # a live org file keeps the two apart
        full = f"{record['NamespacePrefix']}__{full}"
    if not full:
        raise SeedError(f"custom metadata record {record!r}: DeveloperName is required")
    namespace, name = split_namespace(full)
    label = str(record.get("MasterLabel") or record.get("Label") or name.replace("_", " "))
    fixed = {"DeveloperName": name, "NamespacePrefix": namespace, "QualifiedApiName": full}
    return {**record, **fixed, "MasterLabel": label, "Label": label, "IsProtected": bool(record.get("IsProtected"))}


def _setting_type(name: str, value: Any) -> str | None:
    """A custom setting object's type (``custom_setting`` in its seed entry): hierarchy, list or None."""
    if value is None or value in ("hierarchy", "list"):
        return None if value is None else str(value)
    raise SeedError(f'object {name}: custom_setting must be "hierarchy" or "list", not {value!r}')


class ObjectLoader:
    """Adds the ``objects`` and ``layout_assignments`` sections of a document to ``data``."""

    def __init__(self, data: OrgData, mint: Mint, profiles: dict[str, str]) -> None:
        self.data = data
        self.mint = mint
        self.profiles = profiles
        self.record_types: dict[tuple[str, str], str] = {}
        self.layouts: dict[tuple[str, str], str] = {}
        self.tables: dict[str, str] = {}
        self.pseudo: list[str] = []  # pseudo-objects with declared layouts

    def load(self, objects: list[dict[str, Any]], assignments: list[dict[str, Any]]) -> None:
        for spec in objects:
            self.entity(spec)
        for spec in assignments:
            self.assignment(spec)
        self.default_assignments(objects)

    def entity(self, spec: dict[str, Any]) -> None:
        name = str(spec["name"])
        namespace, developer_name = split_custom_name(name)
        durable_id = self.mint("CustomObject", name, spec.get("id")) if is_custom(name) else name
        label = spec.get("label") or developer_name.replace("_", " ")
        prefix = spec.get("key_prefix") or ids.KEY_PREFIXES.get(name) or ids.custom_object_prefix(name)
        standard_fields = [f for f in spec.get("fields", []) if not is_custom(str(f["name"]))]
        self.data.add(
            "EntityDefinition",
            {
                "Id": durable_id,
                "DurableId": durable_id,
                "QualifiedApiName": name,
                "DeveloperName": developer_name,
                "NamespacePrefix": namespace,
                "Label": label,
                "MasterLabel": label,
                "PluralLabel": spec.get("plural_label") or f"{label}s",
                "_key_prefix": prefix,
                "_fields": [self.standard_field(f) for f in standard_fields],
                "_custom_setting": _setting_type(name, spec.get("custom_setting")),
            },
        )
        self.tables[name.lower()] = durable_id
        self.data.tables.setdefault(name, {})
        for item in spec.get("record_types", []):
            self.record_type(name, item)
        for item in spec.get("layouts", []):
            self.layout(name, durable_id, item)
        for item in spec.get("pseudo_layouts", []):
            pseudo = pseudo_layout_object(name, item)  # its layouts' TableEnumOrId: its name (UNCONFIRMED)
            self.tables[pseudo.lower()] = pseudo
            self.pseudo.append(pseudo)
            self.layout(pseudo, pseudo, item)
        for item in spec.get("fields", []):
            if is_custom(str(item["name"])):
                self.custom_field(name, durable_id, item)
        for index, item in enumerate(spec.get("records", [])):
            self.record(name, prefix, index, item)

    def standard_field(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A declared standard field, kept in the seed shape (values normalised to dicts)."""
        entry = {"name": spec["name"], "type": spec.get("type", "Picklist"), "label": spec.get("label") or spec["name"]}
        for key in ("standard_value_set", "global_value_set"):
            if spec.get(key):
                entry[key] = spec[key]
        if "values" in spec:
            entry["values"] = [seed_value(picklist_value(v)) for v in spec["values"]]
        return entry

    def record_type(self, obj: str, item: str | dict[str, Any]) -> None:
        spec = {"developer_name": item} if isinstance(item, str) else item
        full = str(spec.get("developer_name") or spec["name"])
        namespace, developer_name = split_namespace(full)
        rt_id = self.mint("RecordType", f"{obj}.{full}", spec.get("id"))
        self.data.add(
            "RecordType",
            {
                "Id": rt_id,
                "Name": spec.get("label") or developer_name,
                "DeveloperName": developer_name,
                "SobjectType": obj,
                "NamespacePrefix": namespace,
                "IsActive": bool(spec.get("active", True)),
                "Description": spec.get("description"),
                "IsPersonType": bool(spec.get("person", False)),
            },
        )
        self.record_types[(obj.lower(), full.lower())] = rt_id

    def layout(self, obj: str, table_id: str, item: str | dict[str, Any]) -> None:
        spec = {"name": item} if isinstance(item, str) else item
        full = str(spec["name"])
        namespace, name = split_namespace(full)
        layout_id = self.mint("Layout", f"{obj}-{full}", spec.get("id"))
        self.data.add(
            "Layout",
            {
                "Id": layout_id,
                "Name": name,
                "TableEnumOrId": table_id,
                "NamespacePrefix": namespace,
                "LayoutType": "Standard",
                "_object": obj,
            },
        )
        self.layouts[(obj.lower(), full.lower())] = layout_id

    def custom_field(self, obj: str, table_id: str, spec: dict[str, Any]) -> None:
        name = str(spec["name"])
        namespace, developer_name = split_custom_name(name)
        label = spec.get("label") or developer_name.replace("_", " ")
        self.data.add(
            "CustomField",
            {
                "Id": self.mint("CustomField", f"{obj}.{name}", spec.get("id")),
                "DeveloperName": developer_name,
                "NamespacePrefix": namespace,
                "TableEnumOrId": table_id,
                "FullName": f"{obj}.{name}",
                "ManageableState": "unmanaged",
                "Metadata": spec.get("metadata") or field_metadata(spec, label),
                "_object": obj,
            },
        )

    def record(self, obj: str, prefix: str, index: int, item: dict[str, Any]) -> None:
        record = dict(item)
        if obj.endswith(MDT):
            record = custom_metadata_record(record)
        if "owner" in record:
            record["SetupOwnerId"] = self.owner(obj, str(record.pop("owner")))
        given = record.pop("Id", None)
        record_id = ids.to_18(str(given)) if given else ids.mint(prefix, self.data.org_name, obj, f"#{index}")
        self.data.add(obj, {"Id": record_id, **record})

    def owner(self, obj: str, owner: str) -> str:
        """The id a custom setting row's ``owner`` (``org``, ``profile:Name``, ``user:username``) names."""
        kind, _, name = owner.partition(":")
        if kind == "org" and not name:
            return str(next(iter(self.data.tables["Organization"])))
        if kind == "profile" and name.lower() in self.profiles:
            return self.profiles[name.lower()]
        users = self.data.tables["User"].values()
        found = next((u["Id"] for u in users if kind == "user" and str(u["Username"]).lower() == name.lower()), None)
        if found is None:
            raise SeedError(f"{obj} record: unknown owner {owner!r} (org, profile:Name or user:username)")
        return str(found)

    def assignment(self, spec: dict[str, Any]) -> None:
        obj = str(spec["object"])
        profile_id = self.profiles.get(str(spec["profile"]).lower())
        layout_id = self.layouts.get((obj.lower(), str(spec["layout"]).lower()))
        rt_name = spec.get("record_type")
        rt_id = self.record_types.get((real_object(obj).lower(), str(rt_name).lower())) if rt_name else None
        if profile_id is None or layout_id is None or (rt_name and rt_id is None):
            raise SeedError(f"layout assignment {spec!r}: unknown profile, layout or record type")
        if rt_id and record_type_prefix(self.data.tables["RecordType"][rt_id]) != record_type_owner(obj):
            raise SeedError(f"layout assignment {spec!r}: the record type does not go with {obj} layouts")
        self.add_assignment(spec.get("id"), profile_id, obj, rt_id, layout_id)

    def add_assignment(self, given: Any, profile_id: str, obj: str, rt_id: str | None, layout_id: str) -> None:
        key = f"{profile_id}|{obj}|{rt_id or ''}"
        self.data.add(
            "ProfileLayout",
            {
                "Id": self.mint("ProfileLayout", key, given),
                "ProfileId": profile_id,
                "LayoutId": layout_id,
                "RecordTypeId": rt_id,
                "TableEnumOrId": self.tables[obj.lower()],
            },
        )

    def default_assignments(self, objects: list[dict[str, Any]]) -> None:
        """Every profile sees some layout for every object (pseudo-objects too) and each record type that
        goes with its layouts, as in a real org."""
        taken = {
            (r["ProfileId"], r["TableEnumOrId"], r["RecordTypeId"]) for r in self.data.tables["ProfileLayout"].values()
        }
        for obj in [*(str(spec["name"]) for spec in objects), *self.pseudo]:
            first = next((lid for (o, _), lid in self.layouts.items() if o == obj.lower()), None)
            rows = self.data.tables["RecordType"].items()
            rt_ids = [None, *(rid for rid, row in rows if _goes_with(row, obj))]
            for profile_id in self.profiles.values() if first else ():
                for rt_id in rt_ids:
                    if (profile_id, self.tables[obj.lower()], rt_id) not in taken:
                        self.add_assignment(None, profile_id, obj, rt_id, str(first))


def _goes_with(record_type: dict[str, Any], obj: str) -> bool:
    """Whether a RecordType row can be assigned with layouts of ``obj`` (a pseudo-object: its real one's)."""
    same_object = str(record_type["SobjectType"]).lower() == real_object(obj).lower()
    return same_object and record_type_prefix(record_type) == record_type_owner(obj)


def _field_schema() -> dict[str, Any]:
    return entry(
        "A field: a custom one (`Name__c`, a `CustomField`) or a standard one (kept for describe).",
        ("name",),
        name=text("The field's API name."),
        type=text("`Picklist`, `MultiselectPicklist`, `Text`, ...", default="Picklist"),
        label=text("Its label; the name without `__c`, `_` as spaces, when left out."),
        values=VALUES,
        sorted=flag("Whether the values are sorted alphabetically.", default=False),
        restricted=flag("Whether only the listed values are allowed.", default=True),
        global_value_set=text("The `name` of one of `$.global_value_sets` the picklist takes its values from."),
        standard_value_set=text("The `name` of one of `$.standard_value_sets` (a standard field)."),
        description=text("A description."),
        length=number("A text field's length.", default=255, minimum=1),
        metadata=anything("The whole Tooling `Metadata` instead of the keys above (the live org file writes it)."),
        id=text("", live=True),
    )


OBJECTS_SECTION = SeedSection(
    "objects",
    "Objects (`EntityDefinition`) with their record types, page layouts, fields and data records. Every "
    "profile sees the object's first layout for every record type it has no `$.layout_assignments` entry for.",
    listing(
        "The objects.",
        entry(
            "An object.",
            ("name",),
            name=text("Its API name (`Account`, `Invoice__c`, `ns__Thing__c`)."),
            label=text("Its label; the name without `__c`, `_` as spaces, when left out."),
            plural_label=text("Its plural label; the label and `s` when left out."),
            custom_setting=one_of_values(
                "Makes it a custom setting object: `hierarchy` (rows keyed by `SetupOwnerId`; a record may name "
                "its `owner` as `org`, `profile:Name` or `user:username`) or `list` (rows keyed by `Name`).",
                ("hierarchy", "list"),
            ),
            key_prefix=text("The 3-character prefix of its record ids; a stable one is minted when left out."),
            record_types=listing(
                "Its record types.",
                either(
                    "A record type: its developer name, or an object.",
                    text("The developer name."),
                    entry(
                        "A record type.",
                        (),
                        developer_name=text("Its developer name; `ns__Name` for a managed one."),
                        name=text("Same as `developer_name` (either key)."),
                        label=text("Its label (`Name`); the developer name when left out."),
                        active=flag("Whether it is active.", default=True),
                        person=flag(
                            "A person account record type of Account (`IsPersonType`): profiles name it "
                            "`PersonAccount.X` and it goes with `PersonAccount` layouts.",
                            default=False,
                        ),
                        description=text("A description."),
                        id=text("", live=True),
                    ),
                ),
            ),
            pseudo_layouts=PSEUDO_LAYOUTS,
            layouts=listing(
                "Its page layouts; the first one is the default for every profile.",
                either(
                    "A layout: its name, or an object.",
                    text("The layout's name (`Account Layout`)."),
                    entry("A layout.", ("name",), name=text("The layout's name."), id=text("", live=True)),
                ),
            ),
            fields=listing("Its declared fields.", _field_schema()),
            records=listing(
                "Data records (field API name -> value; `Id` optional). Snapshots never write any. A record of a "
                "`Type__mdt` object is a custom metadata record (`DeveloperName` required, `MasterLabel`, "
                "`IsProtected`, its fields).",
                entry("A record.", open=True),
            ),
            id=text("", live=True),
        ),
    ),
)

LAYOUT_ASSIGNMENTS_SECTION = SeedSection(
    "layout_assignments",
    "Which layout a profile sees for an object and record type (`layout_assignment:` in the configuration).",
    listing(
        "The layout assignments.",
        entry(
            "A layout assignment.",
            ("profile", "object", "layout"),
            profile=text("The `name` of one of `$.profiles`."),
            object=text("The `name` of one of `$.objects`."),
            layout=text("One of the object's `layouts`."),
            record_type=text("One of the object's `record_types`; the master record type when left out."),
            id=text("", live=True),
        ),
    ),
)
