"""The terminal form of a plan, drawn with rich.

Layout, top to bottom: a header (when, config digest, state lineage and serial), the per-org summary
table, then per org its errors and warnings and its changes in plan order, each as
``  <symbol> <address>  (<reason>)`` with value-level detail indented under it, then every delete of
the plan listed again, and a one-line total.

Output is deterministic: the console writes to a buffer at a fixed width, ignores the caller's
environment (``NO_COLOR``, ``COLUMNS``, ``TERM``), never highlights or interprets markup, and trailing
spaces are stripped. With ``color=False`` it holds no escape codes. The summary table is fitted to that
width only for a terminal; otherwise it prints whole, however wide (``render.tables``).

The plain pieces (``plan_total_line``, ``change_headline``, ``change_detail_lines``) are shared with
the Markdown renderer so both say the same thing in the same words.
"""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reconcile import kinds
from reconcile.kinds.base import DetailLine, value_added
from reconcile.model import Action, Change, ValueChange
from reconcile.plan import OrgPlan, Plan, Summary
from reconcile.render.tables import print_table
from reconcile.render.verify import checklist_lines

ACTION_STYLES: dict[Action, str] = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.DELETE: "red",
    Action.FORGET: "magenta",
    Action.RUN: "cyan",
}
_DETAIL_STYLES: dict[str, str] = {"+": "green", "-": "red", "~": "yellow", " ": ""}

#: One line of detail under a change: a one-character marker (``+ - ~`` or space) and its text.


def render_plan_text(plan: Plan, *, width: int = 100, color: bool = False, terminal: bool = False) -> str:
    """The plan as terminal text, ``width`` columns wide; ANSI colours only when ``color`` is true. The
    summary table is fitted to ``width`` when the text goes to a ``terminal``, otherwise printed whole."""
    buffer = StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
        _environ={},  # the caller's NO_COLOR/COLUMNS/TERM must not change the output
    )
    _print_header(console, plan)
    print_table(console, summary_table(plan), terminal=terminal)
    for org in plan.orgs:
        _print_org(console, org)
    _print_deletes(console, plan)
    console.print(Text(plan_total_line(plan), style="bold"), soft_wrap=True)
    for line in manual_step_lines(plan):
        console.print(Text(line), soft_wrap=True)
    for line in errors_line(plan):
        console.print(Text(line, style="bold red"), soft_wrap=True)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def manual_step_lines(plan: Plan) -> list[str]:
    """The manual steps pending per org, as a checklist (none when every step is confirmed)."""
    lines: list[str] = []
    for org in plan.orgs:
        if org.manual_steps:
            lines += [f"Manual steps pending in {org.org}:", *checklist_lines(org.org, org.manual_steps)]
    return lines


def plan_total_line(plan: Plan) -> str:
    """``Plan: 3 to create, 1 to update, ... across 2 orgs.``, or what "no changes" means: that every org
    was read and matches, or that nothing could be checked (no org selected, orgs that failed)."""
    failed = [org.org for org in plan.orgs if org.errors]
    if not plan.orgs:
        return "Nothing was planned: no org is selected."
    if not plan.has_changes and not failed:
        return "No changes. Your orgs match the configuration."
    if not plan.has_changes:
        checked = len(plan.orgs) - len(failed)
        could_not = f"{_count_orgs(len(failed))} could not be planned ({', '.join(failed)})"
        if not checked:
            return f"Nothing was checked: {could_not}."
        return f"No changes in the {_count_orgs(checked)} that could be planned; {could_not}."
    total = total_summary(plan)
    parts = [
        f"{total.create} to create",
        f"{total.update} to update",
        f"{total.delete} to delete",
        f"{total.forget} to forget",
        f"{total.run} to run",
    ]
    orgs = len(plan.orgs)
    return f"Plan: {', '.join(parts)}, across {orgs} org{'' if orgs == 1 else 's'}."


def _count_orgs(count: int) -> str:
    return f"{count} org{'' if count == 1 else 's'}"


def errors_line(plan: Plan) -> list[str]:
    """One sentence naming the orgs that must not be applied, or nothing when no org has errors."""
    failed = [org.org for org in plan.orgs if org.errors]
    if not failed:
        return []
    verb = "has errors and" if len(failed) == 1 else "have errors and"
    return [f"{', '.join(failed)} {verb} must not be applied until the errors above are fixed."]


def total_summary(plan: Plan) -> Summary:
    """The per-org summaries added up."""
    summaries = [org.summary for org in plan.orgs]
    return Summary(
        create=sum(s.create for s in summaries),
        update=sum(s.update for s in summaries),
        delete=sum(s.delete for s in summaries),
        forget=sum(s.forget for s in summaries),
        run=sum(s.run for s in summaries),
        unchanged=sum(s.unchanged for s in summaries),
    )


