"""``take_snapshot``: a seed for the emulator (docs/emulator-seeds.md) of one org's configuration, read
through the provider.

The seed is put together from parts. The core part (``snapshot/core.py``) reads what no kind owns: the
organization, profiles, users, permission sets and groups, and the objects with their record types and
layouts. Then every kind handler of the provider that has a ``seed()`` method adds its part (the
``SeedSource`` protocol of ``providers/salesforce/kinds/base.py``): the picklist kind its fields and
value sets, the layout_assignment kind the assignments, the rule, flow and job kinds what they read, the
endpoint kinds the remote sites and named credentials, the access kinds the record types' picklist values
and visibilities and the public groups, the custom_setting and custom_metadata kinds the objects the
configuration names, with their rows. A new kind adds its part to snapshots by defining ``seed()`` on its
handler; nothing here changes.

Parts are merged section by section: list sections are concatenated, and ``objects`` entries of the same
object are merged into one (their ``record_types``, ``layouts`` and ``fields`` joined, first spelling
wins). Every object a part names gets an entry. References are then made consistent (an assignment of a
user or profile that is not in the seed is left out), so the seed always loads.

No record data is read, except the rows of custom settings and custom metadata types, which are
configuration; no secret is written: no passwords, tokens, emails, session ids, encrypted setting fields
or credential logins; users keep their username, names and alias unless ``anonymize``
(``snapshot/anonymize.py``) replaces them.
``Snapshot.calls`` is what the snapshot cost in API calls, by endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from providers.salesforce.kinds.base import SeedPart, SeedSource
from providers.salesforce.provider import SalesforceProvider
from providers.salesforce.snapshot.anonymize import Anonymized, anonymize_users
from providers.salesforce.snapshot.core import core_part

SCHEMA_VERSION = 1
OBJECT_LISTS = ("record_types", "layouts", "fields")
#: Sections in the order a seed is written (those not named here follow, in the order parts gave them).
ORDER = (
    "schema_version",
    "organization",
    "profiles",
    "permission_sets",
    "permission_set_groups",
    "users",
    "global_value_sets",
    "standard_value_sets",
    "objects",
    "layout_assignments",
    "permission_set_assignments",
)
_RECORD_ID = re.compile(r"/[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


@dataclass
class Snapshot:
    """A seed document, the API calls it cost (total and by endpoint) and the usernames replaced."""

    document: dict[str, Any]
    calls: int
    by_endpoint: dict[str, int]
    usernames: dict[str, str] = field(default_factory=dict)


def take_snapshot(
    provider: SalesforceProvider,
    *,
    declared: Mapping[str, Collection[str]] | None = None,
    anonymize: bool = False,
    username_suffix: str = "",
) -> Snapshot:
    """The seed of the org ``provider`` serves (see the module docstring). ``declared`` (kind -> keys, what
    a configuration declares for the org) is read first, so what an org cannot list (its standard value
    sets) is in the seed when the configuration names it; ``username_suffix`` is kept on anonymised
    usernames."""
    before = provider.usage.calls
    endpoints_before = dict(provider.usage.by_endpoint)
    for kind, keys in (declared or {}).items():
        if kind in provider.kinds and isinstance(provider.kinds[kind], SeedSource):
            provider.read(kind, keys)
    parts = [core_part(provider)]
    for handler in provider.kinds.values():
        if isinstance(handler, SeedSource):
            parts.append(handler.seed())
    document = consistent(merge(parts))
    replaced: dict[str, str] = {}
    if anonymize:
        result: Anonymized = anonymize_users(document, username_suffix)
        document, replaced = result.document, result.usernames
    by_endpoint: dict[str, int] = {}
    for endpoint, count in sorted(provider.usage.by_endpoint.items()):
        made = count - endpoints_before.get(endpoint, 0)
        if made:
            key = _RECORD_ID.sub("/{id}", endpoint)
            by_endpoint[key] = by_endpoint.get(key, 0) + made
    return Snapshot(document, provider.usage.calls - before, by_endpoint, replaced)


def merge(parts: Iterable[SeedPart]) -> dict[str, Any]:
    """One seed document from parts (see the module docstring); ``organization`` is taken as it is."""
    document: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    objects: dict[str, dict[str, Any]] = {}
    for part in parts:
        for section, value in part.items():
            if section == "organization":
                document[section] = value
            elif section == "objects":
                for entry in value:
                    _merge_object(objects, entry)
            else:
                document.setdefault(section, []).extend(value)
    for section in ("validation_rules", "duplicate_rules", "layout_assignments"):
        for entry in document.get(section, []):
            _merge_object(objects, {"name": entry["object"]})
    if objects:
        document["objects"] = [objects[key] for key in sorted(objects)]
    return document


def _merge_object(objects: dict[str, dict[str, Any]], entry: dict[str, Any]) -> None:
    key = str(entry["name"]).casefold()
    target = objects.setdefault(key, {"name": entry["name"]})
    for name, value in entry.items():
        if name in OBJECT_LISTS:
            known = {_item_name(item).casefold() for item in target.get(name, [])}
            items = [item for item in value if _item_name(item).casefold() not in known]
            if items:
                target[name] = [*target.get(name, []), *items]
        elif name not in target:
            target[name] = value


def _item_name(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("developer_name") or item.get("name"))
    return str(item)


def consistent(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without references to users or profiles it does not hold (assignments, group
    members, custom setting rows of a profile or user)."""
    profiles = {str(p["name"]).casefold() for p in document.get("profiles", [])}
    users = [u for u in document.get("users", []) if str(u.get("profile", "")).casefold() in profiles]
    usernames = {str(u["username"]).casefold() for u in users}
    if "users" in document:
        document["users"] = users
    for section, key, known in (
        ("permission_set_assignments", "username", usernames),
        ("layout_assignments", "profile", profiles),
    ):
        if section in document:
            document[section] = [e for e in document[section] if str(e[key]).casefold() in known]
    for group in document.get("groups", []):
        group["members"] = [m for m in group["members"] if m.startswith("group:") or m.casefold() in usernames]
    owners = {"org"} | {f"profile:{p}" for p in profiles} | {f"user:{u}" for u in usernames}
    for obj in document.get("objects", []):
        if obj.get("custom_setting") == "hierarchy":
            obj["records"] = [r for r in obj["records"] if str(r["owner"]).casefold() in owners]
    ordered = [key for key in ORDER if key in document] + [key for key in document if key not in ORDER]
    return {key: document[key] for key in ordered if document[key] != []}
