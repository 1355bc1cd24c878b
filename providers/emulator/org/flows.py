"""Flows in an org document: FlowDefinition rows, their Flow versions, and activating a version.

Seed section ``flows``: ``[{name, namespace?, label?, description?, process_type?, versions: [{number, status}],
active_version?}]`` where ``status`` is ``Active``, ``Draft``, ``Obsolete`` or ``InvalidDraft`` and
``active_version`` (a version number; 0 or absent: none, unless one version says ``Active``) names the
active version. An entry may carry ``id`` and each version ``id`` (the live org file keeps them).

Stored shapes, as the Tooling API names them (``tooling_api_objects_flowdefinition.htm``, ``…_flow.htm``):
- FlowDefinition: Id (300…), DeveloperName (no namespace), NamespacePrefix, MasterLabel, Description,
  ActiveVersionId (null when inactive), LatestVersionId (the highest VersionNumber), ManageableState.
- Flow: Id (301…), DefinitionId, VersionNumber, Status, MasterLabel, ProcessType.

Activation (``activate``) follows what Salesforce reports after ``PATCH tooling/sobjects/FlowDefinition/{Id}``
with ``{"Metadata": {"activeVersionNumber": N}}``: version N becomes ``Active``, the version active before
becomes ``Obsolete``; N = 0 leaves no version active. The error codes for a version that does not exist
or cannot be activated (a draft) are not public: ``FIELD_INTEGRITY_EXCEPTION`` is our choice; the wording
"Invalid version number: N" is the one Salesforce's deploys report (gearset.com, flows and flow definitions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import OrgData, Record, SeedError
from .naming import join_namespace
from .sections import SeedSection, entry, listing, one_of_values, text
from .sections import number as whole_number

Mint = Callable[[str, str, Any], str]
Raise = Callable[[str, list[str]], Exception]

STATUSES = ("Active", "Draft", "Obsolete", "InvalidDraft")
ACTIVATABLE = ("Active", "Obsolete")


def load(data: OrgData, mint: Mint, specs: list[dict[str, Any]]) -> None:
    """Add the FlowDefinition and Flow rows of the ``flows`` seed section to ``data``."""
    data.tables.setdefault("FlowDefinition", {})
    data.tables.setdefault("Flow", {})
    for spec in specs:
        _load_one(data, mint, spec)


def _load_one(data: OrgData, mint: Mint, spec: dict[str, Any]) -> None:
    name = spec.get("name")
    if not name:
        raise SeedError(f"a flow entry has no 'name': {spec!r}")
    namespace = spec.get("namespace") or None
    full = join_namespace(namespace, str(name))
    definition_id = mint("FlowDefinition", full, spec.get("id"))
    label = spec.get("label") or str(name).replace("_", " ")
    versions = _versions(full, spec)
    by_number: dict[int, str] = {}
    for number, status, given in versions:
        version_id = mint("Flow", f"{full}-{number}", given)
        by_number[number] = version_id
        data.add(
            "Flow",
            {
                "Id": version_id,
                "DefinitionId": definition_id,
                "VersionNumber": number,
                "Status": status,
                "MasterLabel": label,
                "ProcessType": spec.get("process_type") or "AutoLaunchedFlow",
            },
        )
    active = next((number for number, status, _ in versions if status == "Active"), None)
    data.add(
        "FlowDefinition",
        {
            "Id": definition_id,
            "DeveloperName": str(name),
            "NamespacePrefix": namespace,
            "MasterLabel": label,
            "Description": spec.get("description"),
            "ActiveVersionId": by_number[active] if active is not None else None,
            "LatestVersionId": by_number[max(by_number)] if by_number else None,
            "ManageableState": "installed" if namespace else "unmanaged",
        },
    )


def _versions(full: str, spec: dict[str, Any]) -> list[tuple[int, str, Any]]:
    """``(number, status, id)`` of each version, with ``active_version`` (when set) the one Active."""
    wanted = spec.get("active_version") or 0
    versions: list[tuple[int, str, Any]] = []
    for item in spec.get("versions", []):
        number, status = item.get("number"), item.get("status", "Draft")
        if type(number) is not int or number < 1 or status not in STATUSES:
            raise SeedError(f"flow {full}: a version needs a number >= 1 and a status in {STATUSES}: {item!r}")
        if wanted and status == "Active" and number != wanted:
            status = "Obsolete"
        versions.append((number, "Active" if number == wanted else status, item.get("id")))
    numbers = [number for number, _, _ in versions]
    if len(set(numbers)) != len(numbers):
        raise SeedError(f"flow {full}: a version number is listed twice")
    if wanted and wanted not in numbers:
        raise SeedError(f"flow {full}: active_version {wanted} is not one of its versions")
    if sum(1 for _, status, _ in versions if status == "Active") > 1:
        raise SeedError(f"flow {full}: more than one version is Active")
    return sorted(versions)


def to_document(data: OrgData) -> list[dict[str, Any]]:
    """The ``flows`` section of the live org document (every id kept)."""
    flows = data.tables.get("Flow", {})
    section = []
    for definition in data.tables.get("FlowDefinition", {}).values():
        versions = sorted(
            (v for v in flows.values() if v["DefinitionId"] == definition["Id"]), key=lambda v: v["VersionNumber"]
        )
        active = flows.get(definition["ActiveVersionId"] or "")
        section.append(
            {
                "id": definition["Id"],
                "name": definition["DeveloperName"],
                "namespace": definition["NamespacePrefix"],
                "label": definition["MasterLabel"],
                "description": definition["Description"],
                "process_type": versions[0]["ProcessType"] if versions else None,
                "versions": [{"id": v["Id"], "number": v["VersionNumber"], "status": v["Status"]} for v in versions],
                "active_version": active["VersionNumber"] if active else 0,
            }
        )
    return section


def tooling_view(data: OrgData, row: Mapping[str, Any]) -> Record:
    """A FlowDefinition as Tooling shows it: ``FullName`` (``ns__Name``) and ``Metadata``
    (``activeVersionNumber`` 0 when no version is active, as a FlowDefinition file says it)."""
    active = data.tables.get("Flow", {}).get(row["ActiveVersionId"] or "")
    metadata = {
        "activeVersionNumber": active["VersionNumber"] if active else 0,
        "description": row["Description"],
        "masterLabel": row["MasterLabel"],
    }
    return {**row, "FullName": join_namespace(row["NamespacePrefix"], row["DeveloperName"]), "Metadata": metadata}


#: One write to make: (object, Id, fields).
Write = tuple[str, str, dict[str, Any]]


def activate(data: OrgData, definition: Record, metadata: dict[str, Any], fail: Raise) -> list[Write]:
    """The writes a PATCH of ``metadata`` on ``definition`` makes (see the module docstring);
    ``fail(message, fields)`` builds the error raised for a version that cannot be made active."""
    updates: dict[str, Any] = {}
    if "masterLabel" in metadata:
        updates["MasterLabel"] = metadata["masterLabel"]
    if "description" in metadata:
        updates["Description"] = metadata["description"]
    if "activeVersionNumber" not in metadata:
        return [("FlowDefinition", definition["Id"], updates)]
    number = metadata["activeVersionNumber"] or 0
    if type(number) is not int or number < 0:
        raise fail(f"Invalid version number: {number}", ["activeVersionNumber"])
    versions = {v["VersionNumber"]: v for v in data.tables["Flow"].values() if v["DefinitionId"] == definition["Id"]}
    target = versions.get(number) if number else None
    if number and target is None:
        raise fail(f"Invalid version number: {number}", ["activeVersionNumber"])
    if target is not None and target["Status"] not in ACTIVATABLE:
        raise fail(f"Version {number} of this flow is a draft and can't be activated.", ["activeVersionNumber"])
    writes: list[Write] = [
        ("Flow", v["Id"], {"Status": "Obsolete"})
        for v in versions.values()
        if v["Status"] == "Active" and v is not target
    ]
    if target is not None:
        writes.append(("Flow", target["Id"], {"Status": "Active"}))
    updates["ActiveVersionId"] = target["Id"] if target is not None else None
    return [*writes, ("FlowDefinition", definition["Id"], updates)]


SEED_SECTION = SeedSection(
    "flows",
    "Flows (`flow:NAME` in the configuration): each `FlowDefinition` with its `Flow` versions.",
    listing(
        "The flows.",
        entry(
            "A flow.",
            ("name",),
            name=text("The flow's developer name, without namespace."),
            namespace=text("The namespace of a managed flow."),
            label=text("Its label; the name with `_` as spaces when left out."),
            description=text("A description."),
            process_type=text("`ProcessType` of its versions.", default="AutoLaunchedFlow"),
            versions=listing(
                "Its versions.",
                entry(
                    "A version.",
                    ("number",),
                    number=whole_number("The version number (1, 2, ...).", minimum=1),
                    status=one_of_values(
                        "The version's status.", ("Active", "Draft", "Obsolete", "InvalidDraft"), default="Draft"
                    ),
                    id=text("", live=True),
                ),
            ),
            active_version=whole_number(
                "The active version's number; 0 for none (unless a version says `Active`).", minimum=0
            ),
            id=text("", live=True),
        ),
    ),
)
