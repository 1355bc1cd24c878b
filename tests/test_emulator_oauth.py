"""The emulator's OAuth 2.0 endpoints and SOAP login, over HTTPS, as Salesforce answers them.

Each grant of ``/services/oauth2/token`` issues a session the REST and SOAP APIs accept, and refuses
what Salesforce refuses with its ``{"error", "error_description"}`` body: before these endpoints
existed every login path was a 404, and the one start token was the only session.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from providers.emulator.embedded import EmulatorHandle
from providers.emulator.org.data import SeedError
from providers.emulator.org.seed import build_tables
from providers.emulator.org.store import Store
from tests.support.emulator import StartOrg, provider_seed, trusted_session
from tests.support.login_seed import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    OUTSIDER,
    PASSWORD,
    REFRESH_TOKEN,
    RUN_AS_KEY,
    RUN_AS_SECRET,
    SECURITY_TOKEN,
    USERNAME,
    LoginSeed,
    write_login_seed,
)

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
def logins(tmp_path: Path) -> LoginSeed:
    return write_login_seed(tmp_path / "login")


@pytest.fixture
def org(start_org: StartOrg, logins: LoginSeed) -> EmulatorHandle:
    return start_org(logins.seed)


def post_token(org: EmulatorHandle, form: dict[str, str], **kwargs: Any) -> requests.Response:
    return trusted_session(org).post(f"{org.instance_url}/services/oauth2/token", data=form, timeout=30, **kwargs)


def assertion(key_file: Path, **claims: Any) -> str:
    # The seed's org is a sandbox: its login server is test.salesforce.com.
    body = {"iss": CONSUMER_KEY, "sub": USERNAME, "aud": "https://test.salesforce.com", "exp": time.time() + 180}
    return jwt.encode({**body, **claims}, key_file.read_text(), algorithm="RS256")


def refused(response: requests.Response, error: str, description: str) -> None:
    assert (response.status_code, response.json()) == (400, {"error": error, "error_description": description})


def whoami(org: EmulatorHandle, token: str) -> str:
    """The username ``/services/oauth2/userinfo`` gives for ``token`` (and REST accepts it)."""
    session = trusted_session(org)
    session.headers["Authorization"] = f"Bearer {token}"
    info = session.get(f"{org.instance_url}/services/oauth2/userinfo", timeout=30)
    assert info.status_code == 200, info.text
    user = session.get(f"{org.instance_url}/services/data/v62.0/sobjects/User/{info.json()['user_id']}", timeout=30)
    assert user.status_code == 200 and user.json()["Username"] == info.json()["preferred_username"]
    return str(info.json()["preferred_username"])


def test_the_jwt_bearer_grant_verifies_the_assertion_against_the_apps_certificate(
    org: EmulatorHandle, logins: LoginSeed
) -> None:
    answer = post_token(org, {"grant_type": JWT_BEARER, "assertion": assertion(logins.key_file)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["instance_url"] == org.instance_url and body["token_type"] == "Bearer"
    assert body["id"].endswith(f"/id/{org.org_id}/{body['id'].rsplit('/', 1)[1]}")
    assert body["access_token"] != org.access_token and whoami(org, body["access_token"]) == USERNAME
    # The org's own URL (its My Domain) is an audience too; sf sends exp in milliseconds.
    own = assertion(logins.key_file, aud=org.instance_url, exp=int(time.time() * 1000) + 300)
    assert post_token(org, {"grant_type": JWT_BEARER, "assertion": own}).status_code == 200

    def grant(**claims: Any) -> requests.Response:
        key = claims.pop("key", logins.key_file)
        return post_token(org, {"grant_type": JWT_BEARER, "assertion": assertion(key, **claims)})

    refused(grant(key=logins.other_key_file), "invalid_grant", "invalid assertion")
    refused(grant(iss="3MVG9-unknown"), "invalid_client_id", "client identifier invalid")
    refused(grant(aud="https://login.salesforce.com"), "invalid_grant", "audience is invalid")
    refused(grant(aud="https://evil.example.com"), "invalid_grant", "audience is invalid")
    refused(grant(exp=time.time() - 60), "invalid_grant", "invalid assertion")
    refused(grant(sub="nobody@acme.com"), "invalid_grant", "user hasn't approved this consumer")
    refused(grant(sub=OUTSIDER), "invalid_grant", "user hasn't approved this consumer")
    tampered = assertion(logins.key_file).rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    refused(post_token(org, {"grant_type": JWT_BEARER, "assertion": tampered}), "invalid_grant", "invalid assertion")
    hs256 = jwt.encode({"iss": CONSUMER_KEY, "sub": USERNAME, "aud": "https://login.salesforce.com"}, "k" * 32)
    refused(post_token(org, {"grant_type": JWT_BEARER, "assertion": hs256}), "invalid_grant", "invalid assertion")


def test_password_refresh_token_and_client_credentials_grants(org: EmulatorHandle) -> None:
    password = {"grant_type": "password", "client_id": CONSUMER_KEY, "client_secret": CONSUMER_SECRET}
    answer = post_token(org, {**password, "username": USERNAME, "password": PASSWORD + SECURITY_TOKEN})
    assert answer.status_code == 200, answer.text
    assert whoami(org, answer.json()["access_token"]) == USERNAME
    wrong = {**password, "username": USERNAME, "password": PASSWORD}  # the org wants the security token
    refused(post_token(org, wrong), "invalid_grant", "authentication failure")
    refused(
        post_token(org, {**password, "username": OUTSIDER, "password": "x"}), "invalid_grant", "authentication failure"
    )
    bad_secret = {**password, "client_secret": "nope", "username": USERNAME, "password": PASSWORD + SECURITY_TOKEN}
    refused(post_token(org, bad_secret), "invalid_client", "invalid client credentials")

    refresh = {"grant_type": "refresh_token", "client_id": CONSUMER_KEY, "refresh_token": REFRESH_TOKEN}
    answer = post_token(org, refresh)
    assert answer.status_code == 200 and "refresh_token" not in answer.json()
    assert whoami(org, answer.json()["access_token"]) == USERNAME
    refused(
        post_token(org, {**refresh, "refresh_token": "5Aep-unknown"}), "invalid_grant", "expired access/refresh token"
    )
    refused(post_token(org, {**refresh, "client_id": RUN_AS_KEY}), "invalid_grant", "expired access/refresh token")

    basic = base64.b64encode(f"{RUN_AS_KEY}:{RUN_AS_SECRET}".encode()).decode()
    answer = post_token(org, {"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200 and whoami(org, answer.json()["access_token"]) == USERNAME
    no_run_as = {"grant_type": "client_credentials", "client_id": CONSUMER_KEY, "client_secret": CONSUMER_SECRET}
    refused(post_token(org, no_run_as), "invalid_grant", "no client credentials user enabled")
    unknown = {"grant_type": "client_credentials", "client_id": "3MVG9-nope", "client_secret": "x"}
    refused(post_token(org, unknown), "invalid_client_id", "client identifier invalid")
    refused(post_token(org, {"grant_type": "authorization_code"}), "unsupported_grant_type", "grant type not supported")
    refused(post_token(org, {}), "unsupported_grant_type", "grant type not supported")


def test_revoke_ends_a_session_and_a_refresh_token_with_its_sessions(org: EmulatorHandle) -> None:
    http = trusted_session(org)
    refresh = {"grant_type": "refresh_token", "client_id": CONSUMER_KEY, "refresh_token": REFRESH_TOKEN}
    first, second = (post_token(org, refresh).json()["access_token"] for _ in range(2))
    assert http.post(f"{org.instance_url}/services/oauth2/revoke", data={"token": first}, timeout=30).status_code == 200
    userinfo = http.get(
        f"{org.instance_url}/services/oauth2/userinfo", headers={"Authorization": f"Bearer {first}"}, timeout=30
    )
    assert (userinfo.status_code, userinfo.text) == (403, "Bad_OAuth_Token")
    query = http.get(
        f"{org.instance_url}/services/data/v62.0/query",
        params={"q": "SELECT Id FROM User"},
        headers={"Authorization": f"Bearer {first}"},
        timeout=30,
    )
    assert query.status_code == 401 and query.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert whoami(org, second) == USERNAME
    revoke = http.post(f"{org.instance_url}/services/oauth2/revoke", data={"token": REFRESH_TOKEN}, timeout=30)
    assert revoke.status_code == 200
    dead = http.get(
        f"{org.instance_url}/services/oauth2/userinfo", headers={"Authorization": f"Bearer {second}"}, timeout=30
    )
    assert dead.status_code == 403
    refused(post_token(org, refresh), "invalid_grant", "expired access/refresh token")
    again = http.post(f"{org.instance_url}/services/oauth2/revoke", data={"token": REFRESH_TOKEN}, timeout=30)
    assert again.status_code == 400 and again.json()["error"] == "unsupported_token_type"


def test_userinfo_names_the_start_tokens_user_and_the_org(org: EmulatorHandle) -> None:
    session = trusted_session(org, bearer=True)
    info = session.get(f"{org.instance_url}/services/oauth2/userinfo", timeout=30).json()
    assert info["organization_id"] == org.org_id and info["preferred_username"] == USERNAME
    assert info["sub"] == f"{org.instance_url}/id/{org.org_id}/{info['user_id']}"
    assert info["urls"]["rest"] == f"{org.instance_url}/services/data/v{{version}}/"


SOAP_LOGIN = """<?xml version="1.0" encoding="utf-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>
<n1:login xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{user}</n1:username>
<n1:password>{password}</n1:password></n1:login></env:Body></env:Envelope>"""


def test_the_soap_login_issues_a_session_the_metadata_api_accepts(org: EmulatorHandle) -> None:
    http = trusted_session(org)
    url = f"{org.instance_url}/services/Soap/u/62.0"
    headers = {"content-type": "text/xml", "SOAPAction": "login"}
    ok = http.post(url, SOAP_LOGIN.format(user=USERNAME, password=PASSWORD + SECURITY_TOKEN), headers=headers)
    assert ok.status_code == 200, ok.text
    session_id = ok.text.split("<sessionId>")[1].split("</sessionId>")[0]
    assert f"<serverUrl>{org.instance_url}/services/Soap/u/62.0/{org.org_id}</serverUrl>" in ok.text
    assert whoami(org, session_id) == USERNAME
    wrong = http.post(url, SOAP_LOGIN.format(user=USERNAME, password=PASSWORD), headers=headers)
    assert wrong.status_code == 500
    assert "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>" in wrong.text
    assert "Invalid username, password, security token; or user locked out." in wrong.text


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"connected_apps": [{"name": "x", "consumer_key": "k", "pre_authorized": ["ghost@acme.com"]}]},
            "unknown user",
        ),
        (
            {"connected_apps": [{"name": "x", "consumer_key": "k", "certificate": "not a cert"}]},
            "not a PEM certificate",
        ),
        ({"connected_apps": [{"name": "x"}]}, 'missing "consumer_key"'),
        ({"connected_apps": [{"name": "x", "consumer_key": "k"}, {"name": "y", "consumer_key": "k"}]}, "used twice"),
        ({"user_logins": [{"username": "ghost@acme.com", "password": "p"}]}, "unknown user"),
    ],
)
def test_a_connected_app_or_login_that_does_not_fit_the_org_is_a_seed_error(
    section: dict[str, Any], message: str
) -> None:
    document = {**provider_seed(), **section}
    with pytest.raises(SeedError, match=message):
        build_tables(document)


def test_the_live_org_file_keeps_connected_apps_and_logins(tmp_path: Path, logins: LoginSeed) -> None:
    store = Store.create(logins.seed, tmp_path / "live.json")
    written = json.loads(store.path.read_text(encoding="utf-8"))
    original = json.loads(logins.seed.read_text(encoding="utf-8"))
    assert written["connected_apps"][0]["certificate"] == original["connected_apps"][0]["certificate"]
    assert written["user_logins"] == original["user_logins"]
    assert build_tables(written).tables["_ConnectedApp"] == store.data.tables["_ConnectedApp"]
