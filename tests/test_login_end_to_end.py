"""Every way an org can be connected, end to end: ``reconcile plan`` logs in to an emulated org with each
``auth`` method (and ``sf_alias``, through the real Salesforce CLI logged in the way the GitHub workflow
does it), and a login the org refuses is that org's error, never a traceback.

The emulator verifies what Salesforce verifies (``tests/test_emulator_oauth.py``): a JWT signed with a key
other than the connected app's, a user not pre-authorized, a wrong password are refused; before, no login
path existed and only a session id handed over could connect.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cli import invoke
from tests.support.emulator import ServedOrg
from tests.support.login_seed import (
    CONSUMER_KEY,
    PASSWORD,
    RUN_AS_KEY,
    RUN_AS_SECRET,
    SECURITY_TOKEN,
    USERNAME,
    LoginSeed,
    write_login_seed,
)
from tests.support.sf_cli import run_sf, sf_env

WORKFLOW = Path(__file__).resolve().parents[1] / "examples" / "github-actions" / "reconcile.yml"
ENTRY = """
[[picklist]]
global_value_set = "Regions"
values = ["EMEA", "AMER", "APAC", "LATAM"]
"""


@pytest.fixture
def served(tmp_path: Path) -> Any:
    logins = write_login_seed(tmp_path / "login")
    data = tmp_path / "org.json"
    data.write_bytes(logins.seed.read_bytes())
    with ServedOrg(data) as org:
        yield org, logins


def org_block(name: str, org: ServedOrg, auth: str, *, login: bool = True) -> str:
    login_url = f'login_url = "{org.instance_url}"\n' if login else ""
    return f'[orgs.{name}]\ninstance_url = "{org.instance_url}"\n{login_url}ca_cert = "{org.ca_cert}"\nauth = {auth}\n'


def write_config(directory: Path, *blocks: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    state = directory / "state"
    text = f'version = 1\n[state]\npath = "{state}/state.json"\n\n' + "\n".join(blocks) + ENTRY
    (directory / "reconcile.toml").write_text(text, encoding="utf-8")
    return directory


def test_every_auth_method_logs_in_and_a_refused_login_is_the_orgs_error(
    served: tuple[ServedOrg, LoginSeed], tmp_path: Path
) -> None:
    org, logins = served
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("this is not a key\n", encoding="utf-8")
    jwt = f'{{ method = "jwt", username = "{USERNAME}", client_id_env = "E2E_CLIENT_ID"'
    config = write_config(
        tmp_path / "config",
        org_block("token", org, '{ method = "access_token", token_env = "E2E_TOKEN" }', login=False),
        org_block(
            "password",
            org,
            f'{{ method = "password", username = "{USERNAME}", password_env = "E2E_PASSWORD", '
            'security_token_env = "E2E_SECURITY_TOKEN" }',
        ),
        org_block("jwt_file", org, f'{jwt}, key_file = "{logins.key_file}" }}'),
        org_block("jwt_env", org, f'{jwt}, key_file_env = "E2E_KEY_FILE" }}'),
        org_block(
            "client_credentials",
            org,
            '{ method = "client_credentials", client_id_env = "E2E_CC_ID", client_secret_env = "E2E_CC_SECRET" }',
        ),
        # Refused: a key the connected app does not hold, a user not pre-authorized, a file that is no key,
        # a wrong password.
        org_block("wrong_key", org, f'{jwt}, key_file = "{logins.other_key_file}" }}'),
        org_block(
            "stranger",
            org,
            '{ method = "jwt", username = "nobody@acme.com", client_id_env = "E2E_CLIENT_ID", '
            f'key_file = "{logins.key_file}" }}',
        ),
        org_block("bad_key", org, f'{jwt}, key_file = "{not_a_key}" }}'),
        org_block(
            "bad_password",
            org,
            f'{{ method = "password", username = "{USERNAME}", password_env = "E2E_PASSWORD" }}',
        ),
    )
    env = {
        "E2E_TOKEN": org.access_token,
        "E2E_PASSWORD": PASSWORD,
        "E2E_SECURITY_TOKEN": SECURITY_TOKEN,
        "E2E_CLIENT_ID": CONSUMER_KEY,
        "E2E_KEY_FILE": str(logins.key_file),
        "E2E_CC_ID": RUN_AS_KEY,
        "E2E_CC_SECRET": RUN_AS_SECRET,
    }
    before = org.stats()["requests"]
    # One org at a time: they are all the same org, which one plan refuses to change twice.
    for name in ("token", "password", "jwt_file", "jwt_env", "client_credentials"):
        result = invoke("plan", "-c", str(config), "--org", name, env=env)
        assert result.exit_code == 0, result.output
        assert "+ value LATAM" in result.output
    outputs = []
    for name in ("wrong_key", "stranger", "bad_key", "bad_password"):
        result = invoke("plan", "-c", str(config), "--org", name, env=env)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert f"error: org {name}: " in result.output and "LATAM" not in result.output
        outputs.append(result.output)
    output = "\n".join(outputs)
    after = org.stats()["requests"]
    logged_in = {
        key: after.get(key, 0) - before.get(key, 0) for key in ("POST /services/oauth2/token", "POST Soap/u login")
    }
    assert logged_in == {"POST /services/oauth2/token": 5, "POST Soap/u login": 2}, after
    assert "org wrong_key: login failed" in output and "invalid assertion" in output and "[invalid_grant]" in output
    assert "org stranger: login failed" in output and "user hasn't approved this consumer" in output
    assert f"org bad_key: auth.key_file: {not_a_key} is not a PEM private key" in output
    assert "org bad_password: login failed" in output and "[INVALID_LOGIN]" in output
    for secret in (PASSWORD, SECURITY_TOKEN, RUN_AS_SECRET, org.access_token):
        assert secret not in output


def login_step() -> str:
    """The script of the GitHub workflow's JWT login step (the plan and apply jobs share it)."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    scripts = {
        str(step["run"])
        for job in ("plan", "apply")
        for step in workflow["jobs"][job]["steps"]
        if step.get("name") == "Log in to the org (JWT)"
    }
    assert len(scripts) == 1, scripts
    return scripts.pop()


