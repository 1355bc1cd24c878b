"""Apex end to end: ``[[apex]]`` run policies through ``reconcile apply``, failures with their position
skipping dependents, and ``reconcile apex run`` across emulated orgs, all through the real provider."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from providers.base import APEX_MAX_CHARS, ApexResult, Provider
from reconcile.adhoc_apex import OrgScriptRun, run_everywhere
from reconcile.errors import ProviderError
from reconcile.history.writer import script_end_fields
from reconcile.model import sha256_hex
from reconcile.workspace import UnavailableProvider
from state.journal import Journal
from tests.support.cli import invoke
from tests.support.emulator import BASIC_SEED
from tests.support.fakes import FakeProvider

GOOD = "System.debug('tiers backfilled');\n"
COMPILE_ERROR = "Integer x = 1;\nif (x == 1) {\n    System.debug('open');\n"
RUNTIME_ERROR = "System.debug('before');\nthrow new TierException('no tier for <Globex> & co');\n"


@dataclass(frozen=True)
class Project:
    """A config directory with emulated orgs made from the basic seed."""

    root: Path

    def write_script(self, name: str, body: str) -> Path:
        path = self.root / "scripts" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(body, encoding="utf-8")
        return path

    def invoke(self, *args: str) -> Result:
        return invoke(*args, "-c", str(self.root))

    def apply(self) -> Result:
        return self.invoke("apply", "--auto-approve")

    def records(self) -> list[dict[str, Any]]:
        return Journal(self.root / ".reconcile" / "history.jsonl").read()


def make_project(root: Path, orgs: Sequence[str], apex: Sequence[dict[str, Any]] = ()) -> Project:
    """``orgs`` emulated from the basic seed (each tagged "fleet"), plus ``[[apex]]`` entries."""
    (root / "orgs").mkdir(parents=True)
    lines = ["version = 1", ""]
    for org in orgs:
        shutil.copy(BASIC_SEED, root / "orgs" / f"{org}.json")
        lines += [f"[orgs.{org}]", f'emulator = "orgs/{org}.json"', 'tags = ["fleet"]', ""]
    for entry in apex:
        lines.append("[[apex]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
        lines.append("")
    (root / "reconcile.toml").write_text("\n".join(lines), encoding="utf-8")
    return Project(root)


def results(project: Project, run_type: str = "result") -> list[dict[str, Any]]:
    return [r for r in project.records() if r["type"] == run_type]


def ran(project: Project) -> list[str]:
    """``org::address`` of every apex result recorded, in journal order."""
    return [f"{r['org']}::{r['address']}" for r in results(project) if "apex" in r]


def test_run_policies_once_on_change_and_always_across_repeated_applies(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        ["dev"],
        [
            {"name": "seed", "file": "scripts/seed.apex", "run": "once"},
            {"name": "sync", "file": "scripts/sync.apex", "run": "on_change"},
            {"name": "ping", "file": "scripts/ping.apex", "run": "always"},
        ],
    )
    for name in ("seed", "sync", "ping"):
        project.write_script(f"{name}.apex", f"System.debug('{name}');\n")

    first = project.apply()
    assert first.exit_code == 0, first.output
    assert sorted(ran(project)) == ["dev::apex:ping", "dev::apex:seed", "dev::apex:sync"]

    second = project.apply()
    assert second.exit_code == 0, second.output
    assert ran(project)[3:] == ["dev::apex:ping"]

    project.write_script("sync.apex", "System.debug('sync, second version');\n")
    project.write_script("seed.apex", "System.debug('seed, edited: still runs once');\n")
    third = project.apply()
    assert third.exit_code == 0, third.output
    assert sorted(ran(project)[4:]) == ["dev::apex:ping", "dev::apex:sync"]
    assert "file changed since last successful run" in third.output
    sync_logs = [r["apex"]["debug_log"] for r in results(project) if r["address"] == "apex:sync"]
    assert "USER_DEBUG|[1]|DEBUG|sync, second version" in sync_logs[-1]


def test_the_plan_shows_the_scripts_sha256_and_first_lines(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev"], [{"name": "seed", "file": "scripts/seed.apex"}])
    body = "".join(f"System.debug('line {n}');\n" for n in range(1, 6))
    project.write_script("seed.apex", body)
    result = project.invoke("plan")
    assert result.exit_code == 0, result.output
    assert "> apex:seed  (never ran in this org)" in result.output
    assert f"sha256: {sha256_hex(body)}" in result.output
    assert "| System.debug('line 3');" in result.output and "line 4" not in result.output
    assert "| ... 2 more lines" in result.output


def test_compile_and_runtime_failures_show_their_position_and_skip_dependents(tmp_path: Path) -> None:
    project = make_project(
        tmp_path,
        ["dev"],
        [
            {"name": "broken", "file": "scripts/broken.apex", "run": "always"},
            {"name": "after-broken", "file": "scripts/good.apex", "run": "always", "after": ["apex:broken"]},
            {"name": "thrower", "file": "scripts/thrower.apex", "run": "always"},
            {"name": "after-thrower", "file": "scripts/good.apex", "run": "always", "after": ["apex:thrower"]},
            {"name": "independent", "file": "scripts/good.apex", "run": "always"},
        ],
    )
    project.write_script("broken.apex", COMPILE_ERROR)
    project.write_script("thrower.apex", RUNTIME_ERROR)
    project.write_script("good.apex", GOOD)

    result = project.apply()

    assert result.exit_code == 1, result.output
    assert "dev::apex:broken: FAILED compile error at line 3, column 26: Missing '}' at '<EOF>'" in result.output
    assert (
        "dev::apex:thrower: FAILED runtime exception at line 2, column 1: TierException: no tier for <Globex> & co"
    ) in result.output
    assert "dev::apex:after-broken: skipped (upstream failed: apex:broken)" in result.output
    assert "dev::apex:after-thrower: skipped (upstream failed: apex:thrower)" in result.output
    outcomes = {r["address"]: r for r in results(project)}
    assert outcomes["apex:independent"]["ok"] is True
    compile_failure = outcomes["apex:broken"]["apex"]
    assert (compile_failure["compiled"], compile_failure["line"], compile_failure["column"]) == (False, 3, 26)
    thrown = outcomes["apex:thrower"]["apex"]
    assert (thrown["compiled"], thrown["success"], thrown["line"]) == (True, False, 2)
    assert thrown["exception_stack_trace"] == "AnonymousBlock: line 2, column 1"
    assert "USER_DEBUG|[1]|DEBUG|before" in thrown["debug_log"]
    skipped = {r["address"] for r in results(project, "skipped")}
    assert skipped == {"apex:after-broken", "apex:after-thrower"}


def test_apex_run_over_three_orgs_journals_three_results(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev", "qa", "uat"])
    script = project.write_script("adhoc.apex", "System.debug('fleet check');\n")

    result = project.invoke("apex", "run", str(script), "--tag", "fleet", "--auto-approve", "--parallelism", "3")

    assert result.exit_code == 0, result.output
    for org in ("dev", "qa", "uat"):
        assert any(line.split()[:4] == [org, "│", "yes", "│"] for line in result.output.splitlines()), result.output
    start, *outcomes, end = project.records()
    assert start["type"] == "run_start" and start["operation"] == "apex"
    assert start["orgs"] == ["dev", "qa", "uat"] and start["script"]["body"] == "System.debug('fleet check');\n"
    assert sorted(r["org"] for r in outcomes) == ["dev", "qa", "uat"]
    assert all(r["ok"] and "USER_DEBUG|[1]|DEBUG|fleet check" in r["apex"]["debug_log"] for r in outcomes)
    assert all(r["api_calls"] >= 1 for r in outcomes)
    assert end["type"] == "run_end" and end["ok"] is True
    assert not (tmp_path / ".reconcile" / "state.json").exists()  # no run ledger entry, no state write


def test_apex_run_reports_each_orgs_failure_and_exits_1(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev", "uat"])
    script = project.write_script("bad.apex", RUNTIME_ERROR)

    result = project.invoke("apex", "run", str(script), "--org", "dev", "--org", "uat", "--auto-approve")

    assert result.exit_code == 1, result.output
    rows = [line for line in result.output.splitlines() if line.split()[:1] in (["dev"], ["uat"])]
    assert len(rows) == 2 and all("│ yes      │ no      │ 2:1" in row for row in rows), result.output
    assert "error: dev: runtime exception at line 2, column 1: TierException" in result.output
    end = results(project, "run_end")[0]
    assert end["ok"] is False and end["orgs"]["uat"]["failed"] == 1


def test_apex_run_refuses_without_a_terminal_and_never_contacts_an_org(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev", "uat"])
    script = project.write_script("adhoc.apex", GOOD)

    result = project.invoke("apex", "run", str(script), "--org", "dev", "--org", "uat")

    assert result.exit_code == 1
    assert "asks before running" in result.output and "dev, uat" in result.output
    assert "--auto-approve" in result.output
    assert project.records() == []
    assert not (tmp_path / ".reconcile" / "emulator").exists()


def test_apex_run_asks_and_runs_after_yes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, ["dev"])
    script = project.write_script("adhoc.apex", GOOD)
    monkeypatch.setattr("reconcile.cli.apex.stdin_is_terminal", lambda: True)

    result = invoke("apex", "run", str(script), "--org", "dev", "-c", str(tmp_path), input="yes\n")

    assert result.exit_code == 0, result.output
    assert f"Run {script} on dev?" in result.output
    assert [r["org"] for r in results(project)] == ["dev"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * (APEX_MAX_CHARS + 1), "has 32,001 characters; executeAnonymous accepts at most 32,000"),
        ("  \n", "is empty"),
    ],
)
def test_apex_run_refuses_a_script_it_cannot_send_before_any_call(tmp_path: Path, body: str, message: str) -> None:
    project = make_project(tmp_path, ["dev"])
    script = project.write_script("big.apex", body)

    result = project.invoke("apex", "run", str(script), "--org", "dev", "--auto-approve")

    assert result.exit_code == 1
    assert message in result.output
    assert project.records() == [] and not (tmp_path / ".reconcile" / "emulator").exists()


def test_apex_run_needs_orgs_named(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev"])
    script = project.write_script("adhoc.apex", GOOD)
    result = project.invoke("apex", "run", str(script), "--auto-approve")
    assert result.exit_code == 1 and "--org NAME or --tag T" in result.output


def test_an_org_that_cannot_be_used_fails_alone_and_the_others_run() -> None:
    thrower = ApexResult(compiled=True, success=False, line=1, column=1, exception_message="E: x")
    providers: dict[str, Provider] = {
        "ok": FakeProvider(),
        "broken": UnavailableProvider(ProviderError("cannot log in to broken")),
        "thrower": FakeProvider(apex_outcome=thrower),
    }
    finished: list[str] = []
    runs = run_everywhere(providers, GOOD, 2, lambda run: finished.append(run.org))
    assert sorted(finished) == [run.org for run in runs] == ["broken", "ok", "thrower"]
    by_org: dict[str, OrgScriptRun] = {run.org: run for run in runs}
    assert (by_org["ok"].ok, by_org["ok"].api_calls, by_org["ok"].message) == (True, 1, "ok")
    assert (by_org["broken"].ok, by_org["broken"].outcome) == (False, None)
    assert "cannot log in to broken" in by_org["broken"].message
    assert by_org["thrower"].message == "runtime exception at line 1, column 1: E: x"
    end = script_end_fields(runs)
    assert end["ok"] is False and end["orgs"]["ok"]["applied"] == 1
    assert end["orgs"]["broken"]["failed"] == 1 and "cannot log in" in end["orgs"]["broken"]["error"]
