"""The orgs the Salesforce CLI holds a login for (``sf org list``), for ``reconcile init``.

``sf org list --skip-connection-status --json`` prints ``{"status": 0, "result": {...},
"warnings": [...]}`` where ``result`` holds lists of orgs by category: ``devHubs``, ``sandboxes``,
``other``, ``scratchOrgs``, and ``nonScratchOrgs`` (kept for compatibility: it repeats the first three).
Each org has ``username``, ``orgId``, ``instanceUrl`` and, when one was set, ``alias``; ``isSandbox``,
``isScratch``, ``isDevHub`` and, for scratch orgs, ``isExpired`` are present in current versions. An org
appears in several lists; it is listed once here, by username.

``list_sf_orgs`` never fails: ``sf`` missing, failing, slow or printing something else all mean "no orgs
to offer" (None when ``sf`` is not installed, so the caller can say so).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 60
#: Only aliases are needed: skipping the connection check saves a call to every org.
COMMAND = ("org", "list", "--skip-connection-status", "--json")
_CATEGORIES = ("nonScratchOrgs", "devHubs", "sandboxes", "other", "regularOrgs", "scratchOrgs")


@dataclass(frozen=True)
class SfOrg:
    """One org the CLI is logged in to: its alias, username, and whether it is a sandbox or scratch org."""

    alias: str
    username: str
    is_sandbox: bool = False
    is_scratch: bool = False

    @property
    def is_production(self) -> bool:
        return not (self.is_sandbox or self.is_scratch)


def list_sf_orgs() -> list[SfOrg] | None:
    """The aliased, usable orgs ``sf org list`` shows (expired scratch orgs left out), in its order;
    None when ``sf`` is not on PATH."""
    executable = shutil.which("sf")
    if executable is None:
        return None
    try:
        proc = subprocess.run(
            [executable, *COMMAND],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        document = json.loads(proc.stdout or "{}")
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    result = document.get("result") if isinstance(document, dict) else None
    return parse_org_list(result) if isinstance(result, dict) else []


def parse_org_list(result: dict[str, Any]) -> list[SfOrg]:
    """The orgs of an ``sf org list --json`` ``result`` (see the module docstring)."""
    orgs: dict[str, SfOrg] = {}
    for category in _CATEGORIES:
        entries = result.get(category)
        for entry in entries if isinstance(entries, list) else []:
            org = _org(entry, category)
            if org is not None and org.username not in orgs:
                orgs[org.username] = org
    return list(orgs.values())


def _org(entry: Any, category: str) -> SfOrg | None:
    if not isinstance(entry, dict) or entry.get("isExpired") is True:
        return None
    alias, username = entry.get("alias"), entry.get("username")
    if not isinstance(alias, str) or not alias or not isinstance(username, str):
        return None
    return SfOrg(
        alias=alias,
        username=username,
        is_sandbox=entry.get("isSandbox") is True or category == "sandboxes",
        is_scratch=entry.get("isScratch") is True or category == "scratchOrgs",
    )
