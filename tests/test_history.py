"""The execution history: runs read back from journal records, and the ``reconcile history`` commands
against what real applies and ``apex run`` wrote."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconcile.errors import ReconcileError
from reconcile.history import build_run, find_run, read_runs, select_runs
from state.journal import Journal
from tests.conftest import Golden
from tests.support.cli import invoke
from tests.test_cli_apex import GOOD, RUNTIME_ERROR, Project, make_project

PREVIOUS_RELEASE = Path(__file__).parent / "fixtures" / "history" / "previous-release.jsonl"


def record(run_id: str, kind: str, at: str = "2030-01-01T10:00:00+00:00", **fields: Any) -> dict[str, Any]:
    return {"run_id": run_id, "type": kind, "at": at, **fields}


def start(run_id: str, orgs: list[str], changes: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    return record(
        run_id, "run_start", operation="apply", user="ada", host="ci-7", orgs=orgs, plan_file="", changes=changes or {}
    )


def planned(address: str, action: str = "update") -> dict[str, Any]:
    return {"address": address, "action": action, "reason": "why"}


def test_a_finished_run_keeps_plan_order_results_totals_and_who() -> None:
    changes = {"dev": [planned("picklist:Account.Tier__c"), planned("apex:a", "run"), planned("apex:b", "run")]}
    records = [
        start("r1", ["dev"], changes),
        record("r1", "result", org="dev", address="picklist:Account.Tier__c", ok=True, message="saved"),
        record(
            "r1",
            "result",
            org="dev",
            address="apex:a",
            ok=False,
            message="compile error",
            apex={"compiled": False, "success": False, "line": 3, "column": 26, "compile_problem": "Missing"},
            seconds=0.25,
        ),
        record("r1", "skipped", org="dev", address="apex:b", ok=False, message="upstream failed: apex:a"),
        record(
            "r1",
            "run_end",
            at="2030-01-01T10:00:05+00:00",
            ok=False,
            orgs={"dev": {"applied": 1, "failed": 1, "skipped": 1, "api_calls": 4, "seconds": 1.5, "error": ""}},
        ),
    ]
    run = build_run("r1", records)
    assert (run.status, run.user, run.host, run.operation, run.seconds, run.api_calls) == (
        "failed",
        "ada",
        "ci-7",
        "apply",
        5.0,
        4,
    )
    [dev] = run.orgs
    assert (dev.status, dev.applied, dev.failed, dev.skipped, dev.seconds) == ("failed", 1, 1, 1, 1.5)
    assert [(c.address, c.action, c.status) for c in dev.changes] == [
        ("picklist:Account.Tier__c", "update", "ok"),
        ("apex:a", "run", "failed"),
        ("apex:b", "run", "skipped"),
    ]
    assert dev.changes[1].apex is not None and dev.changes[1].apex.position == "3:26"
    assert dev.changes[1].apex.problem == "Missing" and dev.changes[1].seconds == 0.25
    assert [c.address for c in run.scripts] == ["apex:a"]


def test_a_run_without_run_end_is_interrupted_and_unreached_changes_are_not_run() -> None:
    records = [
        start("r2", ["dev", "uat"], {"dev": [planned("apex:a", "run")], "uat": [planned("apex:a", "run")]}),
        record("r2", "result", org="dev", address="apex:a", ok=True, message="ok"),
    ]
    run = build_run("r2", records)
    assert run.status == "interrupted" and run.finished_at is None and run.seconds is None
    assert [(o.org, o.status, o.applied) for o in run.orgs] == [("dev", "interrupted", 1), ("uat", "interrupted", 0)]
    assert run.orgs[1].changes[0].status == "not run"


def test_a_run_stopped_on_request_is_interrupted_too() -> None:
    records = [
        start("r3", ["dev"]),
        record(
            "r3",
            "run_end",
            ok=False,
            orgs={
                "dev": {"applied": 0, "failed": 0, "skipped": 2, "api_calls": 0, "seconds": 0.1, "error": "interrupted"}
            },
        ),
    ]
    assert build_run("r3", records).status == "interrupted"


def test_runs_are_listed_newest_first_filtered_by_org_and_limited(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "history.jsonl")
    for run_id, orgs in (("aaa111", ["dev"]), ("aaa222", ["uat"]), ("bbb333", ["dev", "uat"])):
        journal.append(start(run_id, orgs))
        journal.append(record(run_id, "run_end", ok=True, orgs={o: {"applied": 0} for o in orgs}))
    runs = read_runs(journal)
    assert [r.run_id for r in runs] == ["bbb333", "aaa222", "aaa111"]
    assert [r.run_id for r in select_runs(runs, ["dev"])] == ["bbb333", "aaa111"]
    assert [r.run_id for r in select_runs(runs, [], limit=1)] == ["bbb333"]
    assert find_run(runs, None).run_id == "bbb333" and find_run(runs, "aaa1").run_id == "aaa111"
    with pytest.raises(ReconcileError, match="names several runs"):
        find_run(runs, "aaa")
    with pytest.raises(ReconcileError, match="no run 'zzz'"):
        find_run(runs, "zzz")
    with pytest.raises(ReconcileError, match="history is empty"):
        find_run([], None)


def test_a_torn_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "history.jsonl")
    journal.append(start("r4", ["dev"]))
    with journal.path.open("a", encoding="utf-8") as handle:
        handle.write('{"run_id": "r4", "type": "res')
    runs = read_runs(journal)
    assert [r.run_id for r in runs] == ["r4"] and runs[0].status == "interrupted"
    assert journal.warnings and "torn" in journal.warnings[0]


def _failed_apply_and_apex_run(tmp_path: Path) -> tuple[Project, str, str]:
    project = make_project(
        tmp_path,
        ["dev", "uat"],
        [
            {"name": "thrower", "file": "scripts/thrower.apex", "run": "always", "orgs": ["dev"]},
            {"name": "after-thrower", "file": "scripts/good.apex", "after": ["apex:thrower"], "orgs": ["dev"]},
            {"name": "hello", "file": "scripts/good.apex", "orgs": ["uat"]},
        ],
    )
    project.write_script("thrower.apex", RUNTIME_ERROR)
    project.write_script("good.apex", GOOD)
    assert project.apply().exit_code == 1
    adhoc = project.write_script("adhoc.apex", "System.debug('audit');\n")
    assert project.invoke("apex", "run", str(adhoc), "--org", "uat", "--auto-approve").exit_code == 0
    starts = [r["run_id"] for r in project.records() if r["type"] == "run_start"]
    return project, starts[0], starts[1]


def test_history_lists_and_shows_exactly_what_happened(tmp_path: Path) -> None:
    project, apply_id, apex_id = _failed_apply_and_apex_run(tmp_path)

    listing = project.invoke("history")
    assert listing.exit_code == 0, listing.output
    rows = [line.split() for line in listing.output.splitlines() if line.split()[:1] in ([apply_id], [apex_id])]
    assert [row[:3] for row in rows] == [[apex_id, "apex", "ok"], [apply_id, "apply", "failed"]]

    shown = project.invoke("history", "show", apply_id[:6])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert f"Run {apply_id} (apply) failed" in out
    assert "dev: failed (0 applied, 1 failed, 1 skipped" in out
    assert "runtime exception at line 2, column 1: TierException: no tier for <Globex> & co" in out
    assert "upstream failed: apex:thrower" in out
    assert "USER_DEBUG|[1]|DEBUG|before" in out and "AnonymousBlock: line 2, column 1" in out
    assert "uat: ok (1 applied, 0 failed, 0 skipped" in out


def test_history_json_filters_by_org_and_limit(tmp_path: Path) -> None:
    project, apply_id, apex_id = _failed_apply_and_apex_run(tmp_path)

    everything = json.loads(project.invoke("history", "--format", "json").output)
    assert [run["run_id"] for run in everything] == [apex_id, apply_id]
    apex_run = everything[0]
    assert apex_run["operation"] == "apex" and apex_run["script"]["body"] == "System.debug('audit');\n"
    [uat] = apex_run["orgs"]
    assert uat["changes"][0]["apex"]["debug_log"].count("USER_DEBUG|[1]|DEBUG|audit") == 1
    assert isinstance(apex_run["seconds"], float) and apex_run["api_calls"] >= 1

    only_dev = json.loads(project.invoke("history", "--org", "dev", "--format", "json").output)
    assert [run["run_id"] for run in only_dev] == [apply_id]
    limited = json.loads(project.invoke("history", "--limit", "1", "--format", "json").output)
    assert [run["run_id"] for run in limited] == [apex_id]

    shown = json.loads(project.invoke("history", "show", apply_id, "--format", "json").output)
    dev = next(org for org in shown["orgs"] if org["org"] == "dev")
    assert [(c["address"], c["status"]) for c in dev["changes"]] == [
        ("apex:thrower", "failed"),
        ("apex:after-thrower", "skipped"),
    ]
    assert dev["changes"][0]["apex"]["line"] == 2 and dev["changes"][0]["script"]["run"] == "always"


def test_an_interrupted_run_is_shown_as_such(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev"])
    journal = Journal(tmp_path / ".reconcile" / "history.jsonl")
    journal.append(start("dead0001", ["dev"], {"dev": [planned("apex:a", "run")]}))
    listing = project.invoke("history")
    assert listing.exit_code == 0, listing.output
    row = next(line.split() for line in listing.output.splitlines() if line.startswith("dead0001"))
    assert row[:3] == ["dead0001", "apply", "interrupted"]
    shown = project.invoke("history", "show", "dead0001")
    assert "interrupted" in shown.output and "not run" in shown.output


def test_history_of_an_empty_journal_and_an_unknown_run(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["dev"])
    assert "No runs recorded yet." in project.invoke("history").output
    assert json.loads(project.invoke("history", "--format", "json").output) == []
    missing = project.invoke("history", "show", "nope")
    assert missing.exit_code == 1 and "the history is empty" in missing.output


def test_run_times_are_read_as_utc() -> None:
    run = build_run("r5", [start("r5", ["dev"])])
    assert run.started_at == datetime(2030, 1, 1, 10, tzinfo=UTC)


def test_a_journal_written_by_the_previous_release_reads_the_same(tmp_path: Path, golden: Golden) -> None:
    """An apply (a runtime exception, a skip, a compile error) and an ad-hoc run over two orgs, as the
    previous release wrote them: read back, listed and shown exactly as that release did."""
    project = make_project(tmp_path, ["dev"])
    (tmp_path / ".reconcile").mkdir(exist_ok=True)
    shutil.copyfile(PREVIOUS_RELEASE, tmp_path / ".reconcile" / "history.jsonl")
    runs = read_runs(Journal(tmp_path / ".reconcile" / "history.jsonl"))
    assert [(run.operation, run.status) for run in runs] == [("apex", "ok"), ("apply", "failed")]
    golden.check(
        "history-previous-release.json",
        json.dumps([run.model_dump(mode="json") for run in runs], indent=2, ensure_ascii=False) + "\n",
    )
    shown = [
        project.invoke("history"),
        *(project.invoke("history", "show", run.run_id) for run in runs),
        project.invoke("history", "--format", "json"),
    ]
    assert all(result.exit_code == 0 for result in shown), [result.output for result in shown]
    golden.check("history-previous-release.txt", "".join(result.output for result in shown))


def test_history_show_reads_the_configuration_given_before_the_subcommand(tmp_path: Path) -> None:
    project, apply_id, _ = _failed_apply_and_apex_run(tmp_path)
    shown = invoke("history", "-c", str(project.root), "show", apply_id[:6])  # no -c after `show`
    assert shown.exit_code == 0, shown.output
    assert f"Run {apply_id} (apply) failed" in shown.output
