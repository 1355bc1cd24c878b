"""Credentials never leave the environment: not in output, state, plan files, the journal or reports.

Three orgs: ``live`` and ``twin`` are emulated orgs reached with access tokens from environment
variables; ``locked`` logs in with a username, a password and a security token from the environment,
and its login fails (the login host is unreachable: an HTTPS proxy that refuses connections, so
nothing leaves this machine). Every command runs with those variables set, then stdout, stderr and
every file the commands wrote are searched for each secret value. ``--debug`` tracebacks of provider
errors are searched too (child processes, so the traceback is printed as a user sees it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from providers.emulator.embedded import EmulatorHandle
from providers.salesforce.transport import redact
from tests.support.cli import invoke, run_cli
from tests.support.emulator import StartOrg
from tests.support.scenario import OrgSpec, scenario_seed, token_env, write_config

PASSWORD = "Pw-9f3kZ!hunter2-secret"
SECURITY_TOKEN = "SecTok-4c81d0a7e2b95f36"
LOCKED = (
    'instance_url = "https://acme.my.salesforce.com"\n'
    'login_url = "https://acme.my.salesforce.com"\n'
    'auth = { method = "password", username = "deploy@acme.com", password_env = "SF_PASSWORD", '
    'security_token_env = "SF_SECURITY_TOKEN" }'
)
SCRIPT = "System.debug('ad hoc run');\n"


@dataclass
class Setup:
    live: EmulatorHandle
    twin: EmulatorHandle
    config: Path
    env: dict[str, str]
    secrets: list[str]
    outputs: list[str]

    def cli(self, *args: str) -> int:
        """Run a command in this process; keep its output for the final scan."""
        result = invoke(*args, env=self.env)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert "Traceback" not in result.output, (args, result.output)
        self.outputs.append(f"$ reconcile {' '.join(args)}\n{result.output}")
        return result.exit_code


def secret_values(*tokens: str) -> list[str]:
    """Each secret, and the random part of each token on its own (a partial leak counts too)."""
    values = [PASSWORD, SECURITY_TOKEN]
    for token in tokens:
        values += [token, token.split("!", 1)[-1]]
    return values


@pytest.fixture
def setup(tmp_path: Path, start_org: StartOrg) -> Iterator[Setup]:
    live = start_org(scenario_seed(), name="live")
    twin = start_org(scenario_seed(), name="twin")
    config = write_config(
        tmp_path / "cfg", {"live": OrgSpec(served=live), "twin": OrgSpec(served=twin), "locked": OrgSpec(extra=LOCKED)}
    )
    (tmp_path / "cfg" / "adhoc.apex").write_text(SCRIPT, encoding="utf-8")
    env = {
        **token_env({"live": live, "twin": twin}),
        "SF_PASSWORD": PASSWORD,
        "SF_SECURITY_TOKEN": SECURITY_TOKEN,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    yield Setup(live, twin, config, env, secret_values(live.access_token, twin.access_token), [])


def scan(texts: dict[str, str], secrets: list[str]) -> list[str]:
    return [f"{where} holds {secret[:6]}…" for where, text in texts.items() for secret in secrets if secret in text]


def files_under(root: Path) -> dict[str, str]:
    return {str(path): path.read_bytes().decode("utf-8", "replace") for path in root.rglob("*") if path.is_file()}


def test_no_command_writes_or_prints_a_secret(setup: Setup, tmp_path: Path) -> None:
    c = ["-c", str(setup.config)]
    out = tmp_path / "out"
    out.mkdir()
    plan_file = out / "saved.plan.json"
    assert setup.cli("validate", *c) == 0
    assert setup.cli("plan", *c) == 1  # locked cannot log in
    setup.cli("plan", *c, "--format", "json")
    setup.cli("plan", *c, "--format", "markdown")
    setup.cli("plan", *c, "--out", str(plan_file))
    assert setup.cli("show", str(plan_file)) == 0
    setup.cli("show", str(plan_file), "--format", "json")
    assert setup.cli("apply", *c, "--auto-approve", str(plan_file)) == 1
    assert setup.cli("apply", *c, "--auto-approve") == 1
    assert setup.cli("apex", "run", str(setup.config.parent / "adhoc.apex"), "--org", "live", "--auto-approve", *c) == 0
    assert setup.cli("state", "list", *c) == 0
    assert setup.cli("state", "show", "live::permission_set_grant:Analytics/alice@acme.com", *c) == 0
    assert setup.cli("history", *c) == 0
    setup.cli("history", *c, "--format", "json")
    runs = json.loads(setup.outputs[-1].split("\n", 1)[1])
    run_ids = [run["run_id"] for run in (runs["runs"] if isinstance(runs, dict) else runs)]
    for run_id in run_ids:
        setup.cli("history", "show", run_id, *c)
    setup.cli("report", "--format", "html", "--out", str(out / "report.html"), *c)
    setup.cli("report", "--format", "markdown", "--out", str(out / "report.md"), *c)
    setup.cli("report", "--format", "markdown", *c)
    setup.cli("drift", *c)
    setup.cli("drift", *c, "--format", "json")
    setup.cli("diff", "--from", "live", "--to", "twin", *c)
    setup.cli("diff", "--from", "live", "--to", "twin", "--out", str(out / "diff.toml"), *c)
    setup.cli("import", "--org", "live", "--out", str(out / "import.toml"), *c)
    setup.cli("import", "--org", "locked", *c)

    written = {**files_under(setup.config.parent / ".reconcile"), **files_under(out)}
    assert any(name.endswith("history.jsonl") for name in written)
    assert any(name.endswith("state.json") for name in written)
    assert (out / "report.html").exists() and (out / "import.toml").exists()
    everything = {**written, "command output": "\n".join(setup.outputs)}
    assert "login failed" in everything["command output"], "the locked org must have tried to log in"
    assert scan(everything, setup.secrets) == []


def test_debug_tracebacks_of_provider_errors_hold_no_secret(setup: Setup) -> None:
    """--debug prints the traceback of a provider error: a login that fails, a session the org keeps
    refusing, and a token the HTTP library rejects (and quotes) as a malformed header."""
    c = ["-c", str(setup.config)]
    setup.live.add_faults([{"action": "invalid_session", "times": 0}])
    bad_token = setup.twin.access_token[:24] + "\n" + setup.twin.access_token[24:]
    runs = [
        run_cli("--debug", "import", "--org", "locked", *c, env=setup.env),
        run_cli("--debug", "import", "--org", "live", *c, env=setup.env),
        run_cli("--debug", "diff", "--from", "twin", "--to", "live", *c, env=setup.env),
        run_cli("--debug", "import", "--org", "twin", *c, env={**setup.env, "SF_TOKEN_TWIN": bad_token}),
        run_cli("--debug", "plan", *c, env={**setup.env, "SF_TOKEN_TWIN": bad_token}),
    ]
    tracebacks = [run for run in runs[:4] if "Traceback" in run.stderr]
    assert len(tracebacks) == 4, [run.output for run in runs]
    assert "login failed" in runs[0].stderr
    assert "INVALID_SESSION_ID" in runs[1].stderr
    assert "[redacted]" in runs[3].stderr and "[redacted]" in runs[4].stdout
    texts = {f"run {i}": run.output for i, run in enumerate(runs)}
    assert scan(texts, [*setup.secrets, *bad_token.split("\n")]) == []


def test_redaction_covers_headers_and_soap_session_elements() -> None:
    """What the provider puts in an error message after a failed call is scrubbed of credentials."""
    token = "00DEm0000000001!AQ8AQ.secret-part"
    text = (
        f"header value: 'Bearer {token}\\n' / Authorization: OAuth {token} / "
        f"<env:SessionHeader><sessionId>{token}</sessionId></env:SessionHeader> / "
        f"<met:sessionId>other-session</met:sessionId> / {token}"
    )
    scrubbed = redact(text, [token])
    assert "secret-part" not in scrubbed and "other-session" not in scrubbed
    assert scrubbed.count("[redacted]") == 5
