"""Pseudo-objects: page layouts that belong to a real object's records but carry another object's name.

Salesforce keeps three such layouts, named in a profile's ``layoutAssignments`` by the pseudo-object
(public profile files in Salto, sfdx-hardis and CumulusCI fixtures show these spellings):

- ``CaseClose`` (the Close Case page) is Case's: ``CaseClose-Close Case Layout`` with the record types of
  Case, spelled ``Case.Default_Case``.
- ``UserAlt`` (the user profile page) is User's: ``UserAlt-User Profile Layout``; User has no record types.
- ``PersonAccount`` is Account's person records: ``PersonAccount-Person Account Layout`` with Account's
  person record types (``IsPersonType``), spelled ``PersonAccount.PersonAccount``. A business record type
  is spelled ``Account.X`` and goes with ``Account`` layouts.

Contract: ``real_object(name)`` is the object whose records a layout of ``name`` shows (``name`` itself
for an ordinary object); ``record_type_owner(name)`` is the prefix of the record type fullNames its
assignments take; ``record_type_prefix(row)`` is how a RecordType row's fullName begins;
``pseudo_layout_object`` checks a seed ``pseudo_layouts`` entry (``PSEUDO_LAYOUTS``, its schema). A
pseudo-object's layouts and assignments carry its name as ``TableEnumOrId`` (UNCONFIRMED: no public
Tooling answer shows it).
"""

from __future__ import annotations

from typing import Any

from .data import SeedError
from .sections import entry, listing, one_of_values, text

#: Pseudo-object -> (real object, record type fullName prefix).
PSEUDO_OBJECTS = {
    "CaseClose": ("Case", "Case"),
    "UserAlt": ("User", "User"),
    "PersonAccount": ("Account", "PersonAccount"),
}
#: The ``pseudo_layouts`` key of a seed ``objects`` entry.
PSEUDO_LAYOUTS = listing(
    "Layouts of its pseudo-objects (`CaseClose` on Case, `UserAlt` on User, `PersonAccount` on "
    "Account), named `CaseClose-Close Case Layout` in profiles; they take this object's record "
    "types (PersonAccount: the `person` ones).",
    entry(
        "A pseudo-object layout.",
        ("object", "name"),
        object=one_of_values("The pseudo-object.", ("CaseClose", "UserAlt", "PersonAccount")),
        name=text("The layout's name (`Close Case Layout`)."),
        id=text("", live=True),
    ),
)
_BY_FOLDED = {name.casefold(): (name, *rule) for name, rule in PSEUDO_OBJECTS.items()}


def pseudo_object(name: str) -> str | None:
    """The canonical spelling of ``name`` when it is a pseudo-object."""
    found = _BY_FOLDED.get(name.casefold())
    return found[0] if found else None


def real_object(name: str) -> str:
    found = _BY_FOLDED.get(name.casefold())
    return found[1] if found else name


def record_type_owner(name: str) -> str:
    found = _BY_FOLDED.get(name.casefold())
    return found[2] if found else name


def record_type_prefix(record_type: dict[str, Any]) -> str:
    """``PersonAccount`` for a person record type of Account, else the row's ``SobjectType``."""
    return "PersonAccount" if record_type.get("IsPersonType") else str(record_type["SobjectType"])


def pseudo_layout_object(real: str, spec: dict[str, Any]) -> str:
    """The pseudo-object of a seed ``pseudo_layouts`` entry of object ``real``; SeedError unless it is one
    of ``real``'s pseudo-objects."""
    name = pseudo_object(str(spec.get("object") or ""))
    if name is None or real_object(name) != real:
        mine = [p for p, (owner, _) in PSEUDO_OBJECTS.items() if owner == real]
        raise SeedError(
            f"object {real}: pseudo_layouts entry {spec!r} names no pseudo-object of {real} "
            f"({', '.join(mine) or 'it has none'})"
        )
    return name
