"""The audit trail: an apply journals every value it changed, who ran it, from which commit and CI job,
the config digest and the plan checksum; ``history show`` and both reports show them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconcile.history import ChangeEntry, build_run
from reconcile.history.provenance import ci_actor, ci_links, provenance
from reconcile.render.audit import value_lines
from reconcile.render.report import render_report_html
from tests.support.cli import invoke

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
#: Every CI variable this suite might inherit, unset so a test decides who runs.
CI_VARIABLES = [
    "GITHUB_ACTIONS",
    "GITHUB_ACTOR",
    "GITHUB_RUN_ID",
    "GITHUB_REF",
    "GITHUB_REPOSITORY",
    "GITHUB_SERVER_URL",
    "GITLAB_CI",
    "GITLAB_USER_LOGIN",
    "CI_JOB_URL",
    "BUILD_REQUESTEDFOR",
    "TF_BUILD",
    "BUILD_BUILDID",
    "BITBUCKET_BUILD_NUMBER",
    "BITBUCKET_STEP_TRIGGERER_UUID",
    "CIRCLE_USERNAME",
    "CIRCLE_BUILD_URL",
    "BUILDKITE_BUILD_CREATOR",
    "BUILDKITE_BUILD_URL",
    "BUILD_USER_ID",
    "BUILD_URL",
]
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/org-config",
    "GITHUB_RUN_ID": "4242",
    "GITHUB_REF": "refs/pull/17/merge",
}


def no_ci(**extra: str) -> dict[str, Any]:
    return {**dict.fromkeys(CI_VARIABLES), **extra}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Release", "-c", "user.email=release@acme.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """The quickstart committed in a git repository that ignores the state directory."""
    root = tmp_path / "config"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".reconcile"))
    (root / ".gitignore").write_text(".reconcile/\n")
    git(root, "init", "-q", ".")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "release 42")
    return root


def test_the_report_of_an_apply_shows_every_value_who_and_which_commit(repository: Path) -> None:
    planfile = repository / "plan.json"  # untracked, but the plan applied is not a change to the config
    planned = invoke("plan", "-c", str(repository), "--out", str(planfile), env=no_ci())
    assert planned.exit_code == 0, planned.output
    applied = invoke("apply", str(planfile), "-c", str(repository), "--auto-approve", env=no_ci(**GITHUB))
    assert applied.exit_code == 0, applied.output
    commit = git(repository, "rev-parse", "HEAD")

    start = json.loads((repository / ".reconcile" / "history.jsonl").read_text().splitlines()[0])
    assert start["by"] == "octocat"
    assert start["git"] == {"commit": commit, "dirty": False}
    assert start["plan_checksum"] == json.loads(planfile.read_text())["checksum"]
    assert start["config_digest"] == json.loads(planfile.read_text())["plan"]["config_digest"]
    assert start["ci"] == {
        "system": "github",
        "job_url": "https://github.com/acme/org-config/actions/runs/4242",
        "pr_url": "https://github.com/acme/org-config/pull/17",
    }
    tier = next(c for c in start["changes"]["uat"] if c["address"] == "picklist:Account.Tier__c")
    assert {"value": "Bronze", "change": "add", "before": None, "after": "Bronze tier"} in tier["details"]
    assert [v["name"] for v in tier["before"]["values"]] == ["Gold", "Silver", "Platinum"]

    markdown = invoke("report", "-c", str(repository), "--format", "markdown", env=no_ci())
    assert markdown.exit_code == 0, markdown.output
    for line in (
        "| **Who** | octocat |",
        f"| **Commit** | {commit} |",
        "| **CI job** | https://github.com/acme/org-config/actions/runs/4242 |",
        "| **Pull request** | https://github.com/acme/org-config/pull/17 |",
        "- `picklist:Account.Tier__c` (ok)",
        '  - Tier\\_\\_c: +Bronze ("Bronze tier")',
        "  - Tier\\_\\_c: -Platinum",
        '  - Tier\\_\\_c: Silver label "Silver (old)" → "Silver"',
        "  - Tier\\_\\_c: default Gold → Silver",
        "  - Regions: +APAC",
        "  - layout: Account Layout → Account Enterprise Layout",
        "  - username: carol@acme.com.uat (removed)",
    ):
        assert line in markdown.output, line

    html = invoke("report", "-c", str(repository), "--format", "html", env=no_ci())
    assert html.exit_code == 0, html.output
    assert "<dt>Who</dt><dd>octocat</dd>" in html.output and f"<dd>{commit}</dd>" in html.output
    assert "<li>Tier__c: +Bronze (&quot;Bronze tier&quot;)</li>" in html.output
    assert "<li>layout: Account Layout → Account Enterprise Layout</li>" in html.output

    shown = invoke("history", "-c", str(repository), "show", start["run_id"], env=no_ci())
    assert shown.exit_code == 0, shown.output
    assert "who: octocat" in shown.output and f"Commit: {commit}" in shown.output
    assert "Tier__c: +Bronze" in shown.output and "Regions: +APAC" in shown.output


def test_by_names_who_ran_it_and_a_changed_checkout_is_marked_dirty(repository: Path) -> None:
    with (repository / "reconcile.toml").open("a") as config:
        config.write('\n[[permission_set_grant]]\npermission_set = "Service_Desk"\nusers = ["dave@acme.com"]\n')
    applied = invoke("apply", "-c", str(repository), "--auto-approve", "--by", "alice", env=no_ci(**GITHUB))
    assert applied.exit_code == 0, applied.output
    report = invoke("report", "-c", str(repository), "--format", "markdown", env=no_ci())
    assert "| **Who** | alice |" in report.output
    assert "(with uncommitted changes) |" in report.output
    assert "| **Plan checksum** |" in report.output and "| **Config digest** |" in report.output


def test_outside_ci_and_git_it_is_the_os_user_and_no_commit(tmp_path: Path) -> None:
    found = provenance(tmp_path, {})
    assert found.by and found.git_commit == "" and found.git_dirty is None
    assert found.ci.system == "" and found.as_record()["git"] is None


@pytest.mark.parametrize(
    ("env", "actor", "system", "job", "pr"),
    [
        (GITHUB, "octocat", "github", "https://github.com/acme/org-config/actions/runs/4242", "/pull/17"),
        (
            {"GITLAB_CI": "true", "GITLAB_USER_LOGIN": "gl-user", "CI_JOB_URL": "https://gitlab.com/a/b/-/jobs/9",
             "CI_PROJECT_URL": "https://gitlab.com/a/b", "CI_MERGE_REQUEST_IID": "3"},
            "gl-user", "gitlab", "https://gitlab.com/a/b/-/jobs/9", "https://gitlab.com/a/b/-/merge_requests/3",
        ),
        (
            {"TF_BUILD": "True", "BUILD_REQUESTEDFOR": "Ada Admin", "BUILD_BUILDID": "77",
             "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/", "SYSTEM_TEAMPROJECT": "crm"},
            "Ada Admin", "azure", "https://dev.azure.com/acme/crm/_build/results?buildId=77", "",
        ),
        ({"BUILD_URL": "https://ci.acme.com/job/7/", "CHANGE_URL": "https://git/pr/5"}, "", "jenkins",
         "https://ci.acme.com/job/7/", "https://git/pr/5"),
    ],
)  # fmt: skip
def test_ci_actor_and_links_per_system(env: dict[str, str], actor: str, system: str, job: str, pr: str) -> None:
    links = ci_links(env)
    assert (ci_actor(env), links.system, links.job_url) == (actor, system, job)
    assert links.pr_url.endswith(pr) and (bool(links.pr_url) == bool(pr))


def test_value_lines_say_what_each_attribute_became() -> None:
    def entry(before: dict[str, Any] | None, after: dict[str, Any] | None) -> ChangeEntry:
        record = {"address": "validation_rule:Account.Needs_Tier", "action": "update", "before": before, "after": after}
        start = {"type": "run_start", "changes": {"dev": [record]}, "at": "2030-01-01T00:00:00+00:00"}
        return build_run("r", [start]).orgs[0].changes[0]

    rule = {"kind": "validation_rule", "ids": {"rule": "03d1"}, "active": False, "description": "old"}
    assert value_lines(entry(rule, {**rule, "active": True, "ids": {}})) == ["active: false → true"]
    assert value_lines(entry(None, rule)) == ["active: false", "description: old"]
    assert value_lines(entry(rule, None)) == ["active: false (removed)", "description: old (removed)"]
    assert value_lines(entry(rule, rule)) == []


def test_a_run_recorded_before_provenance_renders_without_it() -> None:
    start = {
        "run_id": "old",
        "type": "run_start",
        "at": "2030-01-01T00:00:00+00:00",
        "operation": "apply",
        "user": "ada",
        "host": "ci",
        "changes": {"dev": [{"address": "picklist:Account.Tier__c", "action": "update", "reason": "1 value added"}]},
    }
    run = build_run("old", [start])
    assert run.audit is None and run.who == "ada@ci" and run.orgs[0].changes[0].values is None
    html = render_report_html(run)
    assert "<dd>ada@ci</dd>" in html and "Changed values" not in html and "Commit" not in html


def test_a_damaged_audit_record_reads_as_far_as_it_can() -> None:
    start = {
        "run_id": "bad",
        "type": "run_start",
        "at": "2030-01-01T00:00:00+00:00",
        "operation": "apply",
        "by": 7,
        "ci": ["not", "an", "object"],
        "git": "abc",
        "plan_checksum": None,
        "changes": {
            "dev": [
                {"address": "picklist:Account.Tier__c", "action": "update", "before": "x", "details": "oops"},
                {
                    "address": "picklist:gvs:Regions",
                    "action": "update",
                    "details": [{"value": "A", "change": "add"}, 3],
                },
            ]
        },
    }
    run = build_run("bad", [start])
    assert run.audit is not None and (run.audit.by, run.audit.git_commit, run.audit.job_url) == ("7", "", "")
    first, second = run.orgs[0].changes
    assert value_lines(first) == [] and value_lines(second) == ["Regions: +A"]
    assert "<li>Regions: +A</li>" in render_report_html(run)


def test_an_ad_hoc_script_run_records_who_ran_it(repository: Path) -> None:
    ran = invoke(
        "apex", "run", str(repository / "scripts" / "hello.apex"), "-c", str(repository), "--org", "dev",
        "--auto-approve", "--by", "carol", env=no_ci(**GITHUB),
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    shown = invoke("history", "-c", str(repository), "--format", "json", env=no_ci())
    newest = json.loads(shown.output)[0]
    assert newest["operation"] == "apex" and newest["audit"]["by"] == "carol"
    assert newest["audit"]["job_url"] == "https://github.com/acme/org-config/actions/runs/4242"
