"""The registry of seed sections, and what is made from it: the JSON Schema of a seed and its check.

``SECTIONS`` lists every top-level section of an org document, each declared (``SeedSection``, see
``org/sections.py``) in the module that loads it. Adding a section: declare its ``SeedSection`` beside
its loader, and append one line here. The seed schema (``seed_schema()``, printed by ``reconcile
emulator schema``, committed as docs/emulator-seed.schema.json), the section reference in
docs/emulator-seeds.md (``python scripts/docs_seeds.py`` refreshes both) and ``check(document)``, which
every document goes through before it is loaded, follow from this list. A top-level key that is not a
section here is refused, with the closest section name as a hint.
"""

from __future__ import annotations

from typing import Any

from . import (
    apex_tests,
    core_sections,
    credentials,
    duplicate_rules,
    endpoints,
    flows,
    groups,
    permission_set_licenses,
    permissions,
    record_type_values,
    record_type_visibility,
    scheduled_jobs,
    seed_objects,
    validation_rules,
)
from .data import SeedError
from .sections import Schema, SeedSection
from .seed_check import problems

#: How many problems one error names (the rest are counted).
SHOWN = 10

SECTIONS: tuple[SeedSection, ...] = (
    core_sections.SCHEMA_VERSION,
    core_sections.ORGANIZATION,
    core_sections.PROFILES,
    core_sections.PERMISSION_SETS,
    core_sections.PERMISSION_SET_GROUPS,
    core_sections.USERS,
    core_sections.GLOBAL_VALUE_SETS,
    core_sections.STANDARD_VALUE_SETS,
    seed_objects.OBJECTS_SECTION,
    seed_objects.LAYOUT_ASSIGNMENTS_SECTION,
    core_sections.PERMISSION_SET_ASSIGNMENTS,
    validation_rules.SEED_SECTION,
    flows.SEED_SECTION,
    duplicate_rules.SEED_SECTION,
    scheduled_jobs.CLASSES_SEED_SECTION,
    scheduled_jobs.SEED_SECTION,
    credentials.APPS_SEED_SECTION,
    credentials.LOGINS_SEED_SECTION,
    apex_tests.SEED_SECTION,
    permissions.OBJECT_SEED_SECTION,
    permissions.FIELD_SEED_SECTION,
    permissions.CLASS_SEED_SECTION,
    endpoints.REMOTE_SITES_SECTION,
    endpoints.NAMED_CREDENTIALS_SECTION,
    record_type_values.SEED_SECTION,
    record_type_visibility.SEED_SECTION,
    groups.SEED_SECTION,
    permission_set_licenses.LICENSES_SECTION,
    permission_set_licenses.ASSIGNMENTS_SECTION,
    core_sections.DELETED,
)


def seed_schema() -> Schema:
    """The JSON Schema (draft 2020-12) of an org document: one property per registered section."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Emulated org seed",
        "description": "An org for `reconcile`'s Salesforce emulator; see docs/emulator-seeds.md.",
        "type": "object",
        "properties": {section.name: section.schema for section in SECTIONS},
        "additionalProperties": False,
    }


def check(document: Any) -> None:
    """Raise ``SeedError`` naming every problem of ``document`` by its JSON path (at most ``SHOWN``), on
    one line."""
    found = problems(document, seed_schema())
    if not found:
        return
    more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    raise SeedError("; ".join(found[:SHOWN]) + more + " (the seed format: docs/emulator-seeds.md)")
