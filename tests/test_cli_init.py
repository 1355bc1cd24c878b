"""``reconcile init``: a new project from nothing, then validate and plan it against the emulator; orgs
from the Salesforce CLI's ``sf org list --json`` (``sf`` is a script put first on PATH printing the shape
the CLI prints); never replacing a file; ``reconcile`` alone suggesting ``init``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from providers.salesforce.sf_orgs import parse_org_list
from tests.support.cli import invoke

ROOT = Path(__file__).resolve().parents[1]

#: ``sf org list --json`` as the CLI prints it (plugin-org's OrgListResult): an org appears in
#: ``nonScratchOrgs`` and in its category; one has no alias; one scratch org has expired.
SF_ORG_LIST = {
    "status": 0,
    "result": {
        "other": [],
        "sandboxes": [
            {
                "accessToken": "<redacted>",
                "instanceUrl": "https://acme--uat.sandbox.my.salesforce.com",
                "orgId": "00DAb0000000001EAA",
                "username": "release@acme.com.uat",
                "loginUrl": "https://test.salesforce.com",
                "clientId": "PlatformCLI",
                "isDevHub": False,
                "instanceApiVersion": "62.0",
                "alias": "acme-uat",
                "isDefaultDevHubUsername": False,
                "isDefaultUsername": True,
                "lastUsed": "2026-11-30T09:12:44.021Z",
                "connectedStatus": "Connected",
                "isSandbox": True,
                "isScratch": False,
                "orgType": "sandbox",
            }
        ],
        "nonScratchOrgs": [
            {
                "instanceUrl": "https://acme.my.salesforce.com",
                "orgId": "00DAb0000000002EAA",
                "username": "release@acme.com",
                "loginUrl": "https://login.salesforce.com",
                "isDevHub": True,
                "alias": "acme.prod",
                "connectedStatus": "Connected",
                "isSandbox": False,
                "isScratch": False,
                "orgType": "devHub",
            },
            {
                "instanceUrl": "https://acme--uat.sandbox.my.salesforce.com",
                "orgId": "00DAb0000000001EAA",
                "username": "release@acme.com.uat",
                "alias": "acme-uat",
                "connectedStatus": "Connected",
                "isSandbox": True,
            },
            {"orgId": "00DAb0000000003EAA", "username": "someone@else.com", "connectedStatus": "Connected"},
        ],
        "devHubs": [{"orgId": "00DAb0000000002EAA", "username": "release@acme.com", "alias": "acme.prod"}],
        "scratchOrgs": [
            {
                "orgId": "00DAb0000000004EAA",
                "username": "test-old@example.com",
                "alias": "old-scratch",
                "isExpired": True,
                "isScratch": True,
                "status": "Expired",
            },
            {
                "orgId": "00DAb0000000005EAA",
                "username": "test-new@example.com",
                "alias": "feature",
                "isExpired": False,
                "isScratch": True,
                "status": "Active",
            },
        ],
    },
    "warnings": [],
}


@pytest.fixture
def no_sf(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH holds no ``sf``."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return {"PATH": str(empty)}


@pytest.fixture
def fake_sf(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH starts with an ``sf`` printing ``SF_ORG_LIST`` for ``org list --json``."""
    directory = tmp_path / "bin"
    directory.mkdir()
    script = directory / "sf"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        "if sys.argv[1:] != ['org', 'list', '--skip-connection-status', '--json']:\n    sys.exit(9)\n"
        f"print(json.dumps({SF_ORG_LIST!r}))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


def test_init_then_validate_then_plan_the_emulated_example(tmp_path: Path, no_sf: dict[str, str]) -> None:
    project = tmp_path / "project"
    made = invoke("init", str(project), env=no_sf)
    assert made.exit_code == 0, made.output
    assert "Declared the emulated org 'example' (the Salesforce CLI `sf` is not installed" in made.output
    config = (project / "reconcile.toml").read_text()
    assert config.startswith("#:schema reconcile.schema.json\n")
    assert json.loads((project / "reconcile.schema.json").read_text())["title"]
    assert (project / ".gitignore").read_text().splitlines()[-1] == ".reconcile/"
    assert not (project / ".github").exists()

    checked = invoke("validate", "-c", str(project))
    assert checked.exit_code == 0, checked.output
    assert "1 org(s), 3 resource(s)" in checked.output

    planned = invoke("plan", "-c", str(project), "--detailed-exitcode", "--out", str(tmp_path / "plan.json"))
    assert planned.exit_code == 2, planned.output
    assert "+ value Bronze" in planned.output
    assert '~ layout: "Account Layout" -> "Account Sales Layout"' in planned.output
    assert "+ permission_set_grant:Sales_Ops/alice@example.com" in planned.output
    shown = invoke("show", str(tmp_path / "plan.json"), "--format", "markdown")
    assert shown.exit_code == 0 and "permission_set_grant:Sales_Ops/alice@example.com" in shown.output


