"""Connecting: the embedded emulator, access tokens from the environment, the sf CLI, and Apex."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from providers.base import Provider
from providers.salesforce import OrgConnection, SalesforceProvider, connect
from providers.salesforce.session import metadata_wsdl
from reconcile.errors import ProviderError
from reconcile.kinds.apex import ApexScript
from reconcile.model import Action, Change
from reconcile.workspace import connect_emulated
from tests.support.emulator import TOKEN_ENV, EmulatedOrg, connection_for, provider_seed


def test_an_emulator_seed_starts_an_org_beside_the_state(tmp_path: Path) -> None:
    seed = tmp_path / "dev.json"
    seed.write_text(json.dumps(provider_seed()), encoding="utf-8")
    data = tmp_path / ".reconcile" / "emulator" / "dev.json"
    sleeps: list[float] = []
    provider = connect_emulated(OrgConnection("dev"), seed=seed, data=data, sleep=sleeps.append)
    try:
        assert isinstance(provider, SalesforceProvider) and isinstance(provider, Provider)
        identity = provider.identity()
        assert identity.org_id.startswith("00D") and identity.name == "Acme Test" and identity.is_sandbox
        assert identity.api_version == "62.0"
        provider.identity()
        assert provider.usage.by_endpoint == {"GET query": 1}  # cached
        assert provider.usage.limit_used == 1 and provider.usage.limit_max == 100000
        assert data.is_file()
    finally:
        provider.close()
    with pytest.raises(ProviderError, match="org dev"):
        provider.read("permission_set_grant", ["Sales_Ops/*"])  # close() stopped the emulator


def test_a_missing_token_variable_is_named_never_its_value(
    emulated: Callable[..., EmulatedOrg], monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulated()
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(ProviderError, match=f"environment variable {TOKEN_ENV}"):
        connect(connection_for(org.handle))

    monkeypatch.setenv(TOKEN_ENV, "00Dxx!not-the-token")
    provider = connect(connection_for(org.handle), sleep=lambda _s: None)
    with pytest.raises(ProviderError) as caught:
        provider.identity()
    assert caught.value.code == "INVALID_SESSION_ID"
    assert "not-the-token" not in str(caught.value)
    provider.close()


def test_unknown_auth_method_and_missing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ProviderError, match="unknown auth method 'oauth'"):
        connect(OrgConnection("x", instance_url="https://x.my.salesforce.com", auth_method="oauth"))
    with pytest.raises(ProviderError, match="needs `username`"):
        connect(OrgConnection("x", instance_url="https://x.my.salesforce.com", auth_method="password"))
    monkeypatch.delenv("SF_TEST_SECRET", raising=False)
    with pytest.raises(ProviderError, match="environment variable SF_TEST_SECRET"):
        connect(
            OrgConnection(
                "x",
                auth_method="client_credentials",
                auth={"client_id_env": "SF_TEST_SECRET", "client_secret_env": "SF_TEST_SECRET"},
            )
        )


def fake_sf(bin_dir: Path, instance_url: str, token: str) -> None:
    """An `sf` executable that knows the alias `acme` and answers like the Salesforce CLI."""
    script = bin_dir / "sf"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, sys\n"
        "args = sys.argv[1:]\n"
        "alias = args[args.index('--target-org') + 1]\n"
        "if alias != 'acme':\n"
        "    print(json.dumps({'status': 1, 'name': 'NamedOrgNotFoundError',\n"
        "                      'message': f'No authorization information found for {alias}.'}))\n"
        "    sys.exit(1)\n"
        "if args[:2] == ['org', 'display']:\n"
        f"    print(json.dumps({{'status': 0, 'result': {{'instanceUrl': '{instance_url}', 'apiVersion': '62.0',\n"
        "                      'accessToken': '[REDACTED]'}}))\n"
        "else:\n"
        f"    print(json.dumps({{'status': 0, 'result': {{'accessToken': '{token}'}}}}))\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_an_sf_alias_reuses_the_cli_login(
    emulated: Callable[..., EmulatedOrg], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = emulated()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_sf(bin_dir, org.handle.instance_url, org.handle.access_token)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    provider = connect(OrgConnection("uat", sf_alias="acme", ca_cert=org.handle.ca_cert))
    assert provider.identity().org_id == org.handle.org_id
    provider.close()

    with pytest.raises(ProviderError, match="No authorization information found for nope") as caught:
        connect(OrgConnection("uat", sf_alias="nope"))
    assert caught.value.code == "NamedOrgNotFoundError"

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ProviderError, match="`sf` is not installed"):
        connect(OrgConnection("uat", sf_alias="acme"))


def test_apex_runs_with_its_debug_log(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    outcome = org.provider.run_apex("System.debug('hello there');")
    assert outcome.compiled and outcome.success
    assert "USER_DEBUG|[1]|DEBUG|hello there" in outcome.debug_log
    assert org.provider.usage.by_endpoint == {"GET query": 1, "POST Soap/s executeAnonymous": 1}

    broken = org.provider.run_apex("System.debug('x';\n}")
    assert not broken.compiled and not broken.success and broken.line == 2
    assert broken.message.startswith("compile error at line 2")

    thrown = org.provider.run_apex("throw new DmlException('nope');")
    assert thrown.compiled and not thrown.success
    assert thrown.exception_message == "System.DmlException: nope"


def test_apex_changes_report_each_outcome(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    ok = ApexScript(name="hello", file="hello.apex", sha256="0", body="System.debug('hi');")
    bad = ApexScript(name="bad", file="bad.apex", sha256="0", body="throw new MyError('stop');")
    results = org.provider.apply("apex", [Change(address=s.address, action=Action.RUN, after=s) for s in (ok, bad)])
    assert [(r.ok, r.code) for r in results] == [(True, ""), (False, "APEX_EXCEPTION")]
    assert "MyError: stop" in results[1].message


def test_a_lost_apex_answer_is_not_replayed(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    org.provider.identity()
    org.faults({"action": "drop_after", "path": "Soap/s"})
    with pytest.raises(ProviderError, match="the script may have run"):
        org.provider.run_apex("System.debug('once');")
    assert org.provider.usage.by_endpoint["POST Soap/s executeAnonymous"] == 1


def test_the_metadata_wsdl_is_parsed_once_per_process(emulated: Callable[..., EmulatedOrg]) -> None:
    first, second = emulated(), emulated()
    clients = [org.provider.session.metadata() for org in (first, second)]
    assert clients[0] is not clients[1]
    assert clients[0]._client.wsdl is clients[1]._client.wsdl is metadata_wsdl()
    assert clients[0]._client.transport is not clients[1]._client.transport, "each org keeps its own transport"
    for org in (first, second):
        answer = org.provider.transport.metadata("readMetadata", "Profile", ["Admin"])
        assert [profile.fullName for profile in answer] == ["Admin"], "each client talks to its own org"
        assert org.provider.usage.by_endpoint["POST Soap/m readMetadata"] == 1
