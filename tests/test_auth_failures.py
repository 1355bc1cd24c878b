"""An org that cannot log in is that org's failure, never the run's: through the CLI, with emulated orgs.

The configuration holds the quickstart's two emulated orgs (``dev``, ``uat``) and ``prod``, whose login
fails before it would reach the network (a JWT key file that is not a key, a variable that is not set,
the ``sf`` CLI missing, ...). ``plan`` exits 1, names prod and the setting to fix, and still shows the
other orgs' plans; ``apply`` applies them and journals prod as failed. ``validate`` reports a ``key_file``
that does not exist with its file and line. Every run is behind an HTTPS proxy that refuses connections,
so nothing leaves this machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from reconcile.cli import app

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
CLIENT_ID = "3MVG9-client-id-value"
ENV = {
    "COLUMNS": "200",
    "NO_COLOR": "1",
    "SF_CLIENT_ID": CLIENT_ID,
    "SF_CLIENT_SECRET": "cs-secret-value",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
PROD = 'instance_url = "https://acme.my.salesforce.com"\n'
JWT = 'auth = { method = "jwt", username = "deploy@acme.com", client_id_env = "SF_CLIENT_ID", '


def workspace(root: Path, prod: str) -> Path:
    """The quickstart's orgs and entries plus ``[orgs.prod]`` holding ``prod``; returns the directory."""
    shutil.copytree(QUICKSTART, root)
    config = root / "reconcile.toml"
    text = config.read_text(encoding="utf-8").replace("\n[orgs.uat]", f"\n[orgs.prod]\n{prod}\n[orgs.uat]", 1)
    config.write_text(text, encoding="utf-8")
    (root / "certs").mkdir()
    (root / "certs" / "jwt.key").write_text("this file is not a private key\n", encoding="utf-8")
    return root


def reconcile(root: Path, *args: str, **env: str) -> Result:
    result = CliRunner().invoke(app, [*args, "-c", str(root)], env={**ENV, **env})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and CLIENT_ID not in result.output, result.output
    return result


