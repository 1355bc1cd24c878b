"""CLI behaviour that needs no org: validate, show, state, errors without tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.config.loader import load_config
from reconcile.planfile import save_plan
from state.base import OrgState, State, StateEntry
from state.local import LocalStateBackend
from tests.plans import sample_plan

CONFIGS = Path(__file__).parent / "configs"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.output


def test_validate_accepts_a_good_config(runner: CliRunner) -> None:
    code, out = invoke(runner, "validate", "-c", str(CONFIGS / "split-directory"))
    assert code == 0, out
    assert "The configuration is valid" in out


@pytest.mark.parametrize("scenario", ["unknown-key", "toml-syntax-error", "literal-secret", "dangling-after"])
def test_validate_reports_location_without_traceback(runner: CliRunner, scenario: str) -> None:
    code, out = invoke(runner, "validate", "-c", str(CONFIGS / scenario))
    assert code == 1
    assert "Traceback" not in out
    assert "reconcile.toml:" in out
    assert "Error:" in out


def test_validate_missing_config_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    code, out = invoke(runner, "validate", "-c", str(tmp_path / "nope.toml"))
    assert code == 1
    assert "nope.toml" in out
    assert "Traceback" not in out


def test_show_renders_a_saved_plan_in_every_format(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    code, text = invoke(runner, "show", str(path))
    assert code == 0, text
    assert "Deletes in this plan:" in text
    code, md = invoke(runner, "show", str(path), "--format", "markdown")
    assert code == 0 and "| org |" in md.replace("|  org", "| org")
    code, js = invoke(runner, "show", str(path), "--format", "json")
    assert code == 0
    assert json.loads(js)["format_version"] == 1


def test_show_refuses_a_tampered_plan(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    data = json.loads(path.read_text())
    data["plan"]["config_digest"] = "0" * 64
    path.write_text(json.dumps(data))
    code, out = invoke(runner, "show", str(path))
    assert code == 1
    assert "checksum" in out
    assert "Traceback" not in out


def make_state_config(tmp_path: Path) -> tuple[Path, LocalStateBackend]:
    config = tmp_path / "cfg"
    shutil.copytree(CONFIGS / "split-directory", config)
    return config, LocalStateBackend(load_config(config).state_path)


def seed_state(backend: LocalStateBackend) -> None:
    state = State(
        orgs={
            "dev": OrgState(
                org_id="00D000000000001AAA",
                resources={
                    "picklist:Account.Tier__c": StateEntry(kind="picklist", attributes={"target": "Account.Tier__c"}),
                    "apex:hello": StateEntry(kind="apex"),
                },
            )
        }
    )
    backend.write(state)


def test_state_list_show_rm(runner: CliRunner, tmp_path: Path) -> None:
    config, backend = make_state_config(tmp_path)
    seed_state(backend)

    code, out = invoke(runner, "state", "list", "-c", str(config))
    assert code == 0, out
    assert out.splitlines() == ["dev::apex:hello", "dev::picklist:Account.Tier__c"]

    code, out = invoke(runner, "state", "list", "-c", str(config), "--format", "json")
    assert code == 0, out
    assert [(row["org"], row["address"], row["kind"]) for row in json.loads(out)] == [
        ("dev", "apex:hello", "apex"),
        ("dev", "picklist:Account.Tier__c", "picklist"),
    ]

    code, out = invoke(runner, "state", "show", "picklist:Account.Tier__c", "-c", str(config))
    assert code == 0, out
    assert json.loads(out)["attributes"] == {"target": "Account.Tier__c"}

    code, out = invoke(runner, "state", "rm", "dev::apex:hello", "-c", str(config))
    assert code == 0, out
    assert list(backend.read().orgs["dev"].resources) == ["picklist:Account.Tier__c"]
    assert backend.read().serial == 2

    code, out = invoke(runner, "state", "show", "apex:hello", "-c", str(config))
    assert code == 1
    assert "no org" in out


def test_state_unlock_unknown_id_names_the_problem(runner: CliRunner, tmp_path: Path) -> None:
    config, _ = make_state_config(tmp_path)
    code, out = invoke(runner, "state", "unlock", "deadbeef", "-c", str(config))
    assert code == 1
    assert "Traceback" not in out


def test_version(runner: CliRunner) -> None:
    code, out = invoke(runner, "--version")
    assert code == 0
    assert out.startswith("reconcile ")