def test_init_declares_the_orgs_the_salesforce_cli_knows(tmp_path: Path, fake_sf: dict[str, str]) -> None:
    made = invoke("init", str(tmp_path), env=fake_sf)
    assert made.exit_code == 0, made.output
    assert "Declared the orgs the Salesforce CLI knows: acme_prod, acme-uat, feature." in made.output
    config = (tmp_path / "reconcile.toml").read_text()
    assert '[orgs.acme_prod]\nsf_alias = "acme.prod"\nprotected = true' in config
    assert '[orgs.acme-uat]\nsf_alias = "acme-uat"\n' in config and "# release@acme.com.uat (sandbox)" in config
    assert '[orgs.feature]\nsf_alias = "feature"\n' in config
    assert config.count("protected = true") == 1
    assert "old-scratch" not in config and "someone@else.com" not in config
    assert not (tmp_path / "orgs").exists()
    checked = invoke("validate", "-c", str(tmp_path))
    assert checked.exit_code == 0, checked.output
    assert "3 org(s)" in checked.output


def test_the_org_list_is_read_once_per_username_in_cli_order() -> None:
    orgs = parse_org_list(SF_ORG_LIST["result"])  # type: ignore[arg-type]
    assert [(o.alias, o.is_sandbox, o.is_scratch, o.is_production) for o in orgs] == [
        ("acme.prod", False, False, True),
        ("acme-uat", True, False, False),
        ("feature", False, True, False),
    ]


def test_example_overrides_the_cli_and_github_writes_the_workflow(tmp_path: Path, fake_sf: dict[str, str]) -> None:
    made = invoke("init", str(tmp_path), "--example", "--github", env=fake_sf)
    assert made.exit_code == 0, made.output
    assert "as asked with --example" in made.output
    workflow = (tmp_path / ".github" / "workflows" / "reconcile.yml").read_text()
    assert yaml.safe_load(workflow)["env"]["RECONCILE_ORG"] == "example"
    shipped = (ROOT / "examples" / "github-actions" / "reconcile.yml").read_text()
    assert workflow == shipped.replace("RECONCILE_ORG: prod ", "RECONCILE_ORG: example ", 1)

    again = invoke("init", str(tmp_path), "--github", env=fake_sf)
    assert yaml.safe_load((tmp_path / ".github/workflows/reconcile.yml").read_text())["env"]["RECONCILE_ORG"] == (
        "example"
    )
    assert again.exit_code == 1
    assert "--force" in again.output


def test_init_never_replaces_a_file_unless_forced(tmp_path: Path, no_sf: dict[str, str]) -> None:
    (tmp_path / "reconcile.toml").write_text("# mine\n")
    (tmp_path / ".gitignore").write_text("*.pyc")
    refused = invoke("init", str(tmp_path), env=no_sf)
    assert refused.exit_code == 1
    assert "reconcile.toml already exists in" in refused.output and "re-run with --force" in refused.output
    assert "Traceback" not in refused.output
    assert (tmp_path / "reconcile.toml").read_text() == "# mine\n"
    assert not (tmp_path / "orgs").exists() and (tmp_path / ".gitignore").read_text() == "*.pyc"

    forced = invoke("init", str(tmp_path), "--force", env=no_sf)
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "reconcile.toml").read_text().startswith("#:schema ")
    assert (tmp_path / ".gitignore").read_text().splitlines() == [
        "*.pyc",
        "# reconcile: state lock, backups and emulated orgs",
        ".reconcile/",
    ]
    invoke("init", str(tmp_path), "--force", env=no_sf)
    assert (tmp_path / ".gitignore").read_text().count(".reconcile/") == 1


def test_reconcile_alone_suggests_init_where_there_is_no_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bare = invoke()
    assert "No reconcile.toml here. To start a project in this directory: reconcile init" in bare.output
    assert "Usage: reconcile" in bare.output
    (tmp_path / "reconcile.toml").write_text("version = 1\n")
    configured = invoke()
    assert "reconcile init" not in configured.output.split("Usage")[0]
    assert "Usage: reconcile" in configured.output
