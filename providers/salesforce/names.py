"""How Salesforce spells the names the provider sends and receives.

- Namespaces: ``acme__Billing_Admin`` is stored as ``NamespacePrefix = 'acme'``, ``Name =
  'Billing_Admin'`` (a PermissionSet's ``Name`` never contains ``__``). The split follows the sf CLI
  (sfdx-core ``permissionSetAssignment.ts``): the regex ``(\\w+(?=__))(__)(.*)``.
- Metadata API full names percent-encode, in UTF-8, every character that is not a letter or digit
  (non-ASCII letters included), a space, ``-`` or ``_``: ``Account-Account %28Marketing%29 Layout``,
  ``Custom%3A Marketing Profile``, ``Broker__c-v1%2E1 Broker Layout``. ``unquote`` reverses it.
- A layout assignment names its layout as ``{Object}-{encoded layout name}`` (a managed layout carries
  its namespace: ``ns__Obj__c-ns__Layout Name``) and its record type as ``{Object}.{DeveloperName}``.
- A profile's fullName is never derived from its name by a table: the provider maps ``Profile.Name``
  to the fullName that ``listMetadata(Profile)`` reports (``profile_full_names``). ``encode_component``
  is only the fallback for a profile that listMetadata does not report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

_NAMESPACE_SPLIT = re.compile(r"(\w+(?=__))(__)(.*)")
_SAFE_PUNCTUATION = frozenset(" -_")


def split_namespace(name: str) -> tuple[str | None, str]:
    """``acme__Billing_Admin`` -> ``("acme", "Billing_Admin")``; ``Sales_Ops`` -> ``(None, "Sales_Ops")``."""
    match = _NAMESPACE_SPLIT.match(name)
    if match is None or not match.group(3):
        return None, name
    return match.group(1), match.group(3)


def join_namespace(namespace: str | None, name: str) -> str:
    """The form users write: ``ns__Name``, or ``Name`` without a namespace."""
    return f"{namespace}__{name}" if namespace else name


def encode_component(name: str) -> str:
    """Percent-encode a component name the way the Metadata API writes it in a fullName."""
    return "".join(char if char.isalnum() or char in _SAFE_PUNCTUATION else _percent(char) for char in name)


def decode_component(name: str) -> str:
    """The inverse of ``encode_component`` (also accepts names that were never encoded)."""
    return unquote(name)


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))


def layout_full_name(object_name: str, layout: str) -> str:
    """``("Account", "Account (Marketing) Layout")`` -> ``Account-Account %28Marketing%29 Layout``.

    ``layout`` is written as users write it; a managed layout's ``ns__`` prefix is letters, digits and
    underscores, which the encoding leaves alone.
    """
    return f"{object_name}-{encode_component(layout)}"


@dataclass(frozen=True)
class LayoutRef:
    """A ``ProfileLayoutAssignment`` decoded: object, layout name as users write it, record type."""

    object: str
    layout: str
    record_type: str = ""


def parse_layout_assignment(layout: str, record_type: str | None) -> LayoutRef:
    """Decode ``layout="Account-Account Layout"``, ``recordType="Account.Enterprise"``.

    Object API names never contain ``-``, so the first ``-`` separates object and layout.
    """
    object_name, _, encoded = layout.partition("-")
    rt_name = ""
    if record_type:
        rt_object, _, rt_name = record_type.partition(".")
        rt_name = rt_name if rt_object else record_type
    return LayoutRef(object_name, decode_component(encoded), rt_name)


def record_type_full_name(object_name: str, record_type: str) -> str:
    """``("Account", "Enterprise")`` -> ``Account.Enterprise``; empty for the master record type. For a
    pseudo-object, the spelling its layout assignments take: ``("CaseClose", "X")`` -> ``Case.X``."""
    return f"{_pseudo(object_name)[1]}.{record_type}" if record_type else ""


#: Pseudo-objects: layouts named after them show another object's records, and their profile layout
#: assignments take that object's record types, spelled ``Case.X`` for CaseClose and ``PersonAccount.X``
#: (Account's person record types) for PersonAccount; User (UserAlt) has none. Public profile files
#: (Salto, sfdx-hardis, CumulusCI fixtures) show ``CaseClose-Close Case Layout`` with ``Case.Default_Case``
#: and ``PersonAccount-Person Account Layout`` with ``PersonAccount.PersonAccount``.
PSEUDO_OBJECTS = {
    "caseclose": ("Case", "Case"),
    "useralt": ("User", "User"),
    "personaccount": ("Account", "PersonAccount"),
}


def _pseudo(object_name: str) -> tuple[str, str]:
    return PSEUDO_OBJECTS.get(object_name.casefold(), (object_name, object_name))


def real_object(object_name: str) -> str:
    """The object whose records (and record types) a layout of ``object_name`` shows: ``Case`` for
    ``CaseClose``, ``object_name`` itself for an ordinary object."""
    return _pseudo(object_name)[0]


def listed_layout_name(full_name: str, namespace: str | None) -> str:
    """A layout fullName from listMetadata, namespace re-added (listMetadata leaves it out)."""
    object_name, _, encoded = full_name.partition("-")
    if namespace and not encoded.startswith(f"{namespace}__"):
        encoded = f"{namespace}__{encoded}"
    return f"{object_name}-{encoded}"


def same_id(left: str, right: str) -> bool:
    """Salesforce ids compare on their first 15 characters (18-character ids add a checksum)."""
    return bool(left) and bool(right) and left[:15] == right[:15]


def profile_full_names(profiles: Mapping[str, str], listed: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map each profile Name to its Metadata API fullName.

    ``profiles`` maps Profile Id -> Name (from SOQL); ``listed`` yields ``(id, fullName)`` pairs from
    ``listMetadata(Profile)``. A profile is matched by Id first, then by its decoded fullName; one
    listMetadata does not report falls back to the encoded Name.
    """
    listed_pairs = list(listed)
    by_id = {record_id[:15]: full_name for record_id, full_name in listed_pairs if record_id}
    by_decoded = {decode_component(full_name).casefold(): full_name for _, full_name in listed_pairs}
    result: dict[str, str] = {}
    for profile_id, name in profiles.items():
        full_name = by_id.get(profile_id[:15]) or by_decoded.get(name.casefold())
        result[name] = full_name or encode_component(name)
    return result
