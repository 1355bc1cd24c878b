"""Which record types each profile sees (Profile ``recordTypeVisibilities``), and its default per object.

Seed section ``record_type_visibilities``: ``[{profile: "Sales User", record_type: "Account.Enterprise",
visible: true, default?: false}]``. A (profile, record type) pair the section does not name is not
visible and not the default. Stored on each Profile row as ``_record_type_visibilities``: ``{record type
fullName (casefolded): {"record_type": fullName, "visible": bool, "default": bool}}``; the live org file
writes the pairs that are visible or default. An unknown profile or record type raises ``SeedError``.

``set_visibility`` is what a Profile deploy does with one ``ProfileRecordTypeVisibility``: the pair is
overlaid (pairs not sent are kept); a new default clears the profile's other default for that object. A
default that is not visible is refused (Setup refuses it too; the wording and code here are ours).
"""

from __future__ import annotations

from typing import Any

from . import sections as seed
from .data import OrgData, Record, SeedError

SECTION = "record_type_visibilities"

SEED_SECTION = seed.SeedSection(
    SECTION,
    "Which record types each profile sees, and its default per object (Profile "
    "`recordTypeVisibilities`). A pair not named is neither visible nor the default.",
    seed.listing(
        "The (profile, record type) pairs.",
        seed.entry(
            "One profile's view of one record type.",
            ("profile", "record_type"),
            profile=seed.text("The `name` of one of `$.profiles`."),
            record_type=seed.text("`Object.DeveloperName` of a record type."),
            visible=seed.flag("Whether the profile sees it.", default=False),
            default=seed.flag(
                "Whether it is the profile's default for the object (it must be visible).", default=False
            ),
        ),
    ),
)
KEY = "_record_type_visibilities"


def _full_name(record_type: Record) -> str:
    prefix = f"{record_type['NamespacePrefix']}__" if record_type.get("NamespacePrefix") else ""
    return f"{record_type['SobjectType']}.{prefix}{record_type['DeveloperName']}"


def load(data: OrgData, specs: list[dict[str, Any]]) -> None:
    """Give Profile rows the visibilities of the ``record_type_visibilities`` section."""
    profiles = {str(p["Name"]).casefold(): p for p in data.tables.get("Profile", {}).values()}
    record_types = {_full_name(rt).casefold(): rt for rt in data.tables.get("RecordType", {}).values()}
    for spec in specs:
        profile = profiles.get(str(spec.get("profile") or "").casefold())
        record_type = record_types.get(str(spec.get("record_type") or "").casefold())
        if profile is None or record_type is None:
            raise SeedError(f"{SECTION}: unknown profile or record type in {spec!r}")
        error = set_visibility(
            data.tables, profile, record_type, bool(spec.get("visible", True)), bool(spec.get("default"))
        )
        if error:
            raise SeedError(f"{SECTION}: {error}")


def visibilities(tables: dict[str, dict[str, Record]], profile: Record) -> list[tuple[str, bool, bool]]:
    """``(record type fullName, visible, default)`` for every record type of the org, sorted."""
    stored: dict[str, dict[str, Any]] = profile.get(KEY) or {}
    rows = []
    for record_type in tables.get("RecordType", {}).values():
        name = _full_name(record_type)
        pair = stored.get(name.casefold()) or {}
        rows.append((name, bool(pair.get("visible")), bool(pair.get("default"))))
    return sorted(rows, key=lambda row: row[0].casefold())


def set_visibility(
    tables: dict[str, dict[str, Record]], profile: Record, record_type: Record, visible: bool, default: bool
) -> str:
    """Overlay one pair on the profile row (see the module docstring); an error message, or ""."""
    if default and not visible:
        return f"{_full_name(record_type)} cannot be the default of {profile['Name']} without being visible"
    stored = {k: dict(v) for k, v in (profile.get(KEY) or {}).items()}
    if default:
        prefix = f"{record_type['SobjectType']}.".casefold()
        for key, pair in stored.items():
            if key.startswith(prefix):
                pair["default"] = False
    stored[_full_name(record_type).casefold()] = {
        "record_type": _full_name(record_type),
        "visible": visible,
        "default": default,
    }
    profile[KEY] = stored
    return ""


def to_document(data: OrgData) -> list[dict[str, Any]]:
    """The ``record_type_visibilities`` section: every pair that is visible or a default."""
    section = []
    for profile in data.tables.get("Profile", {}).values():
        for pair in (profile.get(KEY) or {}).values():
            if pair.get("visible") or pair.get("default"):
                section.append(
                    {
                        "profile": profile["Name"],
                        "record_type": pair["record_type"],
                        "visible": bool(pair.get("visible")),
                        "default": bool(pair.get("default")),
                    }
                )
    return section
