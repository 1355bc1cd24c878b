"""updateMetadata / upsertMetadata of one component against the store.

Contract:

- ``save_component`` validates a whole component first and writes only when it is valid, so each
  component of a batch succeeds or fails on its own (the Metadata API's partial-success default).
  It never commits; the caller commits once per request, under ``store.lock``.
- Profile: ``layoutAssignments`` overlay the stored ones: each given (object, recordType) pair is
  repointed or created, pairs not given are kept; ``recordTypeVisibilities`` overlay the same way
  (``metadata/record_types.py``). A layout and a record type must belong together: a pseudo-object
  layout takes its real object's record types, spelled as ``org/pseudo_objects.py`` says
  (``CaseClose-Close Case Layout`` with ``Case.X``), else FIELD_INTEGRITY_EXCEPTION (invented). Profiles
  are never created (upsert of an unknown
  profile fails too: creating profiles is outside the emulator).
- CustomField / GlobalValueSet / StandardValueSet: values omitted from the given list are kept and
  deactivated; given values come first, in the given order, then the deactivated leftovers. Optional
  top-level elements that are omitted keep their stored value (UNCONFIRMED on real orgs).
- Upsert creates only GlobalValueSets; unknown CustomFields and StandardValueSets fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..org.pseudo_objects import record_type_owner, record_type_prefix
from ..org.store import Store
from .names import Row, find_by_full_name, find_layout, find_profile, find_record_type, layout_object
from .record_types import save_visibilities
from .types import CUSTOM_FIELD_KEYS, STANDARD_VALUE_EXTRAS, Parsed, as_bool, first, parsed_values

WRITABLE_TYPES = ("Profile", "CustomField", "GlobalValueSet", "StandardValueSet")

_PROFILE_SECTIONS = {"fullName", "custom", "description", "layoutAssignments", "recordTypeVisibilities", "userLicense"}
_BOOLEAN_FIELD_KEYS = {"caseSensitive", "externalId", "required", "trackHistory", "unique"}
_INTEGER_FIELD_KEYS = {"length", "precision", "scale", "visibleLines"}
_PICKLIST_TYPES = {"Picklist", "MultiselectPicklist"}


@dataclass(frozen=True)
class ComponentError:
    """One entry of a SaveResult's ``errors``."""

    status_code: str
    message: str


@dataclass(frozen=True)
class SaveOutcome:
    """What a SaveResult / UpsertResult reports for one component."""

    full_name: str
    errors: tuple[ComponentError, ...] = ()
    created: bool = False

    @property
    def success(self) -> bool:
        return not self.errors


def _not_found(field: str, type_name: str, name: str) -> ComponentError:
    return ComponentError("INVALID_CROSS_REFERENCE_KEY", f"In field: {field} - no {type_name} named {name} found")


def _invented(message: str) -> ComponentError:
    # The status code and wording for this failure are not documented anywhere public: invented.
    return ComponentError("FIELD_INTEGRITY_EXCEPTION", message)


def save_component(store: Store, type_name: str, parsed: Parsed, *, upsert: bool) -> SaveOutcome:
    """Apply one parsed component of a writable type; see the module contract."""
    full_name = str(first(parsed, "fullName") or "")
    if not full_name:
        return SaveOutcome("", (ComponentError("REQUIRED_FIELD_MISSING", "Required field is missing: fullName"),))
    savers = {
        "Profile": _save_profile,
        "CustomField": _save_custom_field,
        "GlobalValueSet": _save_global_value_set,
        "StandardValueSet": _save_standard_value_set,
    }
    return savers[type_name](store, full_name, parsed, upsert)


def _save_profile(store: Store, full_name: str, parsed: Parsed, upsert: bool) -> SaveOutcome:
    profile = find_profile(store, full_name)
    if profile is None:
        return SaveOutcome(full_name, (_not_found("fullName", "Profile", full_name),))
    unsupported = sorted(set(parsed) - _PROFILE_SECTIONS)
    if unsupported:
        # Honest refusal instead of silently dropping sections the emulator does not store.
        message = f"The emulator does not store Profile sections: {', '.join(unsupported)}"
        return SaveOutcome(full_name, (ComponentError("UNKNOWN_EXCEPTION", message),))
    pairs, errors = _resolve_assignments(store, parsed.get("layoutAssignments") or [])
    if errors:
        return SaveOutcome(full_name, tuple(errors))
    visibilities = parsed.get("recordTypeVisibilities") or []
    errors = [ComponentError(code, message) for code, message in save_visibilities(store, profile, visibilities)]
    if errors:
        return SaveOutcome(full_name, tuple(errors))
    for layout, record_type in pairs:
        _assign_layout(store, str(profile["Id"]), layout, record_type)
    if "description" in parsed:
        store.update("Profile", str(profile["Id"]), {"Description": first(parsed, "description")})
    return SaveOutcome(full_name)


