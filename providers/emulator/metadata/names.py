"""Metadata API fullNames of store rows, and the reverse lookup from a fullName to a row.

Encoding rules (wire reference §4, Part 3 §9 and §10):

- Profile: "System Administrator" -> "Admin", "Standard User" -> "Standard" and the other renamed
  standard profiles; any other name percent-encoded (``:`` -> ``%3A``, ``.`` -> ``%2E``).
- Layout: ``{object}-{ns__}{encoded name}``; listMetadata leaves the ``ns__`` out (a real trap).
- RecordType: ``{object}.{ns__}{DeveloperName}`` (``PersonAccount.`` for a person record type);
  CustomField, GlobalValueSet, StandardValueSet: the
  row's ``FullName``.

The encoders live in ``org.naming``. Lookups compare the decoded forms case-insensitively, so a client may
send either ``%2E`` or ``.``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from ..org.naming import PROFILE_FULL_NAMES, encode_layout_name
from ..org.naming import profile_full_name as encoded_profile_name
from ..org.pseudo_objects import record_type_prefix
from ..org.store import Store

Row = dict[str, Any]

# Standard profiles, renamed or not (Part 3 §9): readMetadata reports them with custom=false.
STANDARD_PROFILE_NAMES = frozenset(
    {
        *PROFILE_FULL_NAMES,
        "Read Only",
        "Chatter Free User",
        "Chatter External User",
        "Chatter Moderator User",
        "Minimum Access - Salesforce",
    }
)


def _same(left: str, right: str) -> bool:
    return unquote(left).casefold() == unquote(right).casefold()


def _ns(row: Row) -> str:
    prefix = row.get("NamespacePrefix")
    return f"{prefix}__" if prefix else ""


def profile_full_name(profile: Row) -> str:
    """The Metadata API fullName of a Profile row (its ``_full_name`` when the store set one)."""
    stored = profile.get("_full_name")
    if stored:
        return str(stored)
    return encoded_profile_name(str(profile["Name"]))


def layout_object(layout: Row) -> str:
    """The API name of the object a Layout row belongs to."""
    return str(layout.get("_object") or layout["TableEnumOrId"])


def layout_full_name(layout: Row, *, with_namespace: bool = True) -> str:
    """``Account-Account Layout``; ``with_namespace=False`` gives the listMetadata spelling."""
    namespace = _ns(layout) if with_namespace else ""
    return f"{layout_object(layout)}-{namespace}{encode_layout_name(str(layout['Name']))}"


def record_type_full_name(record_type: Row) -> str:
    """``Account.Enterprise``; a person record type of Account is ``PersonAccount.X`` (org/pseudo_objects.py)."""
    return f"{record_type_prefix(record_type)}.{_ns(record_type)}{record_type['DeveloperName']}"


def field_object(field: Row) -> str:
    """The API name of the object a CustomField row belongs to."""
    return str(field.get("_object") or str(field["FullName"]).split(".", 1)[0])


def find_profile(store: Store, full_name: str) -> Row | None:
    return next((row for row in store.table("Profile").values() if _same(profile_full_name(row), full_name)), None)


def find_layout(store: Store, full_name: str) -> Row | None:
    """The Layout row named ``Object-Layout Name``; a managed layout needs its ``ns__`` prefix."""
    obj = full_name.split("-", 1)[0]
    return next(
        (
            row
            for row in store.table("Layout").values()
            if layout_object(row).casefold() == obj.casefold() and _same(layout_full_name(row), full_name)
        ),
        None,
    )


def find_record_type(store: Store, full_name: str) -> Row | None:
    return next(
        (row for row in store.table("RecordType").values() if _same(record_type_full_name(row), full_name)),
        None,
    )


def find_by_full_name(store: Store, table: str, full_name: str) -> Row | None:
    """A CustomField, GlobalValueSet or StandardValueSet row by its ``FullName``."""
    return next(
        (row for row in store.table(table).values() if _same(str(row.get("FullName") or ""), full_name)),
        None,
    )
