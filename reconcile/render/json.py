"""The JSON form of a plan, for machines (``reconcile plan --format json``).

Shape::

    {"format_version", "created_at", "config_digest", "state_lineage", "state_serial",
     "orgs": [{"org", "org_id", "org_name", "is_sandbox", "protected", "unchanged", "warnings", "errors",
               "api_calls", "api_remaining",
               "summary": {"create", "update", "delete", "forget", "run", "unchanged", "changes"},
               "changes": [{"address", "action", "symbol", "reason", "before", "after", "details",
                            "fingerprint", "depends_on"}],
               "manual_steps": [{"name", "instructions", "reason"}]}],   # only when a step is pending
     "checksum"}

Addresses are printed as ``kind:key``; ``before``/``after`` are the resources' full JSON form (``kind``
and ``ids`` included) or null; ``checksum`` is the sha256 of the canonical JSON of everything else, so
a consumer can tell the document was not edited. Orgs and changes keep plan order; keys are sorted in
the rendered text, so two renders of one plan are byte-identical.
"""

from __future__ import annotations

import json
from typing import Any

from reconcile.model import Change, Resource, ValueChange, canonical_json, sha256_hex
from reconcile.plan import OrgPlan, Plan


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-safe data (see the module docstring for the shape)."""
    data: dict[str, Any] = {
        "format_version": plan.format_version,
        "created_at": plan.created_at.isoformat(),
        "config_digest": plan.config_digest,
        "state_lineage": plan.state_lineage,
        "state_serial": plan.state_serial,
        "orgs": [_org_data(org) for org in plan.orgs],
    }
    data["checksum"] = sha256_hex(canonical_json(data))
    return data


def render_plan_json(plan: Plan) -> str:
    """``plan_to_data`` as indented JSON with sorted keys and a final newline."""
    return json.dumps(plan_to_data(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _org_data(org: OrgPlan) -> dict[str, Any]:
    summary = org.summary
    steps = {"manual_steps": [step.model_dump(mode="json") for step in org.manual_steps]} if org.manual_steps else {}
    return steps | {
        "org": org.org,
        "org_id": org.org_id,
        "org_name": org.org_name,
        "is_sandbox": org.is_sandbox,
        "protected": org.protected,
        "unchanged": org.unchanged,
        "warnings": list(org.warnings),
        "errors": list(org.errors),
        "api_calls": org.api_calls,
        "api_remaining": org.api_remaining,
        "summary": {**summary.model_dump(mode="json"), "changes": summary.changes},
        "changes": [_change_data(change) for change in org.changes],
    }


def change_summary(change: Change) -> dict[str, Any]:
    """What every JSON output says of a change (plan, drift, diff): address, action and its symbol, the
    reason and the value-level details."""
    return {
        "address": str(change.address),
        "action": change.action.value,
        "symbol": change.action.symbol,
        "reason": change.reason,
        "details": [_detail_data(detail) for detail in change.details],
    }


def _change_data(change: Change) -> dict[str, Any]:
    return {
        **change_summary(change),
        "before": _resource_data(change.before),
        "after": _resource_data(change.after),
        "fingerprint": change.fingerprint,
        "depends_on": [str(address) for address in change.depends_on],
    }


def _resource_data(resource: Resource | None) -> dict[str, Any] | None:
    return resource.model_dump(mode="json") if resource is not None else None


def _detail_data(detail: ValueChange) -> dict[str, Any]:
    return detail.model_dump(mode="json")
