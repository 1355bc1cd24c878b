"""Where emulated orgs keep their live files."""

from __future__ import annotations

from pathlib import Path

from reconcile.config.loader import load_config
from reconcile.workspace import emulator_data_path

CONFIG = """
version = 1
[state]
{state}
[orgs.dev]
emulator = "dev.json"
"""


def config_with(tmp_path: Path, state: str) -> Path:
    (tmp_path / "dev.json").write_text('{"schema_version": 1, "organization": {"name": "Dev"}}')
    (tmp_path / "reconcile.toml").write_text(CONFIG.format(state=state))
    return tmp_path


def test_local_state_keeps_emulated_orgs_beside_the_state_file(tmp_path: Path) -> None:
    config = load_config(config_with(tmp_path, 'path = "var/state.json"'))
    assert emulator_data_path(config, "dev") == tmp_path / "var" / "emulator" / "dev.json"


def test_a_shared_backend_gives_each_workspace_its_own_emulated_orgs(tmp_path: Path) -> None:
    prod = load_config(config_with(tmp_path, 'backend = "postgres"\npath = "/fleet/prod"'))
    staging = load_config(config_with(tmp_path, 'backend = "postgres"\npath = "fleet/staging"'))
    assert emulator_data_path(prod, "dev") == tmp_path / ".reconcile" / "emulator" / "fleet_prod" / "dev.json"
    assert emulator_data_path(staging, "dev").parent != emulator_data_path(prod, "dev").parent
