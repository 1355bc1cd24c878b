"""The verification part of a change report: the checks of a run as a check × org matrix (with what did
not pass under it) and its manual steps with who confirmed them, in HTML and in Markdown.

Both read only the run's ``checks`` and ``steps`` (``check`` and ``manual_step`` journal records) and are
empty for a run that has none, so reports of runs without verification keep their shape. Every recorded
text is escaped (``html.escape``; Markdown cells for ``|``, line breaks and HTML).
"""

from __future__ import annotations

from html import escape

from reconcile.history import Run
from reconcile.history.records import CheckRecord, StepRecord

MARKS = {"pass": "✅ pass", "fail": "❌ fail", "error": "⚠️ error", "skipped": "⏭️ skipped"}


def _matrix(run: Run) -> tuple[list[str], list[str], dict[tuple[str, str], CheckRecord]]:
    orgs = list(dict.fromkeys(check.org for check in run.checks))
    names = list(dict.fromkeys(check.name for check in run.checks))
    return orgs, names, {(check.org, check.name): check for check in run.checks}


def _mark(check: CheckRecord | None) -> str:
    return "—" if check is None else MARKS.get(check.status, check.status)


def _confirmed(step: StepRecord) -> tuple[str, str, str]:
    if step.status != "confirmed":
        return "pending", "", ""
    return "confirmed", step.by, step.at


def html_checks(run: Run) -> str:
    if not run.checks:
        return ""
    orgs, names, found = _matrix(run)
    head = "<th>Check</th>" + "".join(f"<th>{escape(org)}</th>" for org in orgs)
    rows = "".join(
        f"<tr><td>{escape(name)}</td>"
        + "".join(f"<td>{escape(_mark(found.get((org, name))))}</td>" for org in orgs)
        + "</tr>"
        for name in names
    )
    failed = [check for check in run.checks if check.status != "pass"]
    items = "".join(
        f"<li><strong>{escape(c.name)}</strong> in <code>{escape(c.org)}</code>: {escape(c.summary)}"
        + ("<ul>" + "".join(f"<li>{escape(d)}</li>" for d in c.details) + "</ul>" if c.details else "")
        + "</li>"
        for c in failed
    )
    listing = f"<h3>Not passed</h3><ul>{items}</ul>" if failed else ""
    return f"<h2>Checks</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{listing}"


def html_steps(run: Run) -> str:
    if not run.steps:
        return ""
    rows = ""
    for step in run.steps:
        status, by, at = _confirmed(step)
        cells = [step.org, step.name, step.instructions, status, by, at, step.note]
        rows += "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
    head = "".join(f"<th>{h}</th>" for h in ("Org", "Step", "Instructions", "Status", "Confirmed by", "When", "Note"))
    return f"<h2>Manual steps</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def md_checks(run: Run) -> str:
    if not run.checks:
        return ""
    orgs, names, found = _matrix(run)
    lines = ["## Checks\n", "| Check | " + " | ".join(_cell(o) for o in orgs) + " |", "|---|" + "---|" * len(orgs)]
    lines += [
        f"| {_cell(name)} | " + " | ".join(_mark(found.get((org, name))) for org in orgs) + " |" for name in names
    ]
    failed = [check for check in run.checks if check.status != "pass"]
    if failed:
        lines += ["", "### Not passed", ""]
        for check in failed:
            lines.append(f"- **{_cell(check.name)}** in `{check.org}`: {_cell(check.summary)}")
            lines += [f"  - {_cell(detail)}" for detail in check.details]
    return "\n".join(lines) + "\n"


def md_steps(run: Run) -> str:
    if not run.steps:
        return ""
    lines = ["## Manual steps\n"]
    for step in run.steps:
        status, by, at = _confirmed(step)
        box = "x" if status == "confirmed" else " "
        who = f" — confirmed by {_cell(by)} at {at}" + (f" ({_cell(step.note)})" if step.note else "") if by else ""
        lines.append(f"- [{box}] **{_cell(step.name)}** in `{step.org}`: {_cell(step.instructions)}{who}")
    return "\n".join(lines) + "\n"
