"""Where emulated orgs keep their live files; connecting orgs, one of which cannot log in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import reconcile.workspace as workspace_module
from reconcile.config.loader import Config, OrgConfig, load_config
from reconcile.workspace import UnavailableProvider, Workspace, emulator_data_path

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


JWT_ORG = """
[orgs.prod]
instance_url = "https://acme.my.salesforce.com"
auth = { method = "jwt", username = "deploy@acme.com", client_id_env = "SF_CLIENT_ID", key_file = "jwt.key" }
"""


def two_orgs_and_a_broken_login(tmp_path: Path) -> Workspace:
    config_with(tmp_path, 'path = ".reconcile/state.json"')
    (tmp_path / "jwt.key").write_text("not a key\n", encoding="utf-8")
    config = tmp_path / "reconcile.toml"
    config.write_text(config.read_text() + '[orgs.uat]\nemulator = "dev.json"\n' + JWT_ORG, encoding="utf-8")
    return Workspace.open(tmp_path)


def test_an_org_whose_login_fails_is_that_orgs_error_and_the_others_are_planned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_CLIENT_ID", "3MVG9-client")
    with two_orgs_and_a_broken_login(tmp_path) as workspace:
        providers = workspace.connect(["dev", "prod", "uat"])
        assert isinstance(providers["prod"], UnavailableProvider)
        assert not isinstance(providers["dev"], UnavailableProvider)
        plan = workspace.plan(["dev", "prod", "uat"])
    errors = {org.org: org.errors for org in plan.orgs}
    assert errors["dev"] == errors["uat"] == ()
    assert len(errors["prod"]) == 1 and errors["prod"][0].startswith("org prod: auth.key_file: ")
    assert "is not a PEM private key" in errors["prod"][0]


def test_a_bug_while_connecting_one_org_still_keeps_the_others_for_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = two_orgs_and_a_broken_login(tmp_path)
    closed: list[str] = []

    @dataclass
    class Connected:
        name: str

        def close(self) -> None:
            closed.append(self.name)

    def connect_org(config: Config, org: OrgConfig) -> Any:
        if org.name == "dev":
            raise RuntimeError("a bug")
        return Connected(org.name)

    monkeypatch.setattr(workspace_module, "connect_org", connect_org)
    with pytest.raises(RuntimeError, match="a bug"):
        workspace.connect(["dev", "prod", "uat"])
    workspace.close()
    assert sorted(closed) == ["prod", "uat"]


def test_a_released_plan_lets_each_org_go_once_planned_and_plans_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_CLIENT_ID", "3MVG9-client")
    with two_orgs_and_a_broken_login(tmp_path) as workspace:
        kept = workspace.plan(["dev", "prod", "uat"])
        calls = {name: provider.usage.calls for name, provider in workspace.providers.items()}
    seen: dict[str, int] = {}
    with two_orgs_and_a_broken_login(tmp_path) as workspace:
        workspace.on_release = lambda name, provider: seen.__setitem__(name, provider.usage.calls)
        released = workspace.plan(["dev", "prod", "uat"], release=True)
        assert workspace.providers == {}  # every org was closed as soon as it was planned
    assert seen == calls and seen["dev"] > 0
    assert [(o.org, o.errors, o.changes) for o in released.orgs] == [(o.org, o.errors, o.changes) for o in kept.orgs]
    assert released.orgs[1].errors[0].startswith("org prod: auth.key_file: ")  # still that org's error only
