"""What the org has, for preflight and for mapping names: profiles, objects, record types, components.

Everything here is fetched once per provider and kept:

- ``profiles(names)``: ``SELECT Id, Name FROM Profile WHERE Name IN (...)`` for names not seen yet, and
  ``listMetadata`` to map each ``Profile.Name`` to its Metadata API fullName (by Id; never a table).
- ``listed(type)``: ``listMetadata`` of Profile, Layout, CustomField and GlobalValueSet, at most three
  types a call (the Metadata API limit), all requested types fetched together on first use.
- ``objects(names)``: Tooling ``EntityDefinition`` by ``QualifiedApiName``.
- ``record_types(objects)``: ``RecordType`` by ``SobjectType``.
- ``remember_component`` / ``remembered``: Metadata API records one kind read (``readMetadata`` of a
  CustomField) kept for another kind of the same plan, so the same component is not read twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from providers.salesforce.names import (
    decode_component,
    join_namespace,
    listed_layout_name,
    profile_full_names,
)
from providers.salesforce.soql import in_chunks
from providers.salesforce.transport import Transport

LISTABLE = ("Profile", "Layout", "CustomField", "GlobalValueSet")


@dataclass(frozen=True)
class ProfileRecord:
    record_id: str
    name: str
    full_name: str


def zeep_list(value: Any) -> list[Any]:
    """zeep answers a single element or a list (or None); always a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class Schema:
    """Lookups shared by the layout and picklist kinds of one org (see the module docstring)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._profiles: dict[str, ProfileRecord] = {}
        self._missing_profiles: set[str] = set()
        self._listed: dict[str, list[tuple[str, str]]] = {}
        self._objects: dict[str, bool] = {}
        self._record_types: dict[str, list[str]] = {}
        self._components: dict[tuple[str, str], Any] = {}

    def remember_component(self, type_name: str, record: Any) -> None:
        """Keep a record ``readMetadata`` returned (as read: callers must not change it)."""
        self._components[(type_name, str(record.fullName).casefold())] = record

    def remembered(self, type_name: str, full_name: str) -> Any | None:
        return self._components.get((type_name, full_name.casefold()))

    def profile(self, name: str) -> ProfileRecord | None:
        return self._profiles.get(name.casefold())

    def lookup_profiles(self, names: Iterable[str]) -> None:
        wanted = [n for n in names if n.casefold() not in self._profiles and n.casefold() not in self._missing_profiles]
        if not wanted:
            return
        found: dict[str, str] = {}
        for query in in_chunks(wanted, lambda lst: "SELECT Id, Name FROM Profile WHERE Name IN " + lst):
            found.update({str(r["Id"]): str(r["Name"]) for r in self.transport.query_all(query)})
        full_names = profile_full_names(found, self.listed("Profile")) if found else {}
        for record_id, name in found.items():
            self._profiles[name.casefold()] = ProfileRecord(record_id, name, full_names[name])
        self._missing_profiles.update(n.casefold() for n in wanted if n.casefold() not in self._profiles)

    def all_profile_names(self) -> list[str]:
        return [decode_component(full_name) for _, full_name in self.listed("Profile")] + [
            p.name for p in self._profiles.values()
        ]

    def listed(self, type_name: str, *also: str) -> list[tuple[str, str]]:
        """``(id, fullName)`` of every component of ``type_name`` (Layout names with namespace)."""
        if type_name not in self._listed:
            wanted = [t for t in dict.fromkeys((type_name, *also, *LISTABLE)) if t not in self._listed][:3]
            for t in wanted:
                self._listed[t] = []
            queries = [self.transport.metadata_type("ListMetadataQuery")(type=t) for t in wanted]
            answer = self.transport.metadata("listMetadata", queries, self.transport.session.api_version)
            for item in zeep_list(answer):
                full_name = str(item.fullName)
                if item.type == "Layout":
                    full_name = listed_layout_name(full_name, item.namespacePrefix)
                self._listed.setdefault(str(item.type), []).append((str(item.id or ""), full_name))
        return self._listed[type_name]

    def objects_exist(self, names: Iterable[str]) -> dict[str, bool]:
        """Whether each object exists (Tooling EntityDefinition, once per name)."""
        names = list(names)
        wanted = [n for n in dict.fromkeys(names) if n.casefold() not in self._objects]
        soql = "SELECT QualifiedApiName FROM EntityDefinition WHERE QualifiedApiName IN "
        for query in in_chunks(wanted, lambda lst: soql + lst):
            for record in self.transport.query_all(query, tooling=True):
                self._objects[str(record["QualifiedApiName"]).casefold()] = True
        for name in wanted:
            self._objects.setdefault(name.casefold(), False)
        return {n: self._objects[n.casefold()] for n in names}

    def record_types(self, object_name: str) -> list[str]:
        """Record type names (``ns__DeveloperName``) of an object; call ``lookup_record_types`` first."""
        return self._record_types.get(object_name.casefold(), [])

    def lookup_record_types(self, objects: Iterable[str]) -> None:
        wanted = [o for o in dict.fromkeys(objects) if o.casefold() not in self._record_types]
        soql = "SELECT DeveloperName, NamespacePrefix, SobjectType FROM RecordType WHERE SobjectType IN "
        for name in wanted:
            self._record_types[name.casefold()] = []
        for query in in_chunks(wanted, lambda lst: soql + lst):
            for r in self.transport.query_all(query):
                names = self._record_types.setdefault(str(r["SobjectType"]).casefold(), [])
                names.append(join_namespace(r.get("NamespacePrefix"), str(r["DeveloperName"])))
