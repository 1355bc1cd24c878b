"""``[[flow]]`` from the command line on an emulated org: plan, apply, re-plan, drift and import."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from providers.emulator.embedded import start_emulator
from tests.support.cli import invoke
from tests.support.emulator import client_for, provider_seed

CONFIG = """version = 1

[orgs.dev]
emulator = "orgs/dev.json"

[[flow]]
name = "Lead_Routing"
active_version = "latest"

[[flow]]
name = "acme__Quote_Sync"
active_version = "none"
"""


def make_project(tmp_path: Path) -> Path:
    seed: dict[str, Any] = provider_seed()
    seed["flows"] = [
        {
            "name": "Lead_Routing",
            "versions": [{"number": n, "status": "Obsolete"} for n in (1, 2, 4)] + [{"number": 3, "status": "Active"}],
        },
        {"name": "Quote_Sync", "namespace": "acme", "versions": [{"number": 1, "status": "Active"}]},
        {"name": "Case_Triage", "versions": [{"number": 1, "status": "Active"}, {"number": 2, "status": "Draft"}]},
    ]
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "dev.json").write_text(json.dumps(seed), encoding="utf-8")
    (tmp_path / "reconcile.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def run(root: Path, *args: str) -> str:
    result = invoke(*args, "-c", str(root))
    assert result.exit_code in (0, 2), result.output
    return result.stdout


def test_plan_apply_replan_drift_and_import(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    planned = run(root, "plan")
    assert "~ flow:Lead_Routing  (active version 3 -> 4 (latest))" in planned
    assert "active version: 3 -> 4 (latest)" in planned
    assert "~ flow:acme__Quote_Sync  (active version 1 -> none)" in planned

    applied = invoke("apply", "--auto-approve", "-c", str(root))
    assert applied.exit_code == 0, applied.output
    again = invoke("plan", "--detailed-exitcode", "-c", str(root))
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    # an admin activates version 2 by hand
    with start_emulator(root / ".reconcile" / "emulator" / "dev.json") as handle:
        sf = client_for(handle)
        found = sf.toolingexecute(
            "query/", params={"q": "SELECT Id FROM FlowDefinition WHERE DeveloperName = 'Lead_Routing'"}
        )
        definition = found["records"][0]["Id"]
        sf.toolingexecute(
            f"sobjects/FlowDefinition/{definition}", method="PATCH", data={"Metadata": {"activeVersionNumber": 2}}
        )
    drift = invoke("drift", "--format", "json", "--detailed-exitcode", "-c", str(root))
    assert drift.exit_code == 2, drift.output
    [org] = json.loads(drift.stdout)["orgs"]
    assert org["cells"]["flow"] == {"state": "drifted", "drifted": 1}
    [item] = org["items"]
    assert item["address"] == "flow:Lead_Routing" and item["origin"] == "outside"

    out = root / "imported.toml"
    imported = invoke("import", "--org", "dev", "--kind", "flow", "--out", str(out), "-c", str(root))
    assert imported.exit_code == 0, imported.output
    assert tomllib.loads(out.read_text(encoding="utf-8"))["flow"] == [
        {"name": "Case_Triage", "active_version": 1, "orgs": ["dev"]}
    ]  # the declared flows are left out
