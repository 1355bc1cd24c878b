"""Store rows <-> Metadata API XML for Profile, CustomField, GlobalValueSet, StandardValueSet, Layout and
RecordType.

Contract:

- ``render_record(store, type, fullName)`` gives the ``<records xsi:type=...>`` element readMetadata
  returns, or None when no such component exists. Elements follow the WSDL's order; every scalar is
  text; booleans are "true"/"false"; absent optional values are left out.
- Picklist values are stored in the Tooling JSON shape (``valueName``, ``label``, ``default``,
  ``isActive``, ...). readMetadata lists every value, inactive ones with ``isActive`` false.
- ``parse_element`` turns an incoming component into plain data: a leaf is its text (None when
  xsi:nil), a parent is a dict from child name to the list of its values, in document order.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..org.store import Store
from ..soap.xml import children, is_nil, local_name, text_el, xml_attr
from .names import (
    STANDARD_PROFILE_NAMES,
    Row,
    find_by_full_name,
    find_layout,
    find_profile,
    find_record_type,
    layout_full_name,
    profile_full_name,
    record_type_full_name,
)
from .profile_body import class_accesses_xml, field_permissions_xml, object_permissions_xml
from .record_types import picklist_values_xml as record_type_values_xml
from .record_types import visibilities_xml as record_type_visibilities_xml

Parsed = dict[str, list[Any]]

READABLE_TYPES = ("Profile", "CustomField", "GlobalValueSet", "StandardValueSet", "Layout", "RecordType")

# CustomField elements the emulator round-trips, in WSDL order ("valueSet" marks where it goes).
CUSTOM_FIELD_KEYS = (
    "caseSensitive",
    "defaultValue",
    "deleteConstraint",
    "description",
    "displayFormat",
    "externalId",
    "formula",
    "inlineHelpText",
    "label",
    "length",
    "precision",
    "referenceTo",
    "relationshipLabel",
    "relationshipName",
    "required",
    "scale",
    "trackHistory",
    "type",
    "unique",
    "valueSet",
    "visibleLines",
)

# StandardValue adds these to CustomValue (metadata.wsdl), after the CustomValue elements.
STANDARD_VALUE_EXTRAS = (
    "allowEmail",
    "closed",
    "converted",
    "cssExposed",
    "forecastCategory",
    "groupingString",
    "highPriority",
    "probability",
    "reverseRole",
    "reviewed",
    "won",
)

_BOOLEAN_EXTRAS = {"allowEmail", "closed", "converted", "cssExposed", "highPriority", "reviewed", "won"}

_USER_LICENSES = {
    "Chatter Free User": "Chatter Free",
    "Chatter Moderator User": "Chatter Free",
    "Chatter External User": "Chatter External",
    "Standard Platform User": "Salesforce Platform",
    "High Volume Customer Portal": "High Volume Customer Portal",
}


def parse_element(element: ET.Element) -> Any:
    """Plain data for an incoming XML element (see the module contract)."""
    if is_nil(element):
        return None
    if len(element) == 0:
        return element.text or ""
    parsed: Parsed = {}
    for item in element:
        parsed.setdefault(local_name(item), []).append(parse_element(item))
    return parsed


def first(parsed: Parsed, key: str) -> Any:
    """The first value of ``key`` in a parsed element, or None."""
    values = parsed.get(key) or [None]
    return values[0]


def as_bool(value: Any, default: bool = False) -> bool:
    """A SOAP boolean ("true"/"1") as bool; ``default`` when absent."""
    if value is None or value == "":
        return default
    return str(value).strip().lower() in {"true", "1"}


def record_xml(type_name: str, inner: str) -> str:
    return f"<records xsi:type={xml_attr(type_name)}>{inner}</records>"


def render_record(store: Store, type_name: str, full_name: str) -> str | None:
    """The readMetadata ``records`` element for one component, or None when it does not exist."""
    if type_name == "Profile":
        profile = find_profile(store, full_name)
        return None if profile is None else record_xml(type_name, profile_xml(store, profile))
    if type_name == "Layout":
        layout = find_layout(store, full_name)
        return None if layout is None else record_xml(type_name, text_el("fullName", layout_full_name(layout)))
    if type_name == "RecordType":
        record_type = find_record_type(store, full_name)
        return None if record_type is None else record_xml(type_name, record_type_xml(store, record_type))
    row = find_by_full_name(store, type_name, full_name)
    if row is None:
        return None
    renderers = {
        "CustomField": custom_field_xml,
        "GlobalValueSet": global_value_set_xml,
        "StandardValueSet": standard_value_set_xml,
    }
    return record_xml(type_name, renderers[type_name](row))


def layout_assignments(store: Store, profile_id: str) -> list[tuple[str, str | None]]:
    """(layout fullName, recordType fullName or None) for each ProfileLayout row of a profile, sorted."""
    pairs: list[tuple[str, str | None]] = []
    for row in store.find("ProfileLayout", ProfileId=profile_id):
        layout = store.get("Layout", str(row["LayoutId"]))
        if layout is None:
            continue
        record_type = store.get("RecordType", str(row["RecordTypeId"])) if row.get("RecordTypeId") else None
        pairs.append((layout_full_name(layout), record_type_full_name(record_type) if record_type else None))
    return sorted(pairs, key=lambda pair: (pair[0], pair[1] or ""))


def profile_xml(store: Store, profile: Row) -> str:
    name = str(profile["Name"])
    assignments = "".join(
        f"<layoutAssignments>{text_el('layout', layout)}{text_el('recordType', record_type)}</layoutAssignments>"
        for layout, record_type in layout_assignments(store, str(profile["Id"]))
    )
    return (
        text_el("fullName", profile_full_name(profile))
        + class_accesses_xml(store, profile)
        + text_el("custom", name not in STANDARD_PROFILE_NAMES)
        + text_el("description", profile.get("Description"))
        + field_permissions_xml(store, profile)
        + assignments
        + object_permissions_xml(store, profile)
        + record_type_visibilities_xml(store, profile)
        + text_el("userLicense", _USER_LICENSES.get(name, "Salesforce"))
    )


def record_type_xml(store: Store, record_type: Row) -> str:
    return (
        text_el("fullName", record_type_full_name(record_type))
        + text_el("active", bool(record_type.get("IsActive", True)))
        + text_el("description", record_type.get("Description"))
        + text_el("label", record_type.get("Name") or record_type["DeveloperName"])
        + record_type_values_xml(store, record_type)
    )


def value_xml(value: dict[str, Any], *, tag: str, extras: tuple[str, ...] = ()) -> str:
    """One CustomValue (or StandardValue) element from a stored value dict."""
    inner = (
        text_el("fullName", value["valueName"])
        + text_el("color", value.get("color"))
        + text_el("default", bool(value.get("default")))
        + text_el("description", value.get("description"))
        + text_el("isActive", value.get("isActive") is not False)
        + text_el("label", value.get("label") or value["valueName"])
        + "".join(text_el(key, value.get(key)) for key in extras)
    )
    return f"<{tag}>{inner}</{tag}>"


def value_set_xml(value_set: dict[str, Any]) -> str:
    definition = value_set.get("valueSetDefinition")
    definition_xml = ""
    if definition is not None:
        values = "".join(value_xml(v, tag="value") for v in definition.get("value") or [])
        definition_xml = (
            f"<valueSetDefinition>{text_el('sorted', bool(definition.get('sorted')))}{values}</valueSetDefinition>"
        )
    return (
        "<valueSet>"
        + text_el("controllingField", value_set.get("controllingField"))
        + text_el("restricted", value_set.get("restricted"))
        + definition_xml
        + text_el("valueSetName", value_set.get("valueSetName"))
        + "</valueSet>"
    )


def custom_field_xml(row: Row) -> str:
    metadata: dict[str, Any] = row.get("Metadata") or {}
    parts = [text_el("fullName", row["FullName"])]
    for key in CUSTOM_FIELD_KEYS:
        value = metadata.get(key)
        if key == "valueSet":
            parts.append(value_set_xml(value) if value else "")
        elif not isinstance(value, dict | list):
            parts.append(text_el(key, value))
    return "".join(parts)


def global_value_set_xml(row: Row) -> str:
    metadata: dict[str, Any] = row.get("Metadata") or {}
    values = "".join(value_xml(v, tag="customValue") for v in metadata.get("customValue") or [])
    return (
        text_el("fullName", row["FullName"])
        + values
        + text_el("description", metadata.get("description"))
        + text_el("masterLabel", metadata.get("masterLabel") or row.get("MasterLabel"))
        + text_el("sorted", bool(metadata.get("sorted")))
    )


def standard_value_set_xml(row: Row) -> str:
    metadata: dict[str, Any] = row.get("Metadata") or {}
    values = "".join(
        value_xml(v, tag="standardValue", extras=STANDARD_VALUE_EXTRAS) for v in metadata.get("standardValue") or []
    )
    return (
        text_el("fullName", row["FullName"])
        + text_el("groupingStringEnum", metadata.get("groupingStringEnum"))
        + text_el("sorted", bool(metadata.get("sorted")))
        + values
    )


def parsed_values(items: list[Any], *, extras: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Stored value dicts (Tooling shape) from parsed CustomValue / StandardValue elements."""
    values: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or not first(item, "fullName"):
            continue
        name = str(first(item, "fullName"))
        value: dict[str, Any] = {
            "valueName": name,
            "label": first(item, "label") or name,
            "default": as_bool(first(item, "default")),
            "isActive": as_bool(first(item, "isActive"), default=True),
            "color": first(item, "color"),
            "description": first(item, "description"),
            "urls": None,
        }
        value.update({key: _extra(key, first(item, key)) for key in extras if first(item, key) is not None})
        values.append(value)
    return values


def _extra(key: str, value: Any) -> Any:
    if key in _BOOLEAN_EXTRAS:
        return as_bool(value)
    return int(float(value)) if key == "probability" else value


def component_elements(operation: ET.Element) -> list[ET.Element]:
    """The ``metadata`` children of an updateMetadata / upsertMetadata element."""
    return list(children(operation, "metadata"))
