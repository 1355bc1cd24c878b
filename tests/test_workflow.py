"""The GitHub Actions example: its shape, and its reconcile command lines run for real on emulated orgs."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from reconcile.cli import app
from tests.support.cli import invoke

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "examples" / "github-actions" / "reconcile.yml"
QUICKSTART = ROOT / "examples" / "quickstart"
MARKER = "<!-- reconcile-plan -->"
_VARIABLE = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)\}?")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return found


def step(workflow: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    return next(s for s in steps(workflow, job) if s.get("name") == name)


def uses(workflow: dict[str, Any], job: str, action: str) -> list[dict[str, Any]]:
    return [s for s in steps(workflow, job) if str(s.get("uses", "")).startswith(action + "@")]


def script_lines(run: str) -> list[str]:
    """A ``run:`` script's logical lines, backslash continuations joined."""
    return [line.strip() for line in run.replace("\\\n", " ").splitlines() if line.strip()]


def reconcile_commands(workflow: dict[str, Any], job: str) -> dict[str, list[str]]:
    """Every reconcile command line of a job by step name, as argv words (redirections cut off)."""
    found: dict[str, list[str]] = {}
    for item in steps(workflow, job):
        for line in script_lines(str(item.get("run", ""))):
            if line.startswith("reconcile "):
                words = shlex.split(line)[1:]
                found[item["name"]] = [w for w in words[: _first_redirection(words)]]
    return found


def _first_redirection(words: list[str]) -> int:
    return next((i for i, word in enumerate(words) if word.startswith((">", "2>"))), len(words))


def expand(words: list[str], env: dict[str, str]) -> list[str]:
    return [_VARIABLE.sub(lambda match: env[match.group(1)], word) for word in words]


def test_triggers_jobs_and_permissions(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["pull_request"]["branches"] == ["main"]
    assert triggers["push"]["branches"] == ["main"]
    assert set(workflow["jobs"]) == {"plan", "apply"}
    assert "pull_request" in workflow["jobs"]["plan"]["if"]
    assert "push" in workflow["jobs"]["apply"]["if"]
    assert workflow["jobs"]["plan"]["permissions"]["pull-requests"] == "write"
    assert workflow["jobs"]["apply"]["permissions"]["contents"] == "write"
    assert workflow["jobs"]["apply"]["concurrency"]["cancel-in-progress"] is False


@pytest.mark.parametrize("job", ["plan", "apply"])
def test_each_job_installs_and_logs_in(workflow: dict[str, Any], job: str) -> None:
    assert uses(workflow, job, "actions/checkout")
    python = uses(workflow, job, "actions/setup-python")
    assert python and python[0]["with"]["python-version"] == "3.11"
    assert step(workflow, job, "Install reconcile")["run"].strip() == "pip install ."
    assert "npm install --global @salesforce/cli" in step(workflow, job, "Install the Salesforce CLI")["run"]
    login = step(workflow, job, "Log in to the org (JWT)")
    command = next(line for line in script_lines(login["run"]) if line.startswith("sf org login jwt"))
    for flag in ("--client-id", "--jwt-key-file", "--username", "--alias", "--instance-url"):
        assert flag in command
    assert login["env"]["SF_CLIENT_ID"] == "${{ secrets.SF_CLIENT_ID }}"
    assert "secrets." not in login["run"], "secrets reach the script through env, never inline"


def test_the_plan_is_commented_once_and_kept(workflow: dict[str, Any]) -> None:
    comment = uses(workflow, "plan", "actions/github-script")[0]
    script = comment["with"]["script"]
    assert MARKER in script
    assert "updateComment" in script and "createComment" in script
    assert "plan.md" in script
    upload = uses(workflow, "plan", "actions/upload-artifact")[0]
    assert upload["with"]["path"] == "plan.json"
    assert "pull_request.number" in upload["with"]["name"]


def test_apply_uses_the_reviewed_plan_or_plans_again(workflow: dict[str, Any]) -> None:
    download = uses(workflow, "apply", "actions/download-artifact")[0]
    assert download["if"] == "steps.find.outputs.run-id != ''"
    assert step(workflow, "apply", "Plan again (no reviewed plan)")["if"] == "steps.find.outputs.run-id == ''"
    commands = reconcile_commands(workflow, "apply")
    assert commands["Apply"][:2] == ["apply", "plan.json"]
    assert "--auto-approve" in commands["Apply"]


@pytest.mark.parametrize("job", ["plan", "apply"])
def test_every_reconcile_line_parses_with_the_real_cli(workflow: dict[str, Any], job: str) -> None:
    root = typer.main.get_command(app)
    env = {name: f"value-of-{name}" for name in workflow["env"]}
    commands = reconcile_commands(workflow, job)
    assert commands
    for name, words in commands.items():
        args = expand(words, env)
        command: Any = root
        while getattr(command, "commands", None) and args and args[0] in command.commands:
            command, args = command.commands[args[0]], args[1:]
        assert command is not root, f"{name}: {words[0]} is not a reconcile command"
        command.make_context(f"reconcile {words[0]}", list(args))  # raises on an unknown option or bad value


def test_the_plan_line_is_the_documented_one(workflow: dict[str, Any]) -> None:
    line = next(line for line in script_lines(step(workflow, "plan", "Plan")["run"]) if line.startswith("reconcile"))
    assert "--format markdown --out plan.json > plan.md" in line


@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workflow: dict[str, Any]) -> dict[str, str]:
    """A checkout holding the quickstart as its configuration; returns the workflow env for it."""
    shutil.copytree(QUICKSTART, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".reconcile"))
    monkeypatch.chdir(tmp_path)
    env = {key: str(value) for key, value in workflow["env"].items()}
    assert env["RECONCILE_CONFIG"] == "reconcile.toml"
    env["RECONCILE_ORG"] = "uat"
    return env


