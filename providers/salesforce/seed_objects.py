"""Seed ``objects`` entries (docs/emulator-seeds.md) of the objects whose records are configuration:
custom settings and custom metadata types, built from what their kinds read (describe and rows).

``object_entry(name, label, fields, records)`` is one entry: ``fields`` (API name -> REST describe type)
are written in the seed's Metadata spelling (``double`` -> ``Number``, ``boolean`` -> ``Checkbox`` ...);
a describe type the seed has no spelling for is written ``Text``, as is a picklist (its values are not
read: the seed would need them, the kinds compare the value only). An encrypted field
(``encryptedstring``) is a secret: it is left out, with its values. Values that are null are left out of
the records, so the emulator answers null for them too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SEED_TYPES = {
    "string": "Text",
    "textarea": "TextArea",
    "boolean": "Checkbox",
    "double": "Number",
    "int": "Number",
    "long": "Number",
    "currency": "Currency",
    "percent": "Percent",
    "date": "Date",
    "datetime": "DateTime",
    "email": "Email",
    "phone": "Phone",
    "url": "Url",
}
SECRET_TYPES = frozenset({"encryptedstring"})


def object_entry(
    name: str, label: str, fields: Mapping[str, str], records: Iterable[Mapping[str, Any]], **extra: Any
) -> dict[str, Any]:
    """One ``objects`` entry (see the module docstring); ``records`` already carry the seed's standard
    keys (``owner``, ``Name``, ``DeveloperName`` ...) and may carry every field, secret ones included."""
    kept = {api: kind for api, kind in fields.items() if kind not in SECRET_TYPES}
    entry: dict[str, Any] = {"name": name}
    if label:
        entry["label"] = label
    entry.update(extra)
    entry["fields"] = [{"name": api, "type": SEED_TYPES.get(kind, "Text")} for api, kind in kept.items()]
    secret = {api.casefold() for api in fields} - {api.casefold() for api in kept}
    entry["records"] = [
        {key: value for key, value in record.items() if value is not None and key.casefold() not in secret}
        for record in records
    ]
    return entry
