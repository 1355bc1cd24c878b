"""The record rules of custom setting objects (an object seeded with ``"custom_setting": "hierarchy"`` or
``"list"``; see ``org/seed_objects.py``), checked on every insert and update.

Contract: ``violation(store, sobject, fields, record_id)`` is None for a record that may be saved, else the
``(statusCode, message, fields)`` Salesforce answers; ``fields`` is the cleaned insert or update and
``record_id`` the record updated (None for an insert). It changes nothing.

- Hierarchy: ``SetupOwnerId`` names the Organization, a Profile or a User (else
  ``INVALID_CROSS_REFERENCE_KEY``); it is required on insert (``REQUIRED_FIELD_MISSING``; whether a real
  org defaults it to the organization instead is UNCONFIRMED, the provider always sends it); one row per
  owner: a second gets ``DUPLICATE_VALUE`` "duplicate value found: SetupOwnerId duplicates value on
  record with id: ...", as Salesforce answers.
- List: ``Name`` is required and unique per object (case-insensitive), the same ``DUPLICATE_VALUE``.
"""

from __future__ import annotations

from typing import Any

from ..org.store import Store

Violation = tuple[str, str, list[str]]
OWNER_TYPES = ("Organization", "Profile", "User")


def setting_type(store: Store, sobject: str) -> str | None:
    """``"hierarchy"``, ``"list"`` or None (not a custom setting)."""
    entity = next(iter(store.find("EntityDefinition", QualifiedApiName=sobject)), None)
    return str(entity["_custom_setting"]) if entity and entity.get("_custom_setting") else None


def violation(store: Store, sobject: str, fields: dict[str, Any], record_id: str | None) -> Violation | None:
    kind = setting_type(store, sobject)
    if kind is None:
        return None
    key = "SetupOwnerId" if kind == "hierarchy" else "Name"
    if key not in fields and record_id is not None:
        return None
    value = fields.get(key)
    if not value:
        return ("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{key}]", [key])
    if key == "SetupOwnerId" and not any(store.get(t, str(value)) for t in OWNER_TYPES):
        return ("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [key])
    wanted = str(value)[:15] if key == "SetupOwnerId" else str(value).casefold()
    for row in store.table(sobject).values():
        held = row.get(key)
        same = str(held)[:15] == wanted if key == "SetupOwnerId" else str(held or "").casefold() == wanted
        if same and held and row["Id"] != record_id:
            message = f"duplicate value found: {key} duplicates value on record with id: {row['Id']}"
            return ("DUPLICATE_VALUE", message, [])
    return None
