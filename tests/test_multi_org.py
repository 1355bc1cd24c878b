"""Many orgs at once, through the CLI and the real provider against emulated orgs: selection, parallel
apply, and one failing org leaving the others applied.

``make_fleet`` and ``Fleet`` are shared with the drift, diff and import tests. A fleet is
a temporary configuration directory whose orgs are emulated from ``tests/emulator_seeds/multi_*.json``:
``alpha`` (no username suffix), ``beta`` (``.beta``), ``gamma`` (``.gamma``) and, when asked for,
``broken`` (``.broken``, whose seed lacks the ``Sales_Ops`` permission set).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import Result

from state.base import State
from state.local import LocalStateBackend
from tests.support.cli import invoke

SEEDS = Path(__file__).parent / "emulator_seeds"
SUFFIXES = {"alpha": "", "beta": ".beta", "gamma": ".gamma", "broken": ".broken"}
TAGS = {"alpha": ["main"], "beta": ["sandbox"], "gamma": ["sandbox"], "broken": ["sandbox"]}

FLEET_ENTRIES = """
[[picklist]]
field = "Account.Tier__c"
values = ["Gold", "Silver", { name = "Bronze", label = "Bronze tier" }]
default = "Silver"
mode = "exact"

[[picklist]]
global_value_set = "Regions"
values = ["EMEA", "AMER", "APAC"]

[[layout_assignment]]
profiles = ["Sales User", "Sales Manager"]
object = "Account"
record_type = "Enterprise"
layout = "Account Enterprise Layout"

[[permission_set_grant]]
permission_set = "Sales_Ops"
users = ["alice@acme.com", "bob@acme.com"]
exclusive = true

[[permission_set_grant]]
permission_set_group = "Sales_Bundle"
users = ["alice@acme.com"]
"""


@dataclass
class Fleet:
    """A configuration directory of emulated orgs, and the CLI run against it."""

    root: Path

    def invoke(self, *args: str) -> Result:
        """``reconcile ARGS -c ROOT`` (the config option is appended) with a wide, colourless terminal."""
        return invoke(*args, "-c", str(self.root))

    def live_file(self, org: str) -> Path:
        """Where the emulated org's live copy is kept (beside the state)."""
        return self.root / ".reconcile" / "emulator" / f"{org}.json"

    def state(self) -> State:
        return LocalStateBackend(self.root / ".reconcile" / "state.json").read()

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        return path

    def plan_json(self, *args: str) -> dict[str, Any]:
        result = self.invoke("plan", "--format", "json", *args)
        data: dict[str, Any] = json.loads(result.stdout)
        return data


def make_fleet(
    tmp_path: Path,
    orgs: tuple[str, ...] = ("alpha", "beta", "gamma"),
    entries: str = FLEET_ENTRIES,
    extra: Mapping[str, str] | None = None,
) -> Fleet:
    """A fleet of ``orgs`` declaring ``entries``; ``extra`` adds files (name -> text) to the directory."""
    root = tmp_path / "fleet"
    (root / "orgs").mkdir(parents=True)
    lines = ["version = 1", ""]
    for org in orgs:
        shutil.copy(SEEDS / f"multi_{org}.json", root / "orgs" / f"{org}.json")
        lines += [
            f"[orgs.{org}]",
            f'emulator = "orgs/{org}.json"',
            f'username_suffix = "{SUFFIXES[org]}"',
            f"tags = {json.dumps(TAGS[org])}",
            "",
        ]
    (root / "reconcile.toml").write_text("\n".join(lines) + entries, encoding="utf-8")
    for name, text in (extra or {}).items():
        (root / name).write_text(text, encoding="utf-8")
    return Fleet(root)


def org_rows(output: str) -> dict[str, list[str]]:
    """The cells of the last line starting with each first word (the closing apply summary table)."""
    rows: dict[str, list[str]] = {}
    for line in output.splitlines():
        cells = [cell for cell in re.split(r"[\s│┃]+", line) if cell]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


# -- tests -------------------------------------------------------------------------------------------


def test_a_parallel_apply_converges_every_org(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    before = fleet.plan_json()
    assert [org["org"] for org in before["orgs"]] == ["alpha", "beta", "gamma"]
    assert all(org["summary"]["changes"] > 0 for org in before["orgs"] if org["org"] != "alpha")

    applied = fleet.invoke("apply", "--auto-approve", "--parallelism", "3")
    assert applied.exit_code == 0, applied.output
    rows = org_rows(applied.stdout)
    assert [rows[org][0] for org in ("alpha", "beta", "gamma")] == ["ok", "ok", "ok"]

    again = fleet.invoke("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    state = fleet.state()
    assert sorted(state.orgs) == ["alpha", "beta", "gamma"]
    grants = [address for address in state.orgs["gamma"].resources if address.startswith("permission_set_grant:")]
    assert sorted(grants) == [
        "permission_set_grant:Sales_Ops/alice@acme.com.gamma",
        "permission_set_grant:Sales_Ops/bob@acme.com.gamma",
        "permission_set_grant:group:Sales_Bundle/alice@acme.com.gamma",
    ]


def test_org_and_tag_select_the_orgs_planned(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    tagged = fleet.plan_json("--tag", "sandbox")
    assert [org["org"] for org in tagged["orgs"]] == ["beta", "gamma"]
    mixed = fleet.plan_json("--tag", "main", "--org", "gamma")
    assert [org["org"] for org in mixed["orgs"]] == ["alpha", "gamma"]
    unknown = fleet.invoke("plan", "--org", "gamm")
    assert unknown.exit_code == 1
    assert "unknown org 'gamm'" in unknown.output and "did you mean" in unknown.output


def test_an_org_failing_preflight_leaves_the_others_applied(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path, orgs=("alpha", "beta", "broken"))
    applied = fleet.invoke("apply", "--auto-approve")
    assert applied.exit_code == 1, applied.output
    assert "unknown permission set Sales_Ops" in applied.output
    rows = org_rows(applied.stdout)
    assert rows["beta"][0] == "ok" and rows["alpha"][0] == "ok"
    assert rows["broken"][0] == "FAILED"

    converged = fleet.invoke("plan", "--org", "alpha", "--org", "beta", "--detailed-exitcode")
    assert converged.exit_code == 0, converged.output
    broken = fleet.state().orgs.get("broken")
    assert broken is None or not broken.resources


def test_an_org_running_out_of_api_calls_mid_apply_leaves_the_others_applied(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    plan = fleet.plan_json("--org", "gamma")
    calls_to_plan = plan["orgs"][0]["api_calls"]
    live = json.loads(fleet.live_file("gamma").read_text(encoding="utf-8"))
    live["organization"]["daily_api_limit"] = calls_to_plan  # planning uses them all; the first write fails
    fleet.live_file("gamma").write_text(json.dumps(live), encoding="utf-8")

    applied = fleet.invoke("apply", "--auto-approve")
    assert applied.exit_code == 1, applied.output
    rows = org_rows(applied.stdout)
    assert (rows["alpha"][0], rows["beta"][0], rows["gamma"][0]) == ("ok", "ok", "FAILED")
    assert "gamma: " in applied.stdout and "limit" in applied.stdout.lower()
    gamma = fleet.state().orgs.get("gamma")
    assert gamma is None or not gamma.resources

    converged = fleet.invoke("plan", "--org", "alpha", "--org", "beta", "--detailed-exitcode")
    assert converged.exit_code == 0, converged.output