def test_the_workflows_login_step_logs_the_sf_cli_in_and_sf_alias_plans_with_it(
    served: tuple[ServedOrg, LoginSeed], tmp_path: Path
) -> None:
    org, logins = served
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = sf_env(tmp_path / "home", org.ca_cert)
    step_env = {
        **env,
        "SF_CLIENT_ID": CONSUMER_KEY,
        "SF_JWT_KEY": logins.key_file.read_text(encoding="utf-8"),
        "SF_USERNAME": USERNAME,
        "SF_LOGIN_URL": org.instance_url,
        "RECONCILE_ORG": "prod",
        "RUNNER_TEMP": str(runner_temp),
    }
    step = subprocess.run(["bash", "-e", "-c", login_step()], env=step_env, capture_output=True, text=True, timeout=180)
    assert step.returncode == 0, step.stdout + step.stderr
    assert list(runner_temp.iterdir()) == []  # the key file is removed
    assert run_sf(env, "org", "display", "--target-org", "prod")["result"]["username"] == USERNAME

    config = write_config(tmp_path / "config", f'[orgs.prod]\nsf_alias = "prod"\nca_cert = "{org.ca_cert}"\n')
    planned = invoke(
        "plan", "-c", str(config), env={k: v for k, v in env.items() if k not in os.environ or os.environ[k] != v}
    )
    assert planned.exit_code == 0, planned.output
    assert "+ value LATAM" in planned.output

    stranger = subprocess.run(
        ["bash", "-e", "-c", login_step()],
        env={**step_env, "SF_USERNAME": "nobody@acme.com", "RECONCILE_ORG": "other"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert stranger.returncode != 0
    assert "user hasn't approved this consumer" in stranger.stdout + stranger.stderr
