"""Benchmark orgs: a seed document and a matching configuration, both generated from a ``Size``.

The org holds ``users`` users spread over ``profiles`` profiles, ``permission_sets`` permission sets,
``objects`` custom objects with ``fields_per_object`` picklist fields each (``values_per_field`` values),
two layouts and one record type (``Enterprise``) per object. Nothing is granted yet and every profile
sees each object's first layout (the emulator's default), so a first apply has everything to do.

The configuration asks for ``grants`` permission set grants (every user holds every permission set),
``fields`` picklists (the live values plus ``new_values`` new ones each, additive) and ``layouts``
layout assignments (every profile sees the second layout for the master record type and for
``Enterprise``). Names are deterministic, so two runs of the same size build the same org.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIELDS_PER_OBJECT = 10
PERMISSION_SETS = 5
VALUES_PER_FIELD = 8
NEW_VALUES = 2
RECORD_TYPE = "Enterprise"
SLOTS_PER_OBJECT = 2  # the master record type and Enterprise


@dataclass(frozen=True)
class Size:
    """How big a scenario (a) org is: grants, picklist fields and layout assignments to manage."""

    grants: int = 2000
    fields: int = 100
    layouts: int = 200

    @property
    def permission_sets(self) -> int:
        return min(PERMISSION_SETS, max(1, self.grants))

    @property
    def users(self) -> int:
        return math.ceil(self.grants / self.permission_sets)

    @property
    def objects(self) -> int:
        return max(1, math.ceil(self.fields / FIELDS_PER_OBJECT))

    @property
    def profiles(self) -> int:
        return max(1, math.ceil(self.layouts / (self.objects * SLOTS_PER_OBJECT)))

    @property
    def label(self) -> str:
        return f"{self.grants} grants, {self.fields} picklist fields, {self.layouts} layout assignments"


@dataclass(frozen=True)
class Names:
    """The generated names of one size, in a stable order."""

    size: Size

    def username(self, index: int) -> str:
        return f"user{index + 1:05d}@bench.example.com"

    def permission_set(self, index: int) -> str:
        return f"Bench_PS_{index + 1:02d}"

    def profile(self, index: int) -> str:
        return f"Bench Profile {index + 1:02d}"

    def object(self, index: int) -> str:
        return f"Bench_Obj_{index + 1:02d}__c"

    def field(self, index: int) -> tuple[str, str]:
        """(object, field) of picklist field ``index``."""
        return self.object(index // FIELDS_PER_OBJECT), f"Pick_{index % FIELDS_PER_OBJECT + 1:02d}__c"

    def layout(self, object_index: int, alternate: bool) -> str:
        base = f"Bench Obj {object_index + 1:02d}"
        return f"{base} Alt Layout" if alternate else f"{base} Layout"

    def grants(self) -> list[tuple[str, str]]:
        """(permission set, username) of every grant the config declares."""
        users = self.size.users
        return [(self.permission_set(k // users), self.username(k % users)) for k in range(self.size.grants)]

    def slots(self) -> list[tuple[str, int, str]]:
        """(profile, object index, record type) of every layout assignment the config declares."""
        per_profile = self.size.objects * SLOTS_PER_OBJECT
        result = []
        for k in range(self.size.layouts):
            rest = k % per_profile
            record_type = RECORD_TYPE if rest % SLOTS_PER_OBJECT else ""
            result.append((self.profile(k // per_profile), rest // SLOTS_PER_OBJECT, record_type))
        return result


def live_values() -> list[str]:
    return [f"Value_{i + 1:02d}" for i in range(VALUES_PER_FIELD)]


def declared_values() -> list[str]:
    return [*live_values(), *(f"New_{i + 1:02d}" for i in range(NEW_VALUES))]


def seed_document(size: Size, org_name: str) -> dict[str, Any]:
    """The emulator seed (DESIGN §11 shape) of an org of ``size``."""
    names = Names(size)
    fields_by_object: dict[int, list[dict[str, Any]]] = {}
    for index in range(size.fields):
        _, field = names.field(index)
        fields_by_object.setdefault(index // FIELDS_PER_OBJECT, []).append(
            {"name": field, "type": "Picklist", "values": live_values()}
        )
    objects = [
        {
            "name": names.object(i),
            "record_types": [RECORD_TYPE],
            "layouts": [names.layout(i, alternate=False), names.layout(i, alternate=True)],
            "fields": fields_by_object.get(i, []),
        }
        for i in range(size.objects)
    ]
    return {
        "schema_version": 1,
        "organization": {"name": org_name, "is_sandbox": True, "daily_api_limit": 1_000_000},
        "profiles": [{"name": names.profile(i)} for i in range(size.profiles)],
        "users": [
            {"username": names.username(i), "profile": names.profile(i % size.profiles)} for i in range(size.users)
        ],
        "permission_sets": [
            {"name": names.permission_set(i), "label": names.permission_set(i).replace("_", " ")}
            for i in range(size.permission_sets)
        ],
        "objects": objects,
    }


def write_seed(size: Size, org_name: str, path: Path) -> Path:
    path.write_text(json.dumps(seed_document(size, org_name)), encoding="utf-8")
    return path


@dataclass(frozen=True)
class OrgEndpoint:
    """Where a running emulated org listens and the environment variable holding its token."""

    name: str
    instance_url: str
    ca_cert: Path
    token_env: str


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def config_text(size: Size, orgs: list[OrgEndpoint]) -> str:
    """A ``reconcile.toml`` managing ``size`` in every org of ``orgs``."""
    names = Names(size)
    lines = ["version = 1", "", "[state]", 'path = "state/state.json"', ""]
    for org in orgs:
        lines += [
            f"[orgs.{org.name}]",
            f"instance_url = {json.dumps(org.instance_url)}",
            f'auth = {{ method = "access_token", token_env = "{org.token_env}" }}',
            f"ca_cert = {json.dumps(str(org.ca_cert))}",
            "",
        ]
    for index in range(size.fields):
        obj, field = names.field(index)
        lines += ["[[picklist]]", f'field = "{obj}.{field}"', f"values = {_toml_list(declared_values())}", ""]
    by_slot: dict[tuple[int, str], list[str]] = {}
    for profile, object_index, record_type in names.slots():
        by_slot.setdefault((object_index, record_type), []).append(profile)
    for (object_index, record_type), profiles in sorted(by_slot.items()):
        lines += [
            "[[layout_assignment]]",
            f"profiles = {_toml_list(profiles)}",
            f'object = "{names.object(object_index)}"',
            *([f'record_type = "{record_type}"'] if record_type else []),
            f'layout = "{names.layout(object_index, alternate=True)}"',
            "",
        ]
    by_set: dict[str, list[str]] = {}
    for permission_set, username in names.grants():
        by_set.setdefault(permission_set, []).append(username)
    for permission_set, users in by_set.items():
        lines += [
            "[[permission_set_grant]]",
            f'permission_set = "{permission_set}"',
            f"users = {_toml_list(users)}",
            "",
        ]
    return "\n".join(lines)
