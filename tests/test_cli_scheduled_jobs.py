"""``[[scheduled_job]]`` through the command line on an emulated org: plan, apply, re-plan, a cron change
rescheduling, a conflict with a job scheduled outside the tool, removal aborting, and an invalid cron."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import Result

from tests.support.cli import invoke
from tests.support.emulator import provider_seed

ADDRESS = "scheduled_job:Nightly tier backfill"
ORGS = """version = 1

[orgs.dev]
emulator = "orgs/dev.json"
"""
ENTRY = """
[[scheduled_job]]
name = "Nightly tier backfill"
class = "TierBackfillJob"
cron = "{cron}"
"""


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str) -> Result:
        return invoke(*args, "-c", str(self.root))

    def configure(self, entries: str) -> None:
        (self.root / "reconcile.toml").write_text(ORGS + entries, encoding="utf-8")

    def live_jobs(self) -> dict[str, tuple[str, str]]:
        document = json.loads((self.root / ".reconcile" / "emulator" / "dev.json").read_text(encoding="utf-8"))
        return {job["name"]: (job["class"], job["cron"]) for job in document.get("scheduled_jobs", [])}


def make_project(tmp_path: Path, entries: str, jobs: list[dict[str, str]] | None = None) -> Project:
    (tmp_path / "orgs").mkdir()
    seed = provider_seed()
    seed["apex_classes"] = ["TierBackfillJob", "CleanupJob"]
    seed["scheduled_jobs"] = jobs or []
    (tmp_path / "orgs" / "dev.json").write_text(json.dumps(seed), encoding="utf-8")
    project = Project(tmp_path)
    project.configure(entries)
    return project


def test_schedule_replan_clean_reschedule_then_abort_when_removed(tmp_path: Path) -> None:
    project = make_project(tmp_path, ENTRY.format(cron="0 0 2 * * ?"))
    assert project.run("validate").exit_code == 0

    planned = project.run("plan")
    assert planned.exit_code == 0, planned.output
    assert f"+ {ADDRESS}" in planned.stdout and "class: TierBackfillJob" in planned.stdout, planned.stdout

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert project.live_jobs() == {"Nightly tier backfill": ("TierBackfillJob", "0 0 2 * * ?")}
    again = project.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.stdout, again.output

    project.configure(ENTRY.format(cron="0 0 3 * * ?"))
    planned = project.run("plan")
    assert f"~ {ADDRESS}" in planned.stdout and "cron: 0 0 2 * * ? -> 0 0 3 * * ?" in planned.stdout, planned.stdout
    assert project.run("apply", "--auto-approve").exit_code == 0
    assert project.live_jobs() == {"Nightly tier backfill": ("TierBackfillJob", "0 0 3 * * ?")}
    assert project.run("plan", "--detailed-exitcode").exit_code == 0

    project.configure("")
    planned = project.run("plan", "--format", "json")
    actions = {c["address"]: c["action"] for org in json.loads(planned.stdout)["orgs"] for c in org["changes"]}
    assert actions == {ADDRESS: "delete"}
    assert project.run("apply", "--auto-approve").exit_code == 0
    assert project.live_jobs() == {}
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_a_job_scheduled_outside_the_tool_is_a_conflict_until_replace_is_set(tmp_path: Path) -> None:
    theirs = [
        {"name": "Nightly tier backfill", "class": "CleanupJob", "cron": "0 0 5 * * ?"},
        {"name": "Someone else's", "class": "CleanupJob", "cron": "0 0 6 * * ?"},
    ]
    project = make_project(tmp_path, ENTRY.format(cron="0 0 2 * * ?"), theirs)
    planned = project.run("plan")
    assert planned.exit_code == 1, planned.output
    assert "reconcile.toml:" in planned.output and "already scheduled outside this tool" in planned.output
    assert "replace = true" in planned.output
    project.run("apply", "--auto-approve")
    assert project.live_jobs()["Nightly tier backfill"] == ("CleanupJob", "0 0 5 * * ?")  # not replaced

    project.configure(ENTRY.format(cron="0 0 2 * * ?") + "replace = true\n")
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    jobs = project.live_jobs()
    assert jobs["Nightly tier backfill"] == ("TierBackfillJob", "0 0 2 * * ?")
    assert jobs["Someone else's"] == ("CleanupJob", "0 0 6 * * ?")  # never managed: left alone
    assert project.run("plan", "--detailed-exitcode").exit_code == 0


def test_a_job_with_the_same_cron_scheduled_outside_is_left_in_sync(tmp_path: Path) -> None:
    theirs = [{"name": "Nightly tier backfill", "class": "CleanupJob", "cron": "0 0 2 * * ?"}]
    project = make_project(tmp_path, ENTRY.format(cron="0 0 2 * * ?"), theirs)
    planned = project.run("plan", "--detailed-exitcode")
    assert planned.exit_code == 0 and "No changes." in planned.stdout, planned.output


def test_an_unknown_class_fails_the_apply_with_the_compile_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, ENTRY.format(cron="0 0 2 * * ?").replace("TierBackfillJob", "MissingJob"))
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code != 0
    assert "Invalid type: MissingJob" in applied.output, applied.output
    assert project.live_jobs() == {}


def test_an_invalid_cron_is_a_validate_error_at_its_line(tmp_path: Path) -> None:
    project = make_project(tmp_path, ENTRY.format(cron="0 0 2 * * *"))
    result = project.run("validate")
    assert result.exit_code == 1
    line = (ORGS + ENTRY).splitlines().index('cron = "{cron}"') + 1
    assert f"reconcile.toml:{line}:" in result.output, result.output
    assert "use ? in exactly one of day of month and day of week" in result.output


def test_import_lists_jobs_it_cannot_write(tmp_path: Path) -> None:
    theirs = [{"name": "Nightly tier backfill", "class": "CleanupJob", "cron": "0 0 5 * * ?"}]
    project = make_project(tmp_path, "", theirs)
    out = tmp_path / "imported.toml"
    result = project.run("import", "--org", "dev", "--kind", "scheduled_job", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"left out {ADDRESS}: the class a scheduled job runs cannot be read from an org" in result.output