def _resolve_assignments(store: Store, items: list[Any]) -> tuple[list[tuple[Row, Row | None]], list[ComponentError]]:
    pairs: list[tuple[Row, Row | None]] = []
    errors: list[ComponentError] = []
    for item in items:
        layout_name = str(first(item, "layout") or "") if isinstance(item, dict) else ""
        type_name = first(item, "recordType") if isinstance(item, dict) else None
        layout = find_layout(store, layout_name)
        record_type = find_record_type(store, str(type_name)) if type_name else None
        if layout is None:
            errors.append(_not_found("layout", "Layout", layout_name))
        if type_name and record_type is None:
            errors.append(_not_found("recordType", "RecordType", str(type_name)))
        if layout is None or (type_name and record_type is None):
            continue
        owner = record_type_owner(layout_object(layout))
        if record_type is not None and record_type_prefix(record_type).casefold() != owner.casefold():
            errors.append(_invented(f"Layout {layout_name} and record type {type_name} belong to different objects"))
            continue
        pairs.append((layout, record_type))
    return pairs, errors


def _assign_layout(store: Store, profile_id: str, layout: Row, record_type: Row | None) -> None:
    """Repoint the profile's assignment for (object, record type), or create it."""
    record_type_id = record_type["Id"] if record_type else None
    table = layout["TableEnumOrId"]
    for row in store.find("ProfileLayout", ProfileId=profile_id):
        if row.get("RecordTypeId") == record_type_id and _same_object(store, row, layout):
            store.update("ProfileLayout", str(row["Id"]), {"LayoutId": layout["Id"]})
            return
    store.insert(
        "ProfileLayout",
        {
            "ProfileId": profile_id,
            "LayoutId": layout["Id"],
            "RecordTypeId": record_type_id,
            "TableEnumOrId": table,
        },
    )


def _same_object(store: Store, assignment: Row, layout: Row) -> bool:
    current = store.get("Layout", str(assignment["LayoutId"]))
    if current is not None:
        return layout_object(current).casefold() == layout_object(layout).casefold()
    return str(assignment.get("TableEnumOrId")) == str(layout["TableEnumOrId"])


def merge_values(
    existing: list[dict[str, Any]], given: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[ComponentError]]:
    """Given values in order (keeping stored keys they do not set), then omitted ones, deactivated."""
    stored = {str(v["valueName"]).casefold(): v for v in existing}
    merged: list[dict[str, Any]] = []
    seen: set[str] = set()
    for value in given:
        key = str(value["valueName"]).casefold()
        if key in seen:
            return [], [ComponentError("DUPLICATE_VALUE", f"Duplicate picklist value: {value['valueName']}")]
        seen.add(key)
        merged.append({**stored.get(key, {}), **value})
    leftovers = [v for v in existing if str(v["valueName"]).casefold() not in seen]
    merged.extend({**v, "isActive": False, "default": False} for v in leftovers)
    return merged, _over_caps(merged)


#: 1,000 values per picklist, inactive ones included (Salesforce Help, "General Picklist Limits": custom
#: picklists and global value sets; applying it to standard value sets is our assumption), 255 characters
#: per value name and label.
MAX_VALUES = 1000
MAX_VALUE_LENGTH = 255


def _over_caps(values: list[dict[str, Any]]) -> list[ComponentError]:
    if len(values) > MAX_VALUES:
        return [
            _invented(
                f"A picklist can have at most {MAX_VALUES} values, active and inactive; this one has {len(values)}"
            )
        ]
    for value in values:
        for key in ("valueName", "label"):
            if len(str(value.get(key) or "")) > MAX_VALUE_LENGTH:
                return [
                    ComponentError(
                        "STRING_TOO_LONG",
                        f"{key}: data value too large: {str(value[key])[:40]}... (max length={MAX_VALUE_LENGTH})",
                    )
                ]
    return []


def _save_custom_field(store: Store, full_name: str, parsed: Parsed, upsert: bool) -> SaveOutcome:
    row = find_by_full_name(store, "CustomField", full_name)
    if row is None:
        # Upsert does not create fields either: new fields belong to the object schema the store owns.
        return SaveOutcome(full_name, (_not_found("fullName", "CustomField", full_name),))
    stored: dict[str, Any] = dict(row.get("Metadata") or {})
    missing = [key for key in ("label", "type") if not first(parsed, key)]
    if missing:
        return SaveOutcome(
            full_name,
            tuple(_invented(f"Must specify a non-empty {key} for the CustomField") for key in missing),
        )
    if str(first(parsed, "type")) != str(stored.get("type")):
        return SaveOutcome(full_name, (_invented("The emulator cannot change the type of a field"),))
    metadata = {**stored, **_field_scalars(parsed)}
    errors: list[ComponentError] = []
    value_set = first(parsed, "valueSet")
    if stored.get("type") in _PICKLIST_TYPES and isinstance(value_set, dict):
        metadata["valueSet"], errors = _merged_value_set(store, stored.get("valueSet") or {}, value_set)
    if errors:
        return SaveOutcome(full_name, tuple(errors))
    store.update("CustomField", str(row["Id"]), {"Metadata": metadata})
    return SaveOutcome(full_name)


