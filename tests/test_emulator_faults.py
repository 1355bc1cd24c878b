"""Fault injection, request stats, latency, SOAP wiring and the foreground server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from providers.emulator.embedded import EmulatorHandle
from providers.emulator.faults import FaultRuleError
from providers.emulator.serve import reset
from tests.support.emulator import BASIC_SEED, StartOrg, client_for, trusted_session

ORG_QUERY = "SELECT Id FROM Organization"
READ_ADMIN = (
    '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Header>'
    '<ns0:SessionHeader xmlns:ns0="http://soap.sforce.com/2006/04/metadata"><ns0:sessionId>{sid}</ns0:sessionId>'
    "</ns0:SessionHeader></soap-env:Header><soap-env:Body><ns0:readMetadata "
    'xmlns:ns0="http://soap.sforce.com/2006/04/metadata"><ns0:type>Profile</ns0:type>'
    "<ns0:fullNames>Admin</ns0:fullNames></ns0:readMetadata></soap-env:Body></soap-env:Envelope>"
)


def _faulted(start_org: StartOrg, *rules: dict[str, Any]) -> tuple[EmulatorHandle, Salesforce]:
    handle = start_org(faults=list(rules))
    return handle, client_for(handle)


@pytest.mark.parametrize(
    ("action", "error", "status"),
    [
        ("503", SalesforceGeneralError, 503),
        ("500_empty", SalesforceGeneralError, 500),
        ("invalid_session", SalesforceExpiredSession, 401),
        ("request_limit_total", SalesforceRefusedRequest, 403),
        ("request_limit_concurrent", SalesforceRefusedRequest, 403),
        ("unable_to_lock_row", SalesforceMalformedRequest, 400),
    ],
)
def test_error_faults_look_like_salesforce(
    start_org: StartOrg, action: str, error: type[Exception], status: int
) -> None:
    _, sf = _faulted(start_org, {"method": "GET", "path": "/query", "action": action})
    with pytest.raises(error) as caught:
        sf.query(ORG_QUERY)
    assert caught.value.status == status  # type: ignore[attr-defined]
    assert sf.query(ORG_QUERY)["totalSize"] == 1


def test_fault_bodies(start_org: StartOrg) -> None:
    _, sf = _faulted(
        start_org, {"action": "500_empty"}, {"action": "request_limit_concurrent"}, {"action": "invalid_session"}
    )
    with pytest.raises(SalesforceGeneralError) as empty:
        sf.query(ORG_QUERY)
    assert empty.value.content == ""
    with pytest.raises(SalesforceRefusedRequest) as concurrent:
        sf.query(ORG_QUERY)
    assert concurrent.value.content == [
        {"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query(ORG_QUERY)
    assert expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_nth_and_times(start_org: StartOrg) -> None:
    _, sf = _faulted(start_org, {"path": "/query", "nth": 2, "times": 2, "action": "503"})
    outcomes = []
    for _ in range(4):
        try:
            sf.query(ORG_QUERY)
            outcomes.append("ok")
        except SalesforceGeneralError:
            outcomes.append("503")
    assert outcomes == ["ok", "503", "503", "ok"]


def test_unable_to_lock_row_fails_only_the_listed_records(start_org: StartOrg) -> None:
    handle = start_org()
    sf = client_for(handle)
    users = {r["Username"]: r["Id"] for r in sf.query("SELECT Id, Username FROM User")["records"]}
    ps = sf.query("SELECT Id FROM PermissionSet WHERE Name = 'Service_Desk'")["records"][0]["Id"]
    handle.add_faults(
        [
            {
                "method": "POST",
                "path": "composite/sobjects",
                "action": "unable_to_lock_row",
                "records": [users["bob@acme.com.uat"]],
            }
        ]
    )
    records = [
        {"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": users[name], "PermissionSetId": ps}
        for name in ("alice@acme.com.uat", "bob@acme.com.uat")
    ]
    result = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert result[0]["success"] is True
    assert result[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "UNABLE_TO_LOCK_ROW",
                "fields": [],
                "message": "unable to obtain exclusive access to this record",
            }
        ],
    }


def test_drop_closes_the_connection_before_processing(start_org: StartOrg) -> None:
    handle, sf = _faulted(start_org, {"method": "POST", "path": "sobjects/Account", "action": "drop"})
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Account.create({"Name": "Lost"})
    assert handle.store.find("Account", Name="Lost") == []


def test_drop_after_commits_then_closes(start_org: StartOrg) -> None:
    handle, sf = _faulted(start_org, {"method": "POST", "path": "sobjects/Account", "action": "drop_after"})
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Account.create({"Name": "Kept"})
    assert len(handle.store.find("Account", Name="Kept")) == 1
    assert "Kept" in handle.store.path.read_text()


def test_faults_and_stats_over_http(emulator: EmulatorHandle, http: requests.Session, sf: Salesforce) -> None:
    base = f"{emulator.instance_url}/__emulator"
    assert trusted_session(emulator).get(f"{base}/stats").status_code == 401
    assert http.post(f"{base}/faults", json=[{"action": "explode"}]).status_code == 400
    assert http.post(f"{base}/faults", json=[{"path": "/limits", "action": "503"}]).status_code == 204
    with pytest.raises(SalesforceGeneralError):
        sf.limits()
    sf.query(ORG_QUERY)
    sf.Account.describe()
    stats = http.get(f"{base}/stats").json()
    assert stats["requests"] == {"GET limits": 1, "GET query": 1, "GET sobjects/Account/describe": 1}
    assert stats["api_calls_used"] == 2 and stats["api_calls_remaining"] == 14998
    assert stats["daily_api_limit"] == 15000
    assert http.post(f"{base}/reset-stats").status_code == 204
    assert http.get(f"{base}/stats").json()["requests"] == {}


def test_stats_keys_hide_ids_and_locators(emulator: EmulatorHandle, sf: Salesforce) -> None:
    user = sf.query("SELECT Id FROM User LIMIT 1")["records"][0]["Id"]
    sf.User.get(user)
    sf.toolingexecute("query/", params={"q": "SELECT Id FROM Layout"})
    assert set(emulator.stats()["requests"]) == {"GET query", "GET sobjects/User/{id}", "GET tooling/query"}


def test_malformed_fault_rules_are_rejected(emulator: EmulatorHandle) -> None:
    with pytest.raises(FaultRuleError):
        emulator.add_faults([{"action": "503", "nth": 0}])
    with pytest.raises(FaultRuleError):
        emulator.add_faults([{"action": "503", "colour": "red"}])


def test_latency_is_added_server_side(start_org: StartOrg) -> None:
    sf = client_for(start_org(latency_ms=150))
    started = time.monotonic()
    sf.query(ORG_QUERY)
    assert time.monotonic() - started >= 0.15


def test_soap_paths_check_the_session_count_and_fault(emulator: EmulatorHandle) -> None:
    session = trusted_session(emulator)
    url = f"{emulator.instance_url}/services/Soap/m/62.0/"
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    refused = session.post(url, data=READ_ADMIN.format(sid="wrong"), headers=headers)
    assert refused.status_code == 500 and "sf:INVALID_SESSION_ID" in refused.text
    answered = session.post(url, data=READ_ADMIN.format(sid=emulator.access_token), headers=headers)
    assert answered.status_code == 200 and "<fullName>Admin</fullName>" in answered.text
    emulator.add_faults([{"path": "Soap/m", "action": "unable_to_lock_row"}])
    locked = session.post(url, data=READ_ADMIN.format(sid=emulator.access_token), headers=headers)
    assert locked.status_code == 500 and "sf:UNABLE_TO_LOCK_ROW" in locked.text
    stats = emulator.stats()
    assert stats["requests"]["POST Soap/m readMetadata"] == 3 and stats["api_calls_used"] == 1


def test_serve_main_prints_one_ready_line_and_stops_on_sigterm(tmp_path: Path) -> None:
    data, faults = tmp_path / "org.json", tmp_path / "faults.json"
    reset(BASIC_SEED, data)
    faults.write_text(json.dumps([{"path": "/limits", "action": "503"}]))
    code = (
        "import sys; from pathlib import Path; from providers.emulator.serve import serve_main; "
        f"sys.exit(serve_main(Path({str(data)!r}), 0, 0, Path({str(faults)!r})))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert set(ready) == {"instance_url", "access_token", "ca_cert", "api_version", "org_id"}
        sf = Salesforce(
            instance_url=ready["instance_url"],
            session_id=ready["access_token"],
            version="62.0",
            session=_session(ready["ca_cert"]),
        )
        assert sf.query(ORG_QUERY)["records"][0]["Id"] == ready["org_id"]
        with pytest.raises(SalesforceGeneralError):
            sf.limits()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert not Path(ready["ca_cert"]).exists()


def _session(ca_cert: str) -> requests.Session:
    session = requests.Session()
    session.verify = ca_cert
    session.trust_env = False
    return session
