"""The change report of one run, for a release manager to attach to a change ticket: HTML or Markdown.

Both forms say the same things in the same order: who ran what and when, a per-org summary (status,
applied, failed, skipped, API calls, time), then per org every change with its result and message and
every script with its outcome, position of a failure, and debug log; a run that verified orgs also shows
its checks as a check x org matrix and its manual steps with who confirmed them
(``render/report_checks.py``).

HTML is one self-contained file: inline CSS, no scripts, no external assets; logs sit in ``<pre>`` inside
collapsed ``<details>``. Every piece of recorded text goes through ``html.escape``. Markdown uses
headings and tables (cells escaped for ``|``, line breaks and HTML) and fenced logs in ``<details>``.
Output depends only on the run, so the same run renders the same report.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

from providers.base import ApexResult
from reconcile import __version__
from reconcile.history import ChangeEntry, OrgRun, Run, ScriptInfo
from reconcile.render.audit import audit_facts, value_lines
from reconcile.render.report_checks import html_checks, html_steps, md_checks, md_steps

_CSS = """
:root { --ok: #1a7f37; --failed: #cf222e; --interrupted: #9a6700; --skipped: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328;
       font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
h3 { font-size: 16px; margin: 22px 0 8px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.meta dt { color: #59636e; } dl.meta dd { margin: 0; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; } td.num, th.num { text-align: right; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #0d1117; color: #e6edf3; padding: 12px 14px; border-radius: 6px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; }
details { margin: 8px 0; } summary { cursor: pointer; color: #0969da; }
.badge { display: inline-block; padding: 1px 10px; border-radius: 999px; color: #fff; font-size: 12px;
         font-weight: 600; letter-spacing: .04em; text-transform: uppercase; vertical-align: middle; }
.badge.ok { background: var(--ok); } .badge.failed { background: var(--failed); }
.badge.interrupted { background: var(--interrupted); }
.badge.skipped, .badge.not-run { background: var(--skipped); }
.error { color: var(--failed); font-weight: 600; }
footer { margin-top: 40px; color: #59636e; font-size: 13px; }
"""


def report_title(run: Run) -> str:
    """``Change report: apply run 1a2b3c4d5e6f``."""
    return f"Change report: {run.operation or 'unknown'} run {run.run_id}"


# -- shared pieces ------------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _calls(value: int | None) -> str:
    return "-" if value is None else str(value)


def _who(run: Run) -> str:
    return run.who


def _meta(run: Run) -> list[tuple[str, str]]:
    rows = [
        ("Run", run.run_id),
        ("Operation", run.operation or "-"),
        ("Status", run.status.upper()),
        ("Who", _who(run)),
        ("Started", _when(run.started_at)),
        ("Finished", _when(run.finished_at)),
        ("Duration", _seconds(run.seconds)),
        ("Orgs", ", ".join(o.org for o in run.orgs) or "-"),
        ("API calls", str(run.api_calls)),
    ]
    if run.plan_file:
        rows.append(("Plan file", run.plan_file))
    return rows + audit_facts(run)


def _changed_values(org: OrgRun) -> list[tuple[ChangeEntry, list[str]]]:
    """The org's changes that have value-level lines, with them."""
    return [(change, lines) for change in org.changes if (lines := value_lines(change))]


def _org_counts(org: OrgRun) -> str:
    return (
        f"{org.applied} applied, {org.failed} failed, {org.skipped} skipped, "
        f"{_calls(org.api_calls)} API calls, {_seconds(org.seconds)}"
    )


def _script_facts(info: ScriptInfo | None, outcome: ApexResult | None, seconds: float | None) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    if info is not None:
        facts += [("File", info.file or "-"), ("sha256", info.sha256 or "-")]
        if info.run:
            facts.append(("Run policy", info.run))
    if outcome is not None:
        facts += [("Compiled", "yes" if outcome.compiled else "no"), ("Success", "yes" if outcome.success else "no")]
        if outcome.position:
            facts.append(("Line:column", outcome.position))
        if outcome.problem:
            facts.append(("Compile problem" if not outcome.compiled else "Exception", outcome.problem))
        if outcome.exception_stack_trace:
            facts.append(("Stack trace", outcome.exception_stack_trace))
    if seconds is not None:
        facts.append(("Time", _seconds(seconds)))
    return facts


def _no_log(change: ChangeEntry) -> str:
    if change.status in ("skipped", "not run"):
        return f"No debug log: the script did not run ({change.status})."
    return "No debug log was returned."


def _change_script(run: Run, change: ChangeEntry) -> ScriptInfo | None:
    return change.script or (run.script if run.operation == "apex" else None)


# -- HTML ---------------------------------------------------------------------------------------------


def render_report_html(run: Run) -> str:
    """The run as one self-contained HTML document."""
    title = escape(report_title(run))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{_CSS}</style></head>",
        "<body><main>",
        f"<header><h1>{title} {_badge(run.status)}</h1></header>",
        f'<div class="card">{_html_facts(_meta(run))}</div>',
        _html_summary(run),
        _html_run_script(run),
        html_checks(run),
        html_steps(run),
        *(_html_org(run, org) for org in run.orgs),
        f"<footer>Generated by sf-reconcile {escape(__version__)} from the execution history.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _badge(status: str) -> str:
    css = escape(status.replace(" ", "-"))
    return f'<span class="badge {css}">{escape(status)}</span>'


def _html_facts(rows: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in rows)
    return f'<dl class="meta">{items}</dl>'


def _html_table(headers: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    """A table whose header names are escaped here and whose cells are HTML already."""

    def cls(index: int) -> str:
        return ' class="num"' if index in numeric else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{cell}</td>" for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_summary(run: Run) -> str:
    rows = [
        [
            escape(org.org),
            _badge(org.status),
            str(org.applied),
            str(org.failed),
            str(org.skipped),
            escape(_calls(org.api_calls)),
            escape(_seconds(org.seconds)),
            escape(org.error),
        ]
        for org in run.orgs
    ]
    headers = ["Org", "Status", "Applied", "Failed", "Skipped", "API calls", "Time", "Error"]
    return "<h2>Summary</h2>" + _html_table(headers, rows, frozenset({2, 3, 4, 5, 6}))


def _html_run_script(run: Run) -> str:
    if run.script is None:
        return ""
    return (
        "<h2>Script</h2>"
        + _html_facts(_script_facts(run.script, None, None))
        + _html_pre("Script source", run.script.body)
    )


def _html_org(run: Run, org: OrgRun) -> str:
    parts = [f"<section><h2>{escape(org.org)} {_badge(org.status)}</h2>", f"<p>{escape(_org_counts(org))}</p>"]
    if org.error:
        parts.append(f'<p class="error">{escape(org.error)}</p>')
    if org.changes:
        rows = [
            [
                escape(c.action or "-"),
                f"<code>{escape(c.address)}</code>",
                _badge(c.status),
                escape(c.message or c.reason),
            ]
            for c in org.changes
        ]
        parts.append(_html_table(["Action", "Address", "Result", "Message"], rows))
        parts.append(_html_values(org))
    else:
        parts.append("<p>No changes.</p>")
    parts += [_html_script(run, change) for change in org.changes if _change_script(run, change) or change.apex]
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def _html_values(org: OrgRun) -> str:
    """Every value each change set, changed or removed, as a list under the change's address."""
    changed = _changed_values(org)
    if not changed:
        return ""
    items = "".join(
        f"<li><code>{escape(change.address)}</code> ({escape(change.status)})<ul>"
        + "".join(f"<li>{escape(line)}</li>" for line in lines)
        + "</ul></li>"
        for change, lines in changed
    )
    return f'<h3>Changed values</h3><ul class="values">{items}</ul>'


def _html_script(run: Run, change: ChangeEntry) -> str:
    info = _change_script(run, change)
    facts = _script_facts(info if run.operation != "apex" else None, change.apex, change.seconds)
    parts = [f"<h3>Script <code>{escape(change.address)}</code> {_badge(change.status)}</h3>", _html_facts(facts)]
    if info is not None and info.body and run.operation != "apex":
        parts.append(_html_pre("Script source", info.body))
    log = change.apex.debug_log if change.apex else ""
    parts.append(_html_pre("Debug log", log) if log else f"<p>{escape(_no_log(change))}</p>")
    return "\n".join(parts)


def _html_pre(label: str, text: str) -> str:
    lines = len(text.splitlines())
    summary = f"{label} ({lines} line{'' if lines == 1 else 's'})"
    return f"<details><summary>{escape(summary)}</summary><pre>{escape(text)}</pre></details>"


# -- Markdown -----------------------------------------------------------------------------------------


def render_report_markdown(run: Run) -> str:
    """The run as Markdown: headings, tables and collapsed fenced logs."""
    parts = [
        f"# {_md_text(report_title(run))}\n",
        _md_table(["", ""], [[f"**{_md_cell(k)}**", _md_cell(v)] for k, v in _meta(run)]),
    ]
    summary = [
        [
            _md_cell(o.org),
            f"**{o.status.upper()}**",
            str(o.applied),
            str(o.failed),
            str(o.skipped),
            _calls(o.api_calls),
            _seconds(o.seconds),
            _md_cell(o.error),
        ]
        for o in run.orgs
    ]
    parts += [
        "## Summary\n",
        _md_table(["Org", "Status", "Applied", "Failed", "Skipped", "API calls", "Time", "Error"], summary),
    ]
    if run.script is not None:
        parts += [
            "## Script\n",
            _md_facts(_script_facts(run.script, None, None)),
            _md_fenced("Script source", run.script.body, "apex"),
        ]
    parts += [part for part in (md_checks(run), md_steps(run)) if part]
    parts += [_md_org(run, org) for org in run.orgs]
    parts.append(f"_Generated by sf-reconcile {__version__} from the execution history._\n")
    return "\n".join(parts)


def _md_org(run: Run, org: OrgRun) -> str:
    parts = [f"## {_md_text(org.org)}: {org.status.upper()}\n", f"{_md_text(_org_counts(org))}\n"]
    if org.error:
        parts.append(f"**Error:** {_md_text(org.error)}\n")
    if org.changes:
        rows = [
            [_md_cell(c.action or "-"), _md_code(c.address), f"**{c.status}**", _md_cell(c.message or c.reason)]
            for c in org.changes
        ]
        parts.append(_md_table(["Action", "Address", "Result", "Message"], rows))
        parts.append(_md_values(org))
    else:
        parts.append("No changes.\n")
    for change in org.changes:
        info = _change_script(run, change)
        if info is None and change.apex is None:
            continue
        facts = _script_facts(info if run.operation != "apex" else None, change.apex, change.seconds)
        parts += [f"### Script {_md_code(change.address)}: {change.status}\n", _md_facts(facts)]
        if info is not None and info.body and run.operation != "apex":
            parts.append(_md_fenced("Script source", info.body, "apex"))
        log = change.apex.debug_log if change.apex else ""
        parts.append(_md_fenced("Debug log", log, "text") if log else f"{_md_text(_no_log(change))}\n")
    return "\n".join(parts)


def _md_values(org: OrgRun) -> str:
    """The changed values as a nested list under each change's address."""
    changed = _changed_values(org)
    if not changed:
        return ""
    lines = ["### Changed values\n"]
    for change, values in changed:
        lines.append(f"- {_md_code(change.address)} ({change.status})")
        lines += [f"  - {_md_text(value)}" for value in values]
    return "\n".join(lines) + "\n"


def _md_text(text: str) -> str:
    """Text safe in a Markdown paragraph or heading: HTML escaped, emphasis characters escaped."""
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", escape(text, quote=False)).replace("\n", " ")


def _md_cell(text: str) -> str:
    return _md_text(text).replace("\r", " ") or " "


def _md_code(text: str) -> str:
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    escaped = text.replace("|", "\\|")  # a table cell ends at a bare pipe, even inside code
    return f"{ticks}{pad}{escaped}{pad}{ticks}"


def _md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _md_facts(rows: list[tuple[str, str]]) -> str:
    return "".join(f"- **{_md_text(name)}:** {_md_text(value)}\n" for name, value in rows)


def _md_fenced(label: str, text: str, language: str) -> str:
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    lines = len(text.splitlines())
    summary = escape(f"{label} ({lines} line{'' if lines == 1 else 's'})")
    return (
        f"<details><summary>{summary}</summary>\n\n{fence}{language}\n{text.rstrip(chr(10))}\n{fence}\n\n</details>\n"
    )
