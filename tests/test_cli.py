"""CLI behaviour that needs no org: validate, show, state, errors without tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconcile.config.loader import load_config
from reconcile.planfile import save_plan
from state.base import OrgState, State, StateEntry
from state.local import LocalStateBackend
from tests.plans import sample_plan
from tests.support.cli import invoke
from tests.support.corpus import BAD_CONFIGS

CONFIGS = Path(__file__).parent / "configs"


def test_validate_accepts_a_good_config() -> None:
    result = invoke("validate", "-c", str(CONFIGS / "split-directory"))
    assert result.exit_code == 0, result.output
    assert "The configuration is valid" in result.output


@pytest.mark.parametrize(
    "scenario", ["unknown-key-in-entry", "toml-syntax-error", "literal-password", "misspelt-after-address"]
)
def test_validate_reports_location_without_traceback(scenario: str) -> None:
    result = invoke("validate", "-c", str(BAD_CONFIGS / scenario))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "reconcile.toml:" in result.output
    assert "Error:" in result.output


def test_validate_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke("validate", "-c", str(tmp_path / "nope.toml"))
    assert result.exit_code == 1
    assert "nope.toml" in result.output
    assert "Traceback" not in result.output


def test_show_renders_a_saved_plan_in_every_format(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    result = invoke("show", str(path))
    assert result.exit_code == 0, result.output
    assert "Deletes in this plan:" in result.output
    result = invoke("show", str(path), "--format", "markdown")
    assert result.exit_code == 0 and "| org |" in result.output.replace("|  org", "| org")
    result = invoke("show", str(path), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["format_version"] == 1


def test_show_refuses_a_tampered_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    data = json.loads(path.read_text())
    data["plan"]["config_digest"] = "0" * 64
    path.write_text(json.dumps(data))
    result = invoke("show", str(path))
    assert result.exit_code == 1
    assert "checksum" in result.output
    assert "Traceback" not in result.output


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


def test_state_list_show_rm(tmp_path: Path) -> None:
    config, backend = make_state_config(tmp_path)
    seed_state(backend)

    result = invoke("state", "list", "-c", str(config))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["dev::apex:hello", "dev::picklist:Account.Tier__c"]

    result = invoke("state", "list", "-c", str(config), "--format", "json")
    assert result.exit_code == 0, result.output
    assert [(row["org"], row["address"], row["kind"]) for row in json.loads(result.output)] == [
        ("dev", "apex:hello", "apex"),
        ("dev", "picklist:Account.Tier__c", "picklist"),
    ]

    result = invoke("state", "show", "picklist:Account.Tier__c", "-c", str(config))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["attributes"] == {"target": "Account.Tier__c"}

    result = invoke("state", "rm", "dev::apex:hello", "-c", str(config))
    assert result.exit_code == 0, result.output
    assert list(backend.read().orgs["dev"].resources) == ["picklist:Account.Tier__c"]
    assert backend.read().serial == 2

    result = invoke("state", "show", "apex:hello", "-c", str(config))
    assert result.exit_code == 1
    assert "no org" in result.output


def test_state_unlock_unknown_id_names_the_problem(tmp_path: Path) -> None:
    config, _ = make_state_config(tmp_path)
    result = invoke("state", "unlock", "deadbeef", "-c", str(config))
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.startswith("reconcile ")
