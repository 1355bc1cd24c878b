"""Rendering of the fleet views: the drift matrix (text, Markdown, JSON) and an org diff (text, JSON).

Drift, as text: the org × kind matrix ("in sync", "N drifted", "error"), then per org that is not in
sync its errors and each drifted address as the plan shows it (``<symbol> <address>  (<reason>)``) with
where the difference comes from under it, then a total line.
Markdown carries the same in a table and lists. JSON shape::

    {"format_version", "created_at", "kinds",
     "orgs": [{"org", "org_id", "in_sync", "errors", "open_steps",
               "cells": {kind: {"state": "in_sync"|"drifted"|"error", "drifted"}},
               "items": [{"address", "kind", "action", "symbol", "origin", "note", "reason",
                          "applied_at", "details"}]}],
     "summary": {"orgs", "in_sync", "drifted", "errors"}}

A diff reads like a plan of making the target like the source (``+`` only in the source, ``~``
different, ``-`` only in the target) with the plan's value-level detail lines. JSON shape::

    {"format_version", "from", "to", "scope", "kinds", "compared",
     "summary": {"only_in_from", "different", "only_in_to"},
     "differences": [{"address", "action", "symbol", "reason", "from", "to", "details"}]}

Text output is deterministic: a fixed width, no colour, trailing spaces stripped; JSON keys are sorted.
The drift matrix is fitted to that width only for a terminal; otherwise it prints whole, however wide
(``render.tables``).
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from reconcile.fleet.diff import OrgDiff
from reconcile.fleet.drift import DriftItem, DriftReport, OrgDrift
from reconcile.model import Action, Change, Resource
from reconcile.render.json import change_summary
from reconcile.render.tables import print_table
from reconcile.render.text import change_detail_lines, change_headline

FORMAT_VERSION = 1


def _console(buffer: StringIO, width: int) -> Console:
    return Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        markup=False,
        emoji=False,
        _environ={},
    )


def _lines(buffer: StringIO) -> str:
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


# -- drift -------------------------------------------------------------------------------------------


def drift_total_line(report: DriftReport) -> str:
    """``Drift: 1 org in sync, 2 drifted, 1 with errors (3 orgs).``"""
    counts = _summary(report)
    noun = "org" if counts["orgs"] == 1 else "orgs"
    return (
        f"Drift: {counts['in_sync']} in sync, {counts['drifted']} drifted, {counts['errors']} with errors "
        f"({counts['orgs']} {noun})."
    )


def render_drift_text(report: DriftReport, *, width: int = 100, terminal: bool = False) -> str:
    """The drift matrix and its details as plain text, ``width`` columns wide; the matrix is fitted to
    ``width`` when the text goes to a ``terminal``, otherwise printed whole."""
    buffer = StringIO()
    console = _console(buffer, width)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, title="Drift", title_justify="left")
    table.add_column("org")
    for kind in report.kinds:
        table.add_column(kind)
    for org in report.orgs:
        table.add_row(org.org, *(org.cells[kind].text for kind in report.kinds))
    print_table(console, table, terminal=terminal)
    for org in report.orgs:
        if not org.in_sync:
            _print_org_details(console, org)
    console.print()
    console.print(drift_total_line(report), soft_wrap=True)
    for line in open_step_lines(report):
        console.print(line, soft_wrap=True)
    return _lines(buffer)


def _print_org_details(console: Console, org: OrgDrift) -> None:
    console.print()
    console.print(org.org, soft_wrap=True)
    for error in org.errors:
        console.print(f"  error: {error}", soft_wrap=True)
    for item in org.items:
        console.print(f"  {change_headline(item.change)}", soft_wrap=True)
        console.print(f"      {item.note}", soft_wrap=True)


def render_drift_markdown(report: DriftReport) -> str:
    """The drift matrix as a Markdown table, then a list of drifted addresses per org."""
    kinds = [kind for kind in report.kinds]
    lines = ["### Drift", "", "| org | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
    lines += [f"| {org.org} | " + " | ".join(org.cells[k].text for k in report.kinds) + " |" for org in report.orgs]
    for org in (o for o in report.orgs if not o.in_sync):
        lines += ["", f"**{org.org}**", ""]
        lines += [f"- error: {_escape(error)}" for error in org.errors]
        lines += [
            f"- `{item.change.action.symbol} {item.address}`{_reason(item)}: {_escape(item.note)}" for item in org.items
        ]
    lines += ["", drift_total_line(report)]
    lines += [f"- [ ] {_escape(line)}" for line in open_step_lines(report)]
    return "\n".join(lines) + "\n"


def open_step_lines(report: DriftReport) -> list[str]:
    """``Manual steps open in prod: reauthenticate-erp``, one line per org with steps not confirmed."""
    return [f"Manual steps open in {o.org}: {', '.join(o.open_steps)}" for o in report.orgs if o.open_steps]


def _reason(item: DriftItem) -> str:
    return f" ({_escape(item.change.reason)})" if item.change.reason else ""


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def drift_to_data(report: DriftReport) -> dict[str, Any]:
    """The drift report as JSON-safe data (see the module docstring for the shape)."""
    return {
        "format_version": FORMAT_VERSION,
        "created_at": report.created_at.isoformat(),
        "kinds": [kind for kind in report.kinds],
        "orgs": [_org_data(org) for org in report.orgs],
        "summary": _summary(report),
    }


def render_drift_json(report: DriftReport) -> str:
    return json.dumps(drift_to_data(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _summary(report: DriftReport) -> dict[str, int]:
    return {
        "orgs": len(report.orgs),
        "in_sync": sum(1 for org in report.orgs if org.in_sync),
        "drifted": sum(1 for org in report.orgs if org.items),
        "errors": sum(1 for org in report.orgs if org.errors),
    }


def _org_data(org: OrgDrift) -> dict[str, Any]:
    return {
        "org": org.org,
        "org_id": org.org_id,
        "in_sync": org.in_sync,
        "errors": list(org.errors),
        "cells": {kind: {"state": cell.state, "drifted": cell.drifted} for kind, cell in org.cells.items()},
        "items": [_item_data(item) for item in org.items],
        "open_steps": list(org.open_steps),
    }


def _item_data(item: DriftItem) -> dict[str, Any]:
    return {
        **change_summary(item.change),
        "kind": item.address.kind,
        "origin": item.origin,
        "note": item.note,
        "applied_at": item.applied_at.isoformat() if item.applied_at else None,
    }


# -- diff --------------------------------------------------------------------------------------------


def diff_scope_text(diff: OrgDiff) -> str:
    """What a diff compared: the managed keys, or everything readable of some kinds."""
    if diff.scope == "everything":
        return "everything readable of " + ", ".join(kind for kind in diff.kinds)
    return "the keys the configuration manages"


def diff_total_line(diff: OrgDiff) -> str:
    """``Diff: 2 only in dev, 3 different, 1 only in uat.`` or the no-difference sentence."""
    if not diff.has_differences:
        return f"No differences: {diff.target} matches {diff.source} ({diff.compared} compared)."
    counts = _diff_counts(diff)
    return (
        f"Diff: {counts['only_in_from']} only in {diff.source}, {counts['different']} different, "
        f"{counts['only_in_to']} only in {diff.target}."
    )


def render_diff_text(diff: OrgDiff, *, width: int = 100) -> str:
    """The differences as a plan of making the target like the source."""
    buffer = StringIO()
    console = _console(buffer, width)
    console.print(
        f"Diff: what would make {diff.target} like {diff.source} ({diff_scope_text(diff)}; {diff.compared} compared)",
        soft_wrap=True,
    )
    console.print()
    for change in diff.changes:
        console.print(f"  {change_headline(change)}", soft_wrap=True)
        for marker, text in change_detail_lines(change):
            console.print(f"      {marker} {text}", soft_wrap=True)
    if diff.changes:
        console.print()
    console.print(diff_total_line(diff), soft_wrap=True)
    return _lines(buffer)


def _diff_counts(diff: OrgDiff) -> dict[str, int]:
    actions = [change.action for change in diff.changes]
    return {
        "only_in_from": actions.count(Action.CREATE),
        "different": actions.count(Action.UPDATE),
        "only_in_to": actions.count(Action.DELETE),
    }


def diff_to_data(diff: OrgDiff) -> dict[str, Any]:
    """The diff as JSON-safe data (see the module docstring for the shape)."""
    return {
        "format_version": FORMAT_VERSION,
        "from": diff.source,
        "to": diff.target,
        "scope": diff.scope,
        "kinds": [kind for kind in diff.kinds],
        "compared": diff.compared,
        "summary": _diff_counts(diff),
        "differences": [_difference_data(change) for change in diff.changes],
    }


def render_diff_json(diff: OrgDiff) -> str:
    return json.dumps(diff_to_data(diff), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _difference_data(change: Change) -> dict[str, Any]:
    return {**change_summary(change), "from": _resource(change.after), "to": _resource(change.before)}


def _resource(resource: Resource | None) -> dict[str, Any] | None:
    return resource.model_dump(mode="json", exclude={"ids"}) if resource is not None else None
