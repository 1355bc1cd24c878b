"""The Markdown form of a plan, for a pull-request comment.

What is always shown, complete: the title, the one-line total, the per-org summary table, every org's
errors and warnings, every delete, and a legend of the symbols. Then one collapsed ``<details>`` section
per org with a fenced ``diff`` block of its changes (value detail indented under each change).

The symbols in a ``diff`` block are the ones GitHub colours there (its highlighting is the TextMate
``source.diff`` grammar): a line starting with ``+`` is green, ``-`` red, ``!`` orange ("changed"), ``#``
grey (a comment), and one starting with a space, ``~`` or ``/`` is not coloured, while ``>`` is green like
``+``. So, as Terraform's pull-request tools do, an update is ``!`` (``~`` in the terminal); a forget,
which leaves the org untouched, is a grey ``#`` (``/``); a run, which changes the org, is ``!`` (``>``,
which GitHub would show as a creation). Value detail follows the same rule (``~`` becomes ``!``).

Comment hosts cap a comment's size (GitHub: 65,536 characters). When the whole document would be longer
than ``max_chars``, the per-org sections are cut at a change boundary, in plan order, and a last line
says how many changes were left out and where to find the full plan. The parts that are always shown are
never cut, so a plan whose deletes alone exceed the budget is returned whole rather than silently hidden.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from reconcile.fleet.diff import OrgDiff
from reconcile.model import Action, Change
from reconcile.plan import OrgPlan, Plan
from reconcile.render.drift import diff_scope_text, diff_total_line
from reconcile.render.text import change_detail_lines, change_headline, errors_line, plan_total_line
from reconcile.render.verify import checklist_lines

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
#: Room kept for the truncation note; it holds a count and the artifact hint.
_NOTE_RESERVE = 160
#: How a ``diff`` block marks each action: symbols GitHub colours (see the module docstring).
DIFF_SYMBOLS: dict[Action, str] = {
    Action.CREATE: "+",
    Action.UPDATE: "!",
    Action.DELETE: "-",
    Action.FORGET: "#",
    Action.RUN: "!",
}
#: Detail markers (``+ - ~`` or a space) as a ``diff`` block writes them.
_DETAIL_MARKERS = {"~": "!"}
LEGEND = (
    "Legend: `+` create, `!` update (`~` in the terminal), `-` delete, `#` forget (`/` in the terminal; "
    "the org keeps it), `!` run (`>` in the terminal): the symbols GitHub colours in a `diff` block."
)


@dataclass(frozen=True)
class _Section:
    """One org's collapsible section: its change blocks, each a list of diff lines."""

    org: OrgPlan
    blocks: tuple[tuple[str, ...], ...]


def render_plan_markdown(plan: Plan, *, max_chars: int = 65000, artifact_hint: str = "") -> str:
    """The plan as Markdown of at most ``max_chars`` characters (unless its fixed parts alone are longer).

    ``artifact_hint`` names where the full plan can be found (a CI artifact, a file); it appears in the
    truncation note, which otherwise points at "the saved plan file".
    """
    head = _head(plan)
    sections = [_Section(org, tuple(_change_block(c) for c in org.changes)) for org in plan.orgs if org.changes]
    full = (head + "".join(_render_section(s, len(s.blocks)) for s in sections)).rstrip("\n") + "\n"
    if len(full) <= max_chars:
        return full
    budget = max_chars - len(head) - _NOTE_RESERVE - len(artifact_hint)
    body, shown = _fit_sections(sections, budget)
    hidden = sum(len(s.blocks) for s in sections) - shown
    where = artifact_hint or "the saved plan file"
    noun = "change" if hidden == 1 else "changes"
    return f"{head}{body}… {hidden} more {noun} not shown; see the full plan in {where}\n"


def _head(plan: Plan) -> str:
    parts = [
        "## Reconcile plan\n\n",
        f"**{plan_total_line(plan)}**\n\n",
        _summary_table(plan),
        _problems(plan),
        _deletes(plan),
        _manual_steps(plan),
        f"{LEGEND}\n\n" if plan.has_changes else "",
    ]
    return "".join(parts)