def history(root: Path) -> list[dict[str, Any]]:
    """The journal's records (one JSON object a line)."""
    lines = (root / ".reconcile" / "history.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_validate_reports_a_key_file_that_does_not_exist_with_file_and_line(tmp_path: Path) -> None:
    root = workspace(tmp_path / "cfg", PROD + JWT + 'key_file = "certs/missing.key" }\n')
    result = reconcile(root, "validate")
    assert result.exit_code == 1, result.output
    config = root / "reconcile.toml"
    line = (
        config.read_text(encoding="utf-8")
        .splitlines()
        .index(next(text for text in config.read_text(encoding="utf-8").splitlines() if "missing.key" in text))
        + 1
    )
    assert f"{config}:{line}:" in result.output
    assert "[orgs.prod]: jwt key file not found: certs/missing.key" in result.output
    assert "key_file_env" in result.output

    ok = workspace(tmp_path / "ok", PROD + JWT + 'key_file = "certs/jwt.key" }\n')
    assert reconcile(ok, "validate").exit_code == 0


def test_a_key_file_that_is_not_a_key_fails_that_org_and_the_others_are_planned_and_applied(tmp_path: Path) -> None:
    root = workspace(tmp_path / "cfg", PROD + JWT + 'key_file = "certs/jwt.key" }\n')
    plan = reconcile(root, "plan")
    assert plan.exit_code == 1, plan.output
    assert f"org prod: auth.key_file: {root / 'certs' / 'jwt.key'} is not a PEM private key" in plan.output
    assert "dev (Acme Dev, 00D" in plan.output and "uat (Acme UAT, 00D" in plan.output
    assert "+ permission_set_grant:group:Sales_Bundle/dave@acme.com " in plan.output
    assert "- permission_set_grant:Sales_Ops/carol@acme.com.uat" in plan.output
    assert "prod has errors" in plan.output

    applied = reconcile(root, "apply", "--auto-approve")
    assert applied.exit_code == 1, applied.output
    assert "prod: not applied: the plan has 1 error for this org (listed with it)" in applied.output
    assert applied.output.count("org prod: auth.key_file:") == 1  # shown once, with the plan
    end = next(record for record in history(root) if record["type"] == "run_end")
    assert end["ok"] is False
    assert "auth.key_file" in end["orgs"]["prod"]["error"] and end["orgs"]["prod"]["applied"] == 0
    assert end["orgs"]["dev"]["applied"] > 0 and end["orgs"]["uat"]["applied"] > 0
    assert end["orgs"]["dev"]["error"] == end["orgs"]["uat"]["error"] == ""
    shown = reconcile(root, "history", "--format", "json")
    runs = json.loads(shown.output)
    statuses = {org["org"]: org["status"] for org in (runs["runs"] if isinstance(runs, dict) else runs)[0]["orgs"]}
    assert statuses == {"dev": "ok", "prod": "failed", "uat": "ok"}

    again = reconcile(root, "plan", "--org", "dev", "--org", "uat", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    ("prod", "env", "expected"),
    [
        (
            PROD + 'auth = { method = "access_token", token_env = "SF_UNSET_TOKEN" }',
            {},
            "auth.token_env: environment variable SF_UNSET_TOKEN is not set",
        ),
        (
            PROD + 'auth = { method = "password", username = "deploy@acme.com", password_env = "SF_UNSET_PW" }',
            {},
            "auth.password_env: environment variable SF_UNSET_PW is not set",
        ),
        (
            PROD + 'auth = { method = "password", username = "deploy@acme.com", password_env = "SF_CLIENT_SECRET" }',
            {},
            "login failed: cannot reach https://login.salesforce.com (ProxyError)",
        ),
        (
            PROD + JWT + 'key_file_env = "SF_UNSET_KEY" }',
            {},
            "auth.key_file_env: environment variable SF_UNSET_KEY is not set",
        ),
        (
            PROD + JWT + 'key_file_env = "SF_JWT_KEY" }',
            {"SF_JWT_KEY": "/nowhere/jwt.key"},
            "auth.key_file_env: the private key file /nowhere/jwt.key (the path in SF_JWT_KEY) does not exist",
        ),
        (
            PROD + 'auth = { method = "client_credentials", client_id_env = "SF_CLIENT_ID", '
            'client_secret_env = "SF_UNSET_SECRET" }',
            {},
            "auth.client_secret_env: environment variable SF_UNSET_SECRET is not set",
        ),
        (
            PROD + 'auth = { method = "client_credentials", client_id_env = "SF_CLIENT_ID", '
            'client_secret_env = "SF_CLIENT_SECRET" }',
            {},
            "login_url: the client credentials flow logs in only at the org's My Domain",
        ),
        (
            'sf_alias = "acme-prod"',
            {"PATH": "/nowhere"},
            "sf_alias 'acme-prod': the Salesforce CLI `sf` is not installed",
        ),
    ],
)
def test_every_login_failure_is_one_orgs_error(tmp_path: Path, prod: str, env: dict[str, str], expected: str) -> None:
    root = workspace(tmp_path / "cfg", prod + "\n")
    plan = reconcile(root, "plan", "--org", "dev", "--org", "prod", **env)
    assert plan.exit_code == 1, plan.output
    assert f"org prod: {expected}" in plan.output
    assert "dev (Acme Dev, 00D" in plan.output and "Sales_Bundle/dave@acme.com" in plan.output


def test_a_missing_key_file_fails_validate_but_plan_goes_on_for_the_other_orgs(tmp_path: Path) -> None:
    root = workspace(tmp_path / "cfg", PROD + JWT + 'key_file = "certs/missing.key" }\n')
    plan = reconcile(root, "plan")
    assert plan.exit_code == 1, plan.output
    assert "dev (Acme Dev, 00D" in plan.output and "uat (Acme UAT, 00D" in plan.output
    assert "prod has errors" in plan.output
    only_dev = reconcile(root, "plan", "--org", "dev")
    assert only_dev.exit_code == 0, only_dev.output
