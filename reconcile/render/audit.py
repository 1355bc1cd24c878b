"""The audit trail of a run in words, for ``history show`` and the change reports.

``audit_facts`` says where a run came from: who ran it and on which machine, the git commit of the
configuration (and whether it had uncommitted changes), the CI job and pull request, the config digest
and the plan checksum; nothing for a run journaled before these were recorded.

``value_lines`` turns the ``before``/``after``/``details`` the journal holds for a change (the JSON
plan's form) into short lines:

- a change with value-level details (picklist values) lists them, prefixed by the field or value set:
  ``Tier__c: +Bronze``, ``Tier__c: -Platinum``, ``Tier__c: Silver label "Silver (old)" → "Silver"``,
  ``Tier__c: default Gold → Silver``;
- otherwise every attribute that differs: ``active: false → true``, ``layout: Account Layout →
  Account Enterprise Layout``; a create lists what it sets (``username: bob@acme.com``), a delete what it
  removes (``username: carol@acme.com (removed)``).

The resource's ``kind`` and Salesforce ``ids`` are bookkeeping, not values, and are left out. The lines
depend on the journal record only, so no kind module is needed to read an old history.
"""

from __future__ import annotations

import json
from typing import Any

from reconcile.history import ChangeEntry, Run
from reconcile.model import ValueChange

#: Keys of a resource's JSON form that are not values a person changed.
_BOOKKEEPING = frozenset({"kind", "ids"})
#: Keys of a picklist resource that configure how it is written, not what the org holds.
_SET_SETTINGS = frozenset({"values", "mode", "sorted", "target"})


def audit_facts(run: Run) -> list[tuple[str, str]]:
    """(name, value) pairs of the run's provenance, in a fixed order; empty values are left out."""
    audit = run.audit
    if audit is None:
        return []
    commit = audit.git_commit + (" (with uncommitted changes)" if audit.git_dirty else "")
    facts = [
        ("Ran on", f"{run.user}@{run.host}" if audit.by else ""),
        ("Commit", commit),
        ("CI job", audit.job_url),
        ("Pull request", audit.pr_url),
        ("Config digest", audit.config_digest),
        ("Plan checksum", audit.plan_checksum),
    ]
    return [(name, value) for name, value in facts if value]


def value_lines(change: ChangeEntry) -> list[str]:
    """The value-level lines of ``change`` (empty when the journal holds no values for it)."""
    values = change.values
    if values is None:
        return []
    if values.details:
        owner = _owner(change.address)
        return [f"{owner}: {_detail(detail)}" for detail in values.details]
    before, after = values.before, values.after
    if before is None and after is None:
        return []
    if before is None:
        return [f"{key}: {_show(value)}" for key, value in _attributes(after) if _set(value)]
    if after is None:
        return [f"{key}: {_show(value)} (removed)" for key, value in _attributes(before) if _set(value)]
    lines = []
    for key in sorted((set(before) | set(after)) - _BOOKKEEPING):
        if key in _SET_SETTINGS and "values" in before:
            continue
        old, new = before.get(key), after.get(key)
        if old != new:
            lines.append(f"{key}: {_show(old)} → {_show(new)}")
    return lines


def _owner(address: str) -> str:
    """The field or value set an address names: ``picklist:Account.Tier__c`` → ``Tier__c``."""
    key = address.split(":", 1)[1] if ":" in address else address
    return key.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


def _detail(detail: ValueChange) -> str:
    name = detail.value
    if detail.change == "add":
        label = f' ("{detail.after}")' if detail.after and detail.after != name else ""
        return f"+{name}{label}"
    if detail.change == "deactivate":
        return f"-{name}"
    if detail.change == "reactivate":
        return f"+{name} (reactivated)"
    if detail.change == "relabel":
        return f'{name} label "{detail.before or ""}" → "{detail.after or ""}"'
    if detail.change == "default":
        return f"default {detail.before} → {name}" if detail.before else f"default → {name}"
    return f"{name} no longer default"


def _attributes(resource: dict[str, Any] | None) -> list[tuple[str, Any]]:
    return sorted((key, value) for key, value in (resource or {}).items() if key not in _BOOKKEEPING)


def _set(value: Any) -> bool:
    return value not in (None, "", [], {})


def _show(value: Any) -> str:
    """A value as a person reads it: text as it is, anything else as compact JSON (``false``, ``null``)."""
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
