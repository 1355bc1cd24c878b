"""``apply`` touches exactly the orgs and addresses it was told to: a saved plan narrowed by ``--org`` and
``--tag`` like a fresh one, ``--target`` on apply, and targets that name nothing refused before any org
is contacted."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_multi_org import Fleet, make_fleet


def _changes_by_org(fleet: Fleet) -> dict[str, int]:
    return {org["org"]: org["summary"]["changes"] for org in fleet.plan_json()["orgs"]}


def test_a_saved_plan_applied_with_org_changes_only_that_org(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    planfile = tmp_path / "release.plan.json"
    assert fleet.invoke("plan", "--out", str(planfile)).exit_code == 0
    before = {org: fleet.live_file(org).read_bytes() for org in ("alpha", "beta", "gamma")}

    result = fleet.invoke("apply", str(planfile), "--org", "beta", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert fleet.live_file("beta").read_bytes() != before["beta"]
    assert fleet.live_file("alpha").read_bytes() == before["alpha"]
    assert fleet.live_file("gamma").read_bytes() == before["gamma"]
    assert set(fleet.state().orgs) == {"beta"}
    remaining = _changes_by_org(fleet)
    assert remaining["beta"] == 0 and remaining["gamma"] == 7  # gamma's changes are still to do


def test_a_saved_plan_is_narrowed_by_tag_and_refuses_orgs_it_does_not_cover(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    planfile = tmp_path / "release.plan.json"
    assert fleet.invoke("plan", "--out", str(planfile), "--org", "alpha", "--org", "beta").exit_code == 0

    missing = fleet.invoke("apply", str(planfile), "--org", "gamma", "--auto-approve")
    assert missing.exit_code == 1
    assert "the saved plan does not cover gamma (it covers alpha, beta)" in missing.output

    tagged = fleet.invoke("apply", str(planfile), "--tag", "sandbox", "--auto-approve")
    assert tagged.exit_code == 0, tagged.output
    assert set(fleet.state().orgs) == {"beta"}


def test_apply_takes_target_read_like_after(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    result = fleet.invoke("apply", "--target", "permission_set_grant:Sales_Ops", "--org", "beta", "--auto-approve")
    assert result.exit_code == 0, result.output
    applied = set(fleet.state().orgs["beta"].resources)
    assert applied and all(address.startswith("permission_set_grant:Sales_Ops/") for address in applied), applied
    remaining = fleet.plan_json("--org", "beta")["orgs"][0]["changes"]
    assert remaining and not any(c["address"].startswith("permission_set_grant:Sales_Ops/") for c in remaining)


def test_a_target_that_names_nothing_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    for command in ("plan", "apply"):
        result = fleet.invoke(
            command,
            "--target",
            "picklist:Account.Tire__c",
            "--auto-approve" if command == "apply" else "--org",
            *(["--org", "alpha"] if command == "apply" else ["alpha"]),
        )
        assert result.exit_code == 1, result.output
        assert "--target picklist:Account.Tire__c names nothing in the selected orgs (alpha)" in result.output
        assert "did you mean 'picklist:Account.Tier__c'?" in result.output
    assert not fleet.live_file("alpha").exists() or fleet.state().orgs == {}


def test_a_saved_plan_with_target_is_refused(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    planfile = tmp_path / "release.plan.json"
    assert fleet.invoke("plan", "--out", str(planfile)).exit_code == 0
    result = fleet.invoke("apply", str(planfile), "--target", "picklist:Account.Tier__c", "--auto-approve")
    assert result.exit_code == 1
    assert "--target narrows a fresh plan" in result.output
    assert fleet.state().orgs == {}


def test_apply_prints_each_plan_error_once_and_the_journal_keeps_them(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, orgs=("alpha", "broken"))
    result = fleet.invoke("apply", "--auto-approve")
    assert result.exit_code == 1
    error = "permission_set_grant:Sales_Ops/alice@acme.com.broken: unknown permission set Sales_Ops"
    assert result.output.count(error) == 1, result.output
    assert "broken: not applied: the plan has 2 errors for this org (listed with it)" in result.output
    shown = fleet.invoke("history", "show", "--format", "json", _last_run(fleet))
    broken = next(org for org in json.loads(shown.output)["orgs"] if org["org"] == "broken")
    assert error in broken["error"]


def _last_run(fleet: Fleet) -> str:
    runs = json.loads(fleet.invoke("history", "--format", "json").output)
    return str(runs[0]["run_id"])
