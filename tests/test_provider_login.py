"""Logging in with instance_url + auth: every failure is the org's ProviderError, naming the setting and
what to do, never a credential value.

Nothing leaves this machine: the login requests meant for ``*.salesforce.com`` are answered by
``LoginServer`` in place of the network (``HTTPAdapter.send`` is patched; anything else, such as an
emulated org, goes through), and every test runs behind an HTTPS proxy that refuses connections.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from providers.emulator.embedded import EmulatorHandle
from providers.salesforce import OrgConnection, connect
from reconcile.errors import ProviderError

PASSWORD = "Pw-7Hq!correct-horse"
SECRET = "cs-51f0e9a8d2b7c6e4"
CLIENT_ID = "3MVG9-consumer-key"
MY_DOMAIN = "https://acme.my.salesforce.com"
REAL_SEND = requests.adapters.HTTPAdapter.send
INVALID_LOGIN = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode>'
    "<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>"
    "<detail><sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>{message}"
    "</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
)


@dataclass
class LoginServer:
    """Answers requests to ``*.salesforce.com`` with the queued ``(status, body)`` answers, in order."""

    answers: list[tuple[int, str]] = field(default_factory=list)
    requests: list[requests.PreparedRequest] = field(default_factory=list)

    def send(
        self, adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if not (urlparse(request.url).hostname or "").endswith(".salesforce.com"):
            return REAL_SEND(adapter, request, **kwargs)
        self.requests.append(request)
        status, body = self.answers.pop(0)
        response = requests.Response()
        response.status_code, response.url, response.request = status, str(request.url), request
        response._content = body.encode("utf-8")
        response.encoding = "utf-8"
        return response

    def form(self) -> dict[str, str]:
        """The form fields of the last request (an OAuth token request)."""
        body = self.requests[-1].body
        text = body.decode() if isinstance(body, bytes) else str(body)
        return {key: values[0] for key, values in parse_qs(text).items()}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> LoginServer:
    fake = LoginServer()

    def send(
        adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        return fake.send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return fake


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def org(method: str, **auth: str) -> OrgConnection:
    login_url = auth.pop("login_url", "https://login.salesforce.com")
    return OrgConnection("prod", instance_url=MY_DOMAIN, auth_method=method, auth=auth, login_url=login_url)


def jwt_org(**auth: str) -> OrgConnection:
    return org("jwt", username="deploy@acme.com", client_id_env="SF_CLIENT_ID", **auth)


def refused(conn: OrgConnection) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        connect(conn)
    assert caught.value.org == conn.name
    return caught.value


# -- access_token ----------------------------------------------------------------------------------------


def test_an_unset_or_empty_token_variable_names_the_setting_and_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SF_ACCESS_TOKEN", raising=False)
    error = refused(org("access_token", token_env="SF_ACCESS_TOKEN"))
    assert "auth.token_env: environment variable SF_ACCESS_TOKEN is not set; set it to an access token" in str(error)
    monkeypatch.setenv("SF_ACCESS_TOKEN", " \n")
    error = refused(org("access_token", token_env="SF_ACCESS_TOKEN"))
    assert "auth.token_env: environment variable SF_ACCESS_TOKEN is empty" in str(error)


# -- password ----------------------------------------------------------------------------------------------


def test_an_unset_password_variable_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SF_PW", raising=False)
    error = refused(org("password", username="deploy@acme.com", password_env="SF_PW"))
    assert "auth.password_env: environment variable SF_PW is not set; set it to the password" in str(error)


def test_a_wrong_password_names_the_settings_to_check_and_never_the_password(
    server: LoginServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_PW", PASSWORD)
    monkeypatch.setenv("SF_SEC", "tok-0a9b8c")
    server.answers.append((500, INVALID_LOGIN.format(message=f"Invalid password {PASSWORD}tok-0a9b8c")))
    conn = org(
        "password",
        username="deploy@acme.com",
        password_env="SF_PW",
        security_token_env="SF_SEC",
        login_url="https://test.salesforce.com",
    )
    error = refused(conn)
    assert server.requests[0].url == "https://test.salesforce.com/services/Soap/u/62.0"
    assert error.code == "INVALID_LOGIN"
    text = str(error)
    assert text.startswith("org prod: login failed: https://test.salesforce.com refused the password login")
    assert "auth.username (deploy@acme.com)" in text and "SF_PW (auth.password_env)" in text
    assert "SF_SEC (auth.security_token_env" in text and "login_url" in text
    assert PASSWORD not in text and "tok-0a9b8c" not in text and "[redacted]" in text


def test_a_login_host_that_cannot_be_reached_names_login_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_PW", PASSWORD)
    error = refused(org("password", username="deploy@acme.com", password_env="SF_PW"))
    assert "login failed: cannot reach https://login.salesforce.com (ProxyError)" in str(error)
    assert "HTTPS_PROXY" in str(error) and "login_url" in str(error)


def test_a_login_answer_that_is_not_salesforce_names_login_url(
    server: LoginServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_PW", PASSWORD)
    server.answers.append((200, "<html><body>Sign in to the guest Wi-Fi</body></html>"))
    error = refused(org("password", username="deploy@acme.com", password_env="SF_PW"))
    assert "is not a Salesforce login response; check login_url" in str(error)


def test_a_missing_ca_cert_is_named_before_any_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_PW", PASSWORD)
    conn = OrgConnection(
        "prod",
        instance_url=MY_DOMAIN,
        auth_method="password",
        ca_cert=tmp_path / "ca.pem",
        auth={"username": "deploy@acme.com", "password_env": "SF_PW"},
    )
    assert f"ca_cert: the CA bundle {tmp_path / 'ca.pem'} does not exist" in str(refused(conn))


# -- jwt ---------------------------------------------------------------------------------------------------


@pytest.fixture
def client_id(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SF_CLIENT_ID", CLIENT_ID)
    return CLIENT_ID


@pytest.mark.usefixtures("client_id")
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "the private key file {path} does not exist; point auth.key_file at the connected app's private key"),
        (b"not a key\n", "{path} is not a PEM private key; point auth.key_file at"),
        (b"", "{path} is not a PEM private key"),
        (
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "{path} holds a certificate or public key, not the private key; the certificate goes to the connected app",
        ),
        ("encrypted", "the private key file {path} is encrypted with a passphrase; JWT login needs it unencrypted"),
        ("ec", "the private key in {path} is not an RSA key"),
    ],
)
def test_a_bad_key_file_is_the_orgs_error_naming_key_file(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, content: bytes | str | None, expected: str
) -> None:
    path = tmp_path / "jwt.key"
    if content == "encrypted":
        path.write_bytes(pem(rsa_key, b"passphrase"))
    elif content == "ec":
        path.write_bytes(pem(ec.generate_private_key(ec.SECP256R1())))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    error = refused(jwt_org(key_file=str(path)))
    assert str(error).startswith("org prod: auth.key_file: ")
    assert expected.format(path=path) in str(error)


@pytest.mark.usefixtures("client_id")
def test_a_key_file_that_is_a_directory_or_unreadable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert f"auth.key_file: {tmp_path} is a directory, not a private key file" in str(
        refused(jwt_org(key_file=str(tmp_path)))
    )
    locked = tmp_path / "locked.key"
    locked.write_bytes(b"unreadable")
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:  # root reads any file: the permission error is simulated
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    error = refused(jwt_org(key_file=str(locked)))
    assert f"auth.key_file: cannot read the private key file {locked} (permission denied)" in str(error)


@pytest.mark.usefixtures("client_id")
def test_key_file_env_unset_missing_or_holding_the_key_itself(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = jwt_org(key_file_env="SF_JWT_KEY")
    monkeypatch.delenv("SF_JWT_KEY", raising=False)
    assert "auth.key_file_env: environment variable SF_JWT_KEY is not set; set it to the path of" in str(refused(conn))
    monkeypatch.setenv("SF_JWT_KEY", str(tmp_path / "gone.key"))
    assert (
        f"auth.key_file_env: the private key file {tmp_path / 'gone.key'} (the path in SF_JWT_KEY) does not "
        "exist; set SF_JWT_KEY to the path of"
    ) in str(refused(conn))
    key_text = pem(rsa_key).decode()
    monkeypatch.setenv("SF_JWT_KEY", key_text)
    error = str(refused(conn))
    assert "environment variable SF_JWT_KEY holds a key, not the path of a key file" in error
    assert key_text.splitlines()[1] not in error


def test_an_unset_client_id_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SF_CLIENT_ID", raising=False)
    error = refused(jwt_org(key_file=str(tmp_path / "jwt.key")))
    assert (
        "auth.client_id_env: environment variable SF_CLIENT_ID is not set; set it to the connected app's "
        "consumer key" in str(error)
    )


def test_a_good_key_signs_the_assertion_and_logs_in(
    server: LoginServer,
    client_id: str,
    tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
    start_org: Callable[..., EmulatorHandle],
) -> None:
    handle = start_org()
    key = tmp_path / "jwt.key"
    key.write_bytes(pem(rsa_key))
    server.answers.append(
        (
            200,
            json.dumps(
                {"access_token": handle.access_token, "instance_url": handle.instance_url, "token_type": "Bearer"}
            ),
        )
    )
    conn = OrgConnection(
        "prod",
        instance_url=MY_DOMAIN,
        auth_method="jwt",
        ca_cert=handle.ca_cert,
        auth={"username": "deploy@acme.com", "client_id_env": "SF_CLIENT_ID", "key_file": str(key)},
    )
    provider = connect(conn)
    try:
        assert provider.identity().org_id == handle.org_id
    finally:
        provider.close()
    assert server.requests[0].url == "https://login.salesforce.com/services/oauth2/token"
    claims = jwt.decode(
        server.form()["assertion"],
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="https://login.salesforce.com",
        options={"verify_exp": False},
    )
    assert (claims["iss"], claims["sub"]) == (client_id, "deploy@acme.com")


def test_a_refused_jwt_login_names_the_settings_to_check(
    server: LoginServer, client_id: str, tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    key = tmp_path / "jwt.key"
    key.write_bytes(pem(rsa_key))
    server.answers.append((400, json.dumps({"error": "invalid_grant", "error_description": "invalid assertion"})))
    error = refused(jwt_org(key_file=str(key)))
    assert error.code == "invalid_grant"
    assert "refused the jwt login (invalid assertion)" in str(error)
    assert f"matches the private key in {key} (auth.key_file)" in str(error)
    assert client_id not in str(error)


@pytest.mark.usefixtures("client_id")
def test_a_key_file_gone_when_the_org_asks_for_a_new_session_is_named(
    server: LoginServer, tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    key = tmp_path / "jwt.key"
    key.write_bytes(pem(rsa_key))
    server.answers.append((200, json.dumps({"access_token": "00Dx!token", "instance_url": MY_DOMAIN})))
    provider = connect(jwt_org(key_file=str(key)))
    key.unlink()
    with pytest.raises(ProviderError, match=r"auth\.key_file: the private key file .* does not exist"):
        provider.session.reauthenticate()
    provider.close()


# -- client_credentials ------------------------------------------------------------------------------------


@pytest.fixture
def cc_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SF_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SF_CLIENT_SECRET", SECRET)
    yield


def cc_org(login_url: str = MY_DOMAIN) -> OrgConnection:
    return org(
        "client_credentials", client_id_env="SF_CLIENT_ID", client_secret_env="SF_CLIENT_SECRET", login_url=login_url
    )


def test_unset_client_credentials_variables_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_CLIENT_ID", CLIENT_ID)
    monkeypatch.delenv("SF_CLIENT_SECRET", raising=False)
    assert (
        "auth.client_secret_env: environment variable SF_CLIENT_SECRET is not set; set it to the connected "
        "app's consumer secret" in str(refused(cc_org()))
    )


@pytest.mark.usefixtures("cc_env")
def test_client_credentials_need_a_my_domain_login_url() -> None:
    error = refused(cc_org("https://login.salesforce.com"))
    assert "login_url: the client credentials flow logs in only at the org's My Domain" in str(error)


@pytest.mark.usefixtures("cc_env")
def test_refused_client_credentials_name_the_variables_never_the_secret(server: LoginServer) -> None:
    server.answers.append((400, json.dumps({"error": "invalid_client", "error_description": f"bad secret {SECRET}"})))
    error = refused(cc_org())
    assert server.requests[0].url == f"{MY_DOMAIN}/services/oauth2/token"
    assert error.code == "invalid_client"
    assert "SF_CLIENT_ID and SF_CLIENT_SECRET (auth.client_id_env, auth.client_secret_env)" in str(error)
    assert SECRET not in str(error) and CLIENT_ID not in str(error)
