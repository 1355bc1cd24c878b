"""Rendering of what the state records (``reconcile state list`` and ``state show``): text and JSON.

A managed resource is listed as ``ORG::ADDRESS``; its JSON form names the org, the address, the kind and
when it was last applied. The Apex ledger (every recorded run of a configured script: org, script, when,
the sha256 of the body that ran, and whether it succeeded) is listed as ``ORG::apex:NAME  WHEN  ok|failed
sha256 DIGEST``, oldest first per script. Output has no trailing newline (the CLI adds one).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from state.base import ApexRun, StateEntry

#: (org, address, entry), as ``state.base.iter_entries`` yields them.
Row = tuple[str, str, StateEntry]
#: (org, script name, run), one per recorded run.
LedgerRow = tuple[str, str, ApexRun]


def render_entries_text(rows: Sequence[Row]) -> str:
    """One ``ORG::ADDRESS`` line per managed resource."""
    return "\n".join(f"{org}::{address}" for org, address, _entry in rows)


def render_entries_json(rows: Sequence[Row]) -> str:
    """The managed resources as a JSON list of {org, address, kind, applied_at}."""
    return json.dumps(
        [
            {
                "org": org,
                "address": address,
                "kind": entry.kind,
                "applied_at": entry.applied_at.isoformat() if entry.applied_at else None,
            }
            for org, address, entry in rows
        ],
        indent=2,
    )


def render_entry_json(org: str, address: str, entry: StateEntry) -> str:
    """Everything the state records for one resource, as a JSON object."""
    return json.dumps({"org": org, "address": address, **entry.model_dump(mode="json")}, indent=2)


def render_ledger_text(rows: Sequence[LedgerRow]) -> str:
    """One line per recorded Apex run: ``ORG::apex:NAME  WHEN  ok|failed  sha256 DIGEST``."""
    return "\n".join(
        f"{org}::apex:{name}  {run.at.isoformat(timespec='seconds')}  {'ok' if run.success else 'failed':6}  "
        f"sha256 {run.sha256}"
        for org, name, run in rows
    )


def render_ledger_json(rows: Sequence[LedgerRow]) -> str:
    """The Apex ledger as a JSON list of {org, script, at, sha256, success}."""
    return json.dumps(
        [
            {"org": org, "script": name, "at": run.at.isoformat(), "sha256": run.sha256, "success": run.success}
            for org, name, run in rows
        ],
        indent=2,
    )
