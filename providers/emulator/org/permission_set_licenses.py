"""Permission set licences (PermissionSetLicense) and who holds them (PermissionSetLicenseAssign).

Seed section ``permission_set_licenses``: ``[{developer_name: "SalesConsoleUser", label?: "Sales
Console User", id?}]``, stored as PermissionSetLicense ``{Id (0PL…), DeveloperName, MasterLabel}``.
Seed section ``permission_set_license_assignments``: ``[{username, license (a developer name), id?}]``,
stored as PermissionSetLicenseAssign ``{Id (2LA…), AssigneeId, PermissionSetLicenseId}``, one row per
(user, licence). A permission set names the licence it requires with ``permission_set_license`` (its
``LicenseId`` is then the 0PL id); it can only be assigned to a user holding that licence
(``rest/assignment_rules.py``). ``load_licenses`` runs before permission sets are built,
``load_assignments`` after users; an unknown licence or user raises ``SeedError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import sections as seed
from .data import OrgData, SeedError

LICENSES = "permission_set_licenses"
ASSIGNMENTS = "permission_set_license_assignments"
LICENSE_TABLE = "PermissionSetLicense"
ASSIGN_TABLE = "PermissionSetLicenseAssign"

LICENSES_SECTION = seed.SeedSection(
    LICENSES,
    "Permission set licences (`PermissionSetLicense`): a permission set naming one as its "
    "`permission_set_license` can only be assigned to users holding it.",
    seed.listing(
        "The permission set licences.",
        seed.entry(
            "A permission set licence.",
            ("developer_name",),
            developer_name=seed.text("Its `DeveloperName` (`SalesConsoleUser`), unique."),
            label=seed.text("Its `MasterLabel`; the developer name when left out."),
            id=seed.text("", live=True),
        ),
    ),
)
ASSIGNMENTS_SECTION = seed.SeedSection(
    ASSIGNMENTS,
    "Which users hold which permission set licence (`PermissionSetLicenseAssign`).",
    seed.listing(
        "The permission set licence assignments.",
        seed.entry(
            "A user holding a permission set licence.",
            ("username", "license"),
            username=seed.text("The `username` of one of `$.users`."),
            license=seed.text("The `developer_name` of one of `$.permission_set_licenses`."),
            id=seed.text("", live=True),
        ),
    ),
)
Mint = Callable[[str, str, Any], str]


def load_licenses(data: OrgData, mint: Mint, document: dict[str, Any]) -> None:
    """Add the PermissionSetLicense rows of the document's ``permission_set_licenses`` section to ``data``."""
    data.tables.setdefault(LICENSE_TABLE, {})
    data.tables.setdefault(ASSIGN_TABLE, {})
    for spec in document.get(LICENSES, []):
        name = str(spec["developer_name"])
        record_id = mint(LICENSE_TABLE, name.casefold(), spec.get("id"))
        data.add(LICENSE_TABLE, {"Id": record_id, "DeveloperName": name, "MasterLabel": spec.get("label") or name})


def license_id(data: OrgData, name: str, where: str) -> str:
    """The Id of the permission set licence ``name``; SeedError naming ``where`` when there is none."""
    for row in data.tables.get(LICENSE_TABLE, {}).values():
        if str(row["DeveloperName"]).casefold() == name.casefold():
            return str(row["Id"])
    raise SeedError(f"{where}: unknown permission set licence {name!r} (declare it under $.{LICENSES})")


def required(data: OrgData, spec: dict[str, Any], name: str) -> str | None:
    """The Id of the permission set licence a ``permission_sets`` entry requires (None: none); SeedError
    when it is unknown or the entry also names a ``user_license``."""
    if not spec.get("permission_set_license"):
        return None
    if spec.get("user_license"):
        raise SeedError(f"permission set {name}: give user_license or permission_set_license, not both")
    return license_id(data, str(spec["permission_set_license"]), f"permission set {name}")


def load_assignments(data: OrgData, mint: Mint, document: dict[str, Any]) -> None:
    """Add the PermissionSetLicenseAssign rows of the ``permission_set_license_assignments`` section."""
    users = {str(u["Username"]).casefold(): str(u["Id"]) for u in data.tables.get("User", {}).values()}
    for index, spec in enumerate(document.get(ASSIGNMENTS, [])):
        where = f"$.{ASSIGNMENTS}[{index}]"
        user_id = users.get(str(spec["username"]).casefold())
        if user_id is None:
            raise SeedError(f"{where}: unknown user {spec['username']!r} (declare it under $.users)")
        licence = license_id(data, str(spec["license"]), where)
        record_id = mint(ASSIGN_TABLE, f"{spec['username']}/{spec['license']}".casefold(), spec.get("id"))
        data.add(ASSIGN_TABLE, {"Id": record_id, "AssigneeId": user_id, "PermissionSetLicenseId": licence})


def license_name(data_tables: dict[str, dict[str, Any]], record_id: str | None) -> str | None:
    """The developer name of the permission set licence ``record_id`` (None when it is not one)."""
    row = data_tables.get(LICENSE_TABLE, {}).get(record_id or "")
    return str(row["DeveloperName"]) if row else None


def to_document(data: OrgData) -> dict[str, list[dict[str, Any]]]:
    """Both sections (left out when the org has no permission set licence)."""
    tables = data.tables
    licences = tables.get(LICENSE_TABLE, {})
    if not licences:
        return {}
    users = {str(u["Id"]): str(u["Username"]) for u in tables.get("User", {}).values()}
    held = [
        {
            "id": row["Id"],
            "username": users.get(str(row["AssigneeId"]), ""),
            "license": licences[row["PermissionSetLicenseId"]]["DeveloperName"],
        }
        for row in tables.get(ASSIGN_TABLE, {}).values()
        if row["PermissionSetLicenseId"] in licences
    ]
    return {
        LICENSES: [
            {"id": r["Id"], "developer_name": r["DeveloperName"], "label": r["MasterLabel"]} for r in licences.values()
        ],
        ASSIGNMENTS: held,
    }
