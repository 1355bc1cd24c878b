"""Rendering of verification: check results (text, Markdown, JSON) and manual-step checklists.

Text: per org, one line per check (``PASS``/``FAIL``/``ERROR``/``SKIP``, the name, why) with test
failures or grants under it, then a total line. Markdown: a check × org matrix (for a pull request or a
change ticket) and, under it, what did not pass. JSON shape::

    {"format_version", "passed",
     "orgs": [{"org", "passed", "error",
               "checks": [{"name", "type", "status", "summary", "details", "location"}]}],
     "summary": {"checks", "passed", "failed", "errors", "skipped"}}

Pending manual steps read as a checklist: ``[ ] NAME: instructions`` (text), ``- [ ] **NAME**: ...``
(Markdown, a task list).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reconcile.checks.manual import PendingStep
from reconcile.checks.results import CheckResult, CheckStatus, OrgChecks, VerifyReport

FORMAT_VERSION = 1
LABELS = {
    CheckStatus.passed: "PASS",
    CheckStatus.failed: "FAIL",
    CheckStatus.error: "ERROR",
    CheckStatus.skipped: "SKIP",
}
MARKS = {
    CheckStatus.passed: "✅ pass",
    CheckStatus.failed: "❌ fail",
    CheckStatus.error: "⚠️ error",
    CheckStatus.skipped: "⏭️ skipped",
}


def result_lines(result: CheckResult, indent: str = "  ") -> list[str]:
    """One check as text: the verdict line and its details under it."""
    lines = [f"{indent}{LABELS[result.status]:<5} {result.name}: {result.summary}"]
    lines += [f"{indent}        {detail}" for detail in result.details if not result.passed]
    return lines


def org_lines(org: OrgChecks) -> list[str]:
    lines = [f"Checks of org {org.org}:"]
    if org.error:
        return [*lines, f"  ERROR {org.error}"]
    if not org.results:
        return [*lines, "  (no checks apply to this org)"]
    for result in org.results:
        lines += result_lines(result)
    return lines


def total_line(report: VerifyReport) -> str:
    counts = _counts(report)
    if report.passed:
        return f"Verified: {counts['passed']} check results passed in {len(report.orgs)} org(s)."
    return (
        f"Not verified: {counts['failed']} failed, {counts['errors']} could not run, {counts['skipped']} skipped, "
        f"{counts['passed']} passed" + (f"; {_unreachable(report)}" if _unreachable(report) else "") + "."
    )


def _unreachable(report: VerifyReport) -> str:
    names = [org.org for org in report.orgs if org.error]
    return f"org(s) not reached: {', '.join(names)}" if names else ""


def render_verify_text(report: VerifyReport) -> str:
    lines: list[str] = []
    for org in report.orgs:
        lines += [*org_lines(org), ""]
    lines.append(total_line(report))
    lines += [f"  {LABELS[r.status]} in {r.org}: {r.name}: {r.summary}" for r in report.failures]
    return "\n".join(lines) + "\n"


def render_verify_markdown(report: VerifyReport) -> str:
    orgs = [org.org for org in report.orgs]
    lines = ["### Verification", "", "| check | " + " | ".join(orgs) + " |", "|---|" + "---|" * len(orgs)]
    for name in report.check_names:
        cells = [_cell(report.result(org, name)) for org in orgs]
        lines.append(f"| {_escape(name)} | " + " | ".join(cells) + " |")
    for org in report.orgs:
        if org.error:
            lines.append(f"\n**{org.org}**: ⚠️ {_escape(org.error)}")
    failures = report.failures
    if failures:
        lines += ["", "#### Not passed", ""]
        for result in failures:
            lines.append(f"- **{_escape(result.name)}** in `{result.org}`: {_escape(result.summary)}")
            lines += [f"  - {_escape(detail)}" for detail in result.details]
    return "\n".join([*lines, "", total_line(report)]) + "\n"


def _cell(result: CheckResult | None) -> str:
    return "—" if result is None else MARKS[result.status]


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def verify_to_data(report: VerifyReport) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "passed": report.passed,
        "orgs": [
            {
                "org": org.org,
                "passed": org.passed,
                "error": org.error,
                "checks": [_result_data(result) for result in org.results],
            }
            for org in report.orgs
        ],
        "summary": _counts(report),
    }


def _result_data(result: CheckResult) -> dict[str, Any]:
    data = result.model_dump(mode="json", exclude={"org"})
    data["details"] = list(result.details)
    return data


def render_verify_json(report: VerifyReport) -> str:
    return json.dumps(verify_to_data(report), indent=2, sort_keys=True) + "\n"


def _counts(report: VerifyReport) -> dict[str, int]:
    results = [result for org in report.orgs for result in org.results]
    return {
        "checks": len(results),
        "passed": sum(1 for r in results if r.status is CheckStatus.passed),
        "failed": sum(1 for r in results if r.status is CheckStatus.failed),
        "errors": sum(1 for r in results if r.status is CheckStatus.error) + sum(1 for o in report.orgs if o.error),
        "skipped": sum(1 for r in results if r.status is CheckStatus.skipped),
    }


def checklist_lines(org: str, steps: Sequence[PendingStep], *, markdown: bool = False) -> list[str]:
    """The pending manual steps of one org as a checklist."""
    if not steps:
        return []
    if markdown:
        return [f"- [ ] **{_escape(s.name)}** ({org}): {_escape(s.instructions)} _({s.reason})_" for s in steps]
    return [
        f"  [ ] {s.name}: {s.instructions}  ({s.reason}; reconcile confirm manual:{s.name} --org {org})" for s in steps
    ]
