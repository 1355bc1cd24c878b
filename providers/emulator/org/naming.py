"""How Salesforce spells names: namespaces, developer names, Metadata API full names and picklist values."""

from __future__ import annotations

import re
from typing import Any

_NAMESPACED = re.compile(r"^([A-Za-z][A-Za-z0-9]*)__(.+)$")

PROFILE_FULL_NAMES = {
    "System Administrator": "Admin",
    "Standard User": "Standard",
    "Standard Platform User": "StandardAul",
    "Solution Manager": "SolutionManager",
    "Marketing User": "MarketingProfile",
    "Contract Manager": "ContractManager",
    "High Volume Customer Portal": "HighVolumePortal",
}

_LAYOUT_SAFE_PUNCTUATION = {" ", "-", "_"}


def split_namespace(name: str) -> tuple[str | None, str]:
    """``acme__Billing_Admin`` -> ("acme", "Billing_Admin"); a name without a namespace -> (None, name)."""
    match = _NAMESPACED.match(name)
    if match is None:
        return None, name
    return match.group(1), match.group(2)


def join_namespace(namespace: str | None, name: str) -> str:
    """The form users write: ``acme__Name`` or ``Name``."""
    return f"{namespace}__{name}" if namespace else name


def split_custom_name(api_name: str) -> tuple[str | None, str]:
    """``acme__Segment__c`` -> ("acme", "Segment"); ``Tier__c`` -> (None, "Tier")."""
    base = api_name[:-3] if api_name.endswith("__c") else api_name
    return split_namespace(base)


def is_custom(api_name: str) -> bool:
    """True for custom objects and fields (``__c``)."""
    return api_name.endswith("__c")


def profile_full_name(name: str) -> str:
    """Metadata API fullName of a profile: renamed standard profiles, else ':' and '.' percent-encoded."""
    if name in PROFILE_FULL_NAMES:
        return PROFILE_FULL_NAMES[name]
    return name.replace(":", "%3A").replace(".", "%2E")


def encode_layout_name(name: str) -> str:
    """Percent-encode ASCII punctuation (UTF-8) except space, '-' and '_'; letters and digits stay."""
    out = []
    for char in name:
        if char.isascii() and not char.isalnum() and char not in _LAYOUT_SAFE_PUNCTUATION:
            out.append("".join(f"%{byte:02X}" for byte in char.encode()))
        else:
            out.append(char)
    return "".join(out)


def layout_full_name(object_name: str, layout_name: str, namespace: str | None = None) -> str:
    """``Account-Account Layout``; a managed layout carries its namespace: ``Obj-ns__Layout Name``."""
    return f"{object_name}-{join_namespace(namespace, encode_layout_name(layout_name))}"


def picklist_value(spec: str | dict[str, Any]) -> dict[str, Any]:
    """A seed value (a name or {name,label,default,active}) as a stored value dict (Tooling shape)."""
    if isinstance(spec, str):
        spec = {"name": spec}
    return {
        "valueName": spec["name"],
        "label": spec.get("label") or spec["name"],
        "default": bool(spec.get("default", False)),
        "isActive": bool(spec.get("active", True)),
        "color": spec.get("color"),
        "description": spec.get("description"),
        "urls": None,
    }


def seed_value(value: dict[str, Any]) -> dict[str, Any]:
    """A stored value dict back in the seed shape {name,label,default,active}."""
    return {
        "name": value["valueName"],
        "label": value.get("label") or value["valueName"],
        "default": bool(value.get("default")),
        "active": value.get("isActive") is not False,
    }