def summary_table(plan: Plan) -> Table:
    """The per-org counts, one row per org, and a total footer when there are several orgs."""
    several = len(plan.orgs) > 1
    total = _counts(total_summary(plan), sum(len(org.errors) for org in plan.orgs))
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False, collapse_padding=True, show_footer=several)
    table.add_column("org", footer="total", no_wrap=True)
    table.add_column("org id", no_wrap=True)
    table.add_column("sandbox")
    headers = ("+ create", "~ update", "- delete", "forget", "> run", "unchanged", "errors")
    for header, footer in zip(headers, total, strict=True):
        table.add_column(header, footer=footer, justify="right")
    for org in plan.orgs:
        style = "red" if org.errors else ""
        sandbox = "?" if org.is_sandbox is None else "yes" if org.is_sandbox else "no"
        table.add_row(org.org, org.org_id, sandbox, *_counts(org.summary, len(org.errors)), style=style)
    return table


def _counts(summary: Summary, errors: int) -> list[str]:
    numbers = (summary.create, summary.update, summary.delete, summary.forget, summary.run)
    return [*(str(n) for n in numbers), str(summary.unchanged), str(errors)]


def change_headline(change: Change, symbol: str = "") -> str:
    """``<symbol> <address>  (<reason>)``; the reason part is left out when empty. ``symbol`` is the
    action's own (``Action.symbol``) unless another is given (Markdown's ``diff`` blocks)."""
    reason = f"  ({change.reason})" if change.reason else ""
    return f"{symbol or change.action.symbol} {change.address}{reason}"


def change_detail_lines(change: Change) -> list[DetailLine]:
    """What a change does inside its resource: value-level details when it has them, else what its kind
    shows (``ResourceKind.detail_lines``: the layout, the expiry, the script ...)."""
    if change.details:
        return [_value_line(detail) for detail in change.details]
    return kinds.of(change.address).detail_lines(change)


def _value_line(detail: ValueChange) -> DetailLine:
    name = detail.value
    if detail.change == "add":
        return ("+", value_added(name, detail.after or name))
    if detail.change == "reactivate":
        return ("+", f"value {name} (reactivate)")
    if detail.change == "deactivate":
        return ("-", f"value {name} (deactivate)")
    if detail.change == "relabel":
        return ("~", f'value {name}: label "{detail.before or name}" -> "{detail.after or name}"')
    if detail.change == "default":
        moved = f"{detail.before} -> {name}" if detail.before and detail.before != name else name
        return ("~", f"default: {moved}")
    return ("~", f"value {name}: no longer the default")


def _print_header(console: Console, plan: Plan) -> None:
    console.print(Text("Reconcile plan", style="bold"), soft_wrap=True)
    console.print(
        Text(
            f"created {plan.created_at.isoformat()}, config {plan.config_digest[:12]}, "
            f"state {plan.state_lineage} serial {plan.state_serial}"
            if plan.state_lineage
            else "no state yet",
            style="dim",
        ),
        soft_wrap=True,
    )
    console.print()


def _print_org(console: Console, org: OrgPlan) -> None:
    console.print()
    kind = "identity unknown" if org.is_sandbox is None else "sandbox" if org.is_sandbox else "production"
    protected = "protected: applied only when named with --org" if org.protected else ""
    identity = ", ".join(part for part in (org.org_name, org.org_id, kind, protected) if part)
    console.print(Text(f"{org.org} ({identity})", style="bold"), soft_wrap=True)
    usage = api_usage_line(org)
    if usage:
        console.print(Text(f"  {usage}", style="dim"), soft_wrap=True)
    for error in org.errors:
        console.print(Text(f"  error: {error}", style="red"), soft_wrap=True)
    for warning in org.warnings:
        console.print(Text(f"  warning: {warning}", style="yellow"), soft_wrap=True)
    if not org.changes:
        console.print(Text("  No changes.", style="dim"), soft_wrap=True)
    for change in org.changes:
        _print_change(console, change)


def api_usage_line(org: OrgPlan) -> str:
    """``API calls: 7 (14,993 of the daily limit left)``, or "" when nothing was called."""
    if not org.api_calls:
        return ""
    left = f" ({org.api_remaining:,} of the daily limit left)" if org.api_remaining is not None else ""
    return f"API calls: {org.api_calls}{left}"


def _print_change(console: Console, change: Change) -> None:
    line = Text("  ")
    line.append(f"{change.action.symbol} {change.address}", style=ACTION_STYLES[change.action])
    if change.reason:
        line.append(f"  ({change.reason})", style="dim")
    console.print(line, soft_wrap=True)
    for marker, text in change_detail_lines(change):
        console.print(Text(f"      {marker} {text}", style=_DETAIL_STYLES[marker]), soft_wrap=True)


def _print_deletes(console: Console, plan: Plan) -> None:
    deletes = [(org.org, change) for org in plan.orgs for change in org.changes if change.action is Action.DELETE]
    console.print()
    if not deletes:
        return
    console.print(Text("Deletes in this plan:", style="bold red"), soft_wrap=True)
    for org_name, change in deletes:
        console.print(Text(f"  - {org_name}::{change.address}", style="red"), soft_wrap=True)
    console.print()