def test_pull_request_then_merge_on_emulated_orgs(workflow: dict[str, Any], repository: dict[str, str]) -> None:
    plan_job, apply_job = reconcile_commands(workflow, "plan"), reconcile_commands(workflow, "apply")
    validated = invoke(*expand(plan_job["Validate the configuration"], repository))
    assert validated.exit_code == 0, validated.output
    planned = invoke(*expand(plan_job["Plan"], repository))
    markdown = planned.stdout
    assert planned.exit_code == 0, planned.output
    assert markdown.startswith("## Reconcile plan"), "stdout is exactly the Markdown that becomes the comment"
    assert "uat" in markdown and "| dev |" not in markdown
    assert Path("plan.json").is_file()
    applied = invoke(*expand(apply_job["Apply"], repository))
    assert applied.exit_code == 0, applied.output
    state_dir = Path(repository["RECONCILE_STATE_DIR"])
    assert (state_dir / "state.json").is_file() and (state_dir / "history.jsonl").is_file(), (
        "the files the workflow commits are where apply wrote them"
    )
    assert any((state_dir / "state.json.d").iterdir()), "and so are the org files the workflow commits"
    assert 'git add -A -- "$RECONCILE_STATE_DIR/state.json.d"' in WORKFLOW.read_text(encoding="utf-8")
    replanned = invoke("plan", "-c", repository["RECONCILE_CONFIG"], "--org", "uat", "--detailed-exitcode")
    assert replanned.exit_code == 0, replanned.output


def test_merge_without_a_reviewed_plan_plans_again(workflow: dict[str, Any], repository: dict[str, str]) -> None:
    apply_job = reconcile_commands(workflow, "apply")
    planned = invoke(*expand(apply_job["Plan again (no reviewed plan)"], repository))
    assert planned.exit_code == 0, planned.output
    applied = invoke(*expand(apply_job["Apply"], repository))
    assert applied.exit_code == 0, applied.output


def test_a_stale_plan_is_refused(workflow: dict[str, Any], repository: dict[str, str]) -> None:
    plan_job, apply_job = reconcile_commands(workflow, "plan"), reconcile_commands(workflow, "apply")
    planned = invoke(*expand(plan_job["Plan"], repository))
    assert planned.exit_code == 0, planned.output
    config = Path(repository["RECONCILE_CONFIG"])
    config.write_text(config.read_text(encoding="utf-8").replace('"APAC"]', '"APAC", "LATAM"]'), encoding="utf-8")
    applied = invoke(*expand(apply_job["Apply"], repository))
    assert applied.exit_code == 1
    assert "plan is stale" in applied.output
