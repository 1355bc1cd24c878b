"""Apply progress and the closing report."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from reconcile.checks.results import CheckResult, CheckStatus, OrgChecks, VerifyReport
from reconcile.executor import ApplyReport, Event, OrgReport
from reconcile.model import Address
from reconcile.render.apply import ApplyProgress, event_line, render_apply_report
from state.base import State
from tests.plans import sample_plan

GRANT = Address("permission_set_grant", "Sales_Ops/alice@acme.com.uat")


def test_plain_progress_prints_only_notable_events() -> None:
    buffer = StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    with ApplyProgress(sample_plan(), console, live=False) as progress:
        progress.handle(Event(org="uat", type="org_start"))
        progress.handle(Event(org="uat", type="result", address=GRANT, ok=True))
        progress.handle(Event(org="uat", type="result", address=GRANT, ok=False, message="DUPLICATE_VALUE"))
        progress.handle(Event(org="uat", type="org_done", message="1 applied, 1 failed"))
    lines = buffer.getvalue().splitlines()
    assert lines == [
        "uat: applying",
        f"uat::{GRANT}: FAILED DUPLICATE_VALUE",
        "uat: 1 applied, 1 failed",
    ]


def test_live_progress_counts_results_per_org() -> None:
    buffer = StringIO()
    console = Console(file=buffer, width=120, force_terminal=True)
    plan = sample_plan()
    uat_changes = len(plan.org("uat").changes)
    with ApplyProgress(plan, console, live=True) as progress:
        for _ in range(uat_changes):
            progress.handle(Event(org="uat", type="result", address=GRANT, ok=True))
        progress.handle(Event(org="uat", type="org_done", message="done"))
    output = buffer.getvalue()
    assert f"{uat_changes}/{uat_changes}" in output
    assert "prod" not in output.split("uat")[0]  # an org with plan errors gets no bar


def test_event_line_for_skips_names_the_reason() -> None:
    line = event_line(Event(org="dev", type="skipped", address=GRANT, message="upstream failed: apex:x"))
    assert line == f"dev::{GRANT}: skipped (upstream failed: apex:x)"


def test_outside_a_terminal_the_apply_summary_prints_whole_at_any_width() -> None:
    names = ("customer-success-production-emea", "customer-success-sandbox-full-copy-apac")
    report = ApplyReport(
        orgs=tuple(OrgReport(org=name, applied=12, api_calls=1234, api_remaining=14321, seconds=1.5) for name in names),
        state=State(),
    )
    text = render_apply_report(report, width=80)
    assert "…" not in text
    header = next(line for line in text.splitlines() if line.lstrip().startswith("org "))
    assert [cell.strip() for cell in header.split("┃")] == [
        "org",
        "status",
        "applied",
        "failed",
        "skipped",
        "API calls",
        "limit left",
        "time",
    ]
    for name in names:
        assert f" {name} " in text
    fitted = render_apply_report(report, width=80, terminal=True)
    assert all(len(line) <= 80 for line in fitted.splitlines())


def test_an_org_whose_checks_did_not_pass_or_run_shows_checks_failed_and_a_failed_change_stays_failed() -> None:
    report = ApplyReport(
        orgs=(OrgReport(org="dev", applied=1), OrgReport(org="qa", failed=1), OrgReport(org="uat", applied=2)),
        state=State(),
    )
    passed = CheckResult(name="a", org="dev", type="soql", status=CheckStatus.passed, summary="count 0")
    checks = VerifyReport(
        orgs=(
            OrgChecks(org="dev", results=(passed, passed.model_copy(update={"status": CheckStatus.error}))),
            OrgChecks(org="uat", error="cannot reach uat"),
        )
    )
    rows = {
        cells[0]: cells[1]
        for line in render_apply_report(report, checks=checks).splitlines()
        if len(cells := [cell.strip() for cell in line.split("│")]) > 1
    }
    assert rows == {"dev": "checks failed (1 of 2)", "qa": "FAILED", "uat": "checks failed (could not run)"}
