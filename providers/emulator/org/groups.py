"""Public groups and queues (Group) and their members (GroupMember) in an org document.

Seed section ``groups``: ``[{name: "EMEA_Support", label?: "EMEA Support", type?: "Regular" | "Queue",
members?: ["alice@acme.com", "group:Other_Group"]}]``; ``name`` is the DeveloperName, a member is a
username or ``group:`` and a group's name (groups may nest). An entry may carry ``id``. Stored as
Salesforce names them: Group ``{Id (00G…), Name (the label), DeveloperName, Type}``, GroupMember
``{Id (011…), GroupId, UserOrGroupId}``; one GroupMember per (group, member). An unknown member or a
type other than Regular or Queue raises ``SeedError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import sections as seed
from .data import OrgData, SeedError

SECTION = "groups"

SEED_SECTION = seed.SeedSection(
    SECTION,
    "Public groups and queues (`Group`) and their members (`GroupMember`), for `group_membership`.",
    seed.listing(
        "The groups.",
        seed.entry(
            "A public group or queue.",
            ("name",),
            name=seed.text("Its `DeveloperName`, unique."),
            label=seed.text("Its `Name` (label); the developer name when left out."),
            type=seed.one_of_values("`Type`.", ("Regular", "Queue"), default="Regular"),
            members=seed.listing(
                "Its members: usernames, or `group:NAME` for a nested group.", seed.text("A username or `group:NAME`.")
            ),
            id=seed.text("", live=True),
        ),
    ),
)
TYPES = ("Regular", "Queue")
Mint = Callable[[str, str, Any], str]


def load(data: OrgData, mint: Mint, specs: list[dict[str, Any]]) -> None:
    """Add the Group and GroupMember rows of the ``groups`` section to ``data``."""
    data.tables.setdefault("Group", {})
    data.tables.setdefault("GroupMember", {})
    by_name: dict[str, str] = {}
    for spec in specs:
        name = str(spec.get("name") or "")
        kind = str(spec.get("type") or "Regular")
        if not name or kind not in TYPES:
            raise SeedError(f"{SECTION}: a group needs a name and a type in {', '.join(TYPES)}: {spec!r}")
        group_id = mint("Group", name, spec.get("id"))
        data.add("Group", {"Id": group_id, "Name": spec.get("label") or name, "DeveloperName": name, "Type": kind})
        by_name[name.casefold()] = group_id
    users = {str(u["Username"]).casefold(): str(u["Id"]) for u in data.tables.get("User", {}).values()}
    for spec in specs:
        group_id = by_name[str(spec["name"]).casefold()]
        for member in spec.get("members") or []:
            text = str(member)
            target = by_name.get(text[6:].casefold()) if text.startswith("group:") else users.get(text.casefold())
            if target is None:
                raise SeedError(f"{SECTION}: {spec['name']} names an unknown member {text!r}")
            member_id = mint("GroupMember", f"{spec['name']}/{text}", None)
            data.add("GroupMember", {"Id": member_id, "GroupId": group_id, "UserOrGroupId": target})


def to_document(data: OrgData) -> list[dict[str, Any]]:
    """The ``groups`` section, members as usernames and ``group:`` names."""
    tables = data.tables
    groups = tables.get("Group", {})
    users = {str(u["Id"]): str(u["Username"]) for u in tables.get("User", {}).values()}
    section = []
    for group in groups.values():
        members = []
        for row in tables.get("GroupMember", {}).values():
            if row["GroupId"] != group["Id"]:
                continue
            other = groups.get(row["UserOrGroupId"])
            members.append(f"group:{other['DeveloperName']}" if other else users.get(row["UserOrGroupId"], ""))
        entry = {"id": group["Id"], "name": group["DeveloperName"], "label": group["Name"], "type": group["Type"]}
        section.append({**entry, "members": [m for m in members if m]})
    return section
