"""Rendering of what the state records (``reconcile state list`` and ``state show``): text and JSON.

A managed resource is listed as ``ORG::ADDRESS``; its JSON form names the org, the address, the kind and
when it was last applied. Output has no trailing newline (the CLI adds one).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from state.base import StateEntry

#: (org, address, entry), as ``state.base.iter_entries`` yields them.
Row = tuple[str, str, StateEntry]


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