def _field_scalars(parsed: Parsed) -> dict[str, Any]:
    scalars: dict[str, Any] = {}
    for key in CUSTOM_FIELD_KEYS:
        value = first(parsed, key)
        if key == "valueSet" or key not in parsed or isinstance(value, dict):
            continue
        if key in _BOOLEAN_FIELD_KEYS:
            scalars[key] = as_bool(value)
        elif key in _INTEGER_FIELD_KEYS and value is not None:
            scalars[key] = int(value)
        else:
            scalars[key] = value
    return scalars


def _merged_value_set(
    store: Store, stored: dict[str, Any], given: Parsed
) -> tuple[dict[str, Any], list[ComponentError]]:
    bound_to = first(given, "valueSetName")
    definition = first(given, "valueSetDefinition")
    if (bound_to or None) != (stored.get("valueSetName") or None) or (bound_to and definition):
        return stored, [_invented("The emulator cannot change which value set a picklist field uses")]
    if bound_to and find_by_full_name(store, "GlobalValueSet", str(bound_to)) is None:
        return stored, [_not_found("valueSetName", "GlobalValueSet", str(bound_to))]
    merged = dict(stored)
    if "restricted" in given:
        merged["restricted"] = as_bool(first(given, "restricted"))
    if "controllingField" in given:
        merged["controllingField"] = first(given, "controllingField")
    if isinstance(definition, dict):
        old = stored.get("valueSetDefinition") or {}
        values, errors = merge_values(old.get("value") or [], parsed_values(definition.get("value") or []))
        sorted_flag = as_bool(first(definition, "sorted"), default=bool(old.get("sorted")))
        merged["valueSetDefinition"] = {**old, "sorted": sorted_flag, "value": values}
        return merged, errors
    return merged, []


def _save_global_value_set(store: Store, full_name: str, parsed: Parsed, upsert: bool) -> SaveOutcome:
    row = find_by_full_name(store, "GlobalValueSet", full_name)
    if row is None and not upsert:
        return SaveOutcome(full_name, (_not_found("fullName", "GlobalValueSet", full_name),))
    master_label = first(parsed, "masterLabel")
    if not master_label:
        return SaveOutcome(
            full_name, (ComponentError("REQUIRED_FIELD_MISSING", "Required field is missing: masterLabel"),)
        )
    stored: dict[str, Any] = dict(row.get("Metadata") or {}) if row else {}
    values, errors = merge_values(stored.get("customValue") or [], parsed_values(parsed.get("customValue") or []))
    if errors:
        return SaveOutcome(full_name, tuple(errors))
    description = first(parsed, "description") if "description" in parsed else stored.get("description")
    metadata = {
        **stored,
        "customValue": values,
        "description": description,
        "masterLabel": master_label,
        "sorted": as_bool(first(parsed, "sorted")),
    }
    fields = {"MasterLabel": master_label, "Description": description, "Metadata": metadata}
    if row is not None:
        store.update("GlobalValueSet", str(row["Id"]), fields)
        return SaveOutcome(full_name)
    store.insert(
        "GlobalValueSet",
        {**fields, "DeveloperName": full_name, "NamespacePrefix": None, "FullName": full_name},
    )
    return SaveOutcome(full_name, created=True)


def _save_standard_value_set(store: Store, full_name: str, parsed: Parsed, upsert: bool) -> SaveOutcome:
    row = find_by_full_name(store, "StandardValueSet", full_name)
    if row is None:
        # Standard value sets are fixed by Salesforce; upsert cannot create one either.
        return SaveOutcome(full_name, (_not_found("fullName", "StandardValueSet", full_name),))
    given = parsed_values(parsed.get("standardValue") or [], extras=STANDARD_VALUE_EXTRAS)
    if not given:
        # A StandardValueSet deploy needs at least one value (wire reference §3); wording invented.
        return SaveOutcome(full_name, (_invented("A StandardValueSet must have at least one value"),))
    stored: dict[str, Any] = dict(row.get("Metadata") or {})
    values, errors = merge_values(stored.get("standardValue") or [], given)
    if errors:
        return SaveOutcome(full_name, tuple(errors))
    metadata = {**stored, "standardValue": values, "sorted": as_bool(first(parsed, "sorted"))}
    if "groupingStringEnum" in parsed:
        metadata["groupingStringEnum"] = first(parsed, "groupingStringEnum")
    store.update("StandardValueSet", str(row["Id"]), {"Metadata": metadata})
    return SaveOutcome(full_name)