def _manual_steps(plan: Plan) -> str:
    """Pending manual steps as a task list (``- [ ]``), org by org."""
    lines = [line for org in plan.orgs for line in checklist_lines(org.org, org.manual_steps, markdown=True)]
    return "### Manual steps\n\n" + "\n".join(lines) + "\n\n" if lines else ""


def _summary_table(plan: Plan) -> str:
    rows = [
        "| org | + create | ! update | - delete | # forget | ! run | unchanged | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for org in plan.orgs:
        s = org.summary
        counts = (s.create, s.update, s.delete, s.forget, s.run, s.unchanged, len(org.errors))
        name = _escape(org.org) + (" (protected)" if org.protected else "")
        rows.append(f"| {name} | " + " | ".join(str(n) for n in counts) + " |")
    return "\n".join(rows) + "\n\n"


def _problems(plan: Plan) -> str:
    errors = [f"- **{_escape(org.org)}**: {_escape(e)}" for org in plan.orgs for e in org.errors]
    warnings = [f"- **{_escape(org.org)}**: {_escape(w)}" for org in plan.orgs for w in org.warnings]
    text = ""
    if errors:
        text += "### Errors\n\n" + "\n".join(errors) + "\n\n" + "".join(f"{line}\n\n" for line in errors_line(plan))
    if warnings:
        text += "### Warnings\n\n" + "\n".join(warnings) + "\n\n"
    return text


def _deletes(plan: Plan) -> str:
    lines = [
        f"- {_inline_code(f'{org.org}::{change.address}')}" + (f" — {_escape(change.reason)}" if change.reason else "")
        for org in plan.orgs
        for change in org.changes
        if change.action is Action.DELETE
    ]
    if not lines:
        return ""
    return f"### Deletes ({len(lines)})\n\n" + "\n".join(lines) + "\n\n"


def _change_block(change: Change) -> tuple[str, ...]:
    details = (f"{_DETAIL_MARKERS.get(marker, marker)}     {text}" for marker, text in change_detail_lines(change))
    return (change_headline(change, DIFF_SYMBOLS[change.action]), *details)


def _fit_sections(sections: list[_Section], budget: int) -> tuple[str, int]:
    """As many change blocks as fit in ``budget`` characters, in plan order; returns text and count shown."""
    body, shown = "", 0
    for section in sections:
        count = _most_blocks(section, budget - len(body))
        if count == 0:
            break
        body += _render_section(section, count)
        shown += count
        if count < len(section.blocks):
            break
    return body, shown


def _most_blocks(section: _Section, budget: int) -> int:
    """The largest count whose rendered section fits in ``budget`` (its length grows with the count)."""
    low, high = 0, len(section.blocks)
    while low < high:
        middle = (low + high + 1) // 2
        if len(_render_section(section, middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _render_section(section: _Section, count: int) -> str:
    """The org's ``<details>`` section showing its first ``count`` change blocks."""
    total = len(section.blocks)
    noun = "change" if total == 1 else "changes"
    shown = "" if count == total else f" ({count} shown)"
    lines = [line for block in section.blocks[:count] for line in block]
    fence = _fence("\n".join(lines))
    title = html.escape(f"{section.org.org} — {total} {noun}{shown}")
    return f"<details><summary>{title}</summary>\n\n{fence}diff\n" + "\n".join(lines) + f"\n{fence}\n\n</details>\n\n"


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _inline_code(text: str) -> str:
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _escape(text: str) -> str:
    """``text`` with the characters Markdown or HTML would interpret backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render_diff_markdown(diff: OrgDiff) -> str:
    """An org-to-org diff for a pull request or a change ticket: what would make the target like the
    source, as one ``diff`` block with the plan's symbols, then the totals and the legend."""
    head = (
        f"### Diff: what would make {_inline_code(diff.target)} like {_inline_code(diff.source)}\n\n"
        f"{_escape(diff_scope_text(diff))}; {diff.compared} compared.\n\n"
    )
    lines = [line for change in diff.changes for line in _change_block(change)]
    body = ""
    if lines:
        text = "\n".join(lines)
        fence = _fence(text)
        body = f"{fence}diff\n{text}\n{fence}\n\n"
    return head + body + f"{_escape(diff_total_line(diff))}\n\n{LEGEND}\n"
