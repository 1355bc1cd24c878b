"""Anonymised snapshots: every user's username, names and alias replaced, the same way everywhere.

``anonymize_users(document, suffix)`` numbers the users in the order of their usernames (casefolded) and
gives user N the username ``userN@example.invalid`` (``userN@example.invalid.uat`` when the username
ends with the org's ``username_suffix`` ``.uat``, so a configuration that appends the suffix still
matches), first name ``User``, last name ``N`` and alias ``userN``. Every reference to a username in the
document (``permission_set_assignments``, ``groups`` members, the ``user:`` owners of custom setting rows)
is rewritten with the same map, and the map is returned so a
configuration can be rewritten too (``reconcile emulator snapshot --anonymize`` writes it beside the
seed; it holds the real usernames and belongs with the org's secrets, not in the repository).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

DOMAIN = "example.invalid"


@dataclass(frozen=True)
class Anonymized:
    """The rewritten document and the map from each real username to its replacement."""

    document: dict[str, Any]
    usernames: dict[str, str]


def anonymize_users(document: dict[str, Any], suffix: str = "") -> Anonymized:
    """``document`` with users anonymised (see the module docstring); the input is not changed."""
    result = copy.deepcopy(document)
    users = sorted(result.get("users", []), key=lambda u: str(u["username"]).casefold())
    width = len(str(len(users)))
    usernames: dict[str, str] = {}
    for number, user in enumerate(users, start=1):
        real = str(user["username"])
        local = f"user{number:0{width}d}"
        keep = suffix and real.casefold().endswith(suffix.casefold()) and len(real) > len(suffix)
        usernames[real] = f"{local}@{DOMAIN}{real[-len(suffix) :] if keep else ''}"
        user.update({"username": usernames[real], "first_name": "User", "last_name": str(number), "alias": local})
    by_key = {real.casefold(): new for real, new in usernames.items()}
    for entry in result.get("permission_set_assignments", []):
        entry["username"] = by_key.get(str(entry["username"]).casefold(), entry["username"])
    for group in result.get("groups", []):
        group["members"] = [by_key.get(str(m).casefold(), m) for m in group.get("members", [])]
    for obj in result.get("objects", []):
        for record in obj.get("records", []) if obj.get("custom_setting") == "hierarchy" else []:
            kind, _, name = str(record.get("owner", "")).partition(":")
            if kind == "user":
                record["owner"] = f"user:{by_key.get(name.casefold(), name)}"
    return Anonymized(result, usernames)
