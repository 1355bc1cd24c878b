"""The provider's HTTP sessions against the emulator: one TLS connection reused across calls, no
``~/.netrc`` lookup, the CA bundle checked once, and the emulator serving a stalled client without
holding up others."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
import requests.adapters
import urllib3.connection

from tests.support.emulator import EmulatedOrg


def test_calls_reuse_one_tls_connection(emulated: Callable[..., EmulatedOrg], monkeypatch: pytest.MonkeyPatch) -> None:
    org = emulated()
    org.provider.transport.query_all("SELECT Id FROM Profile")  # the session's first connection
    connects: list[str] = []
    original = urllib3.connection.HTTPSConnection.connect

    def counted(self: urllib3.connection.HTTPSConnection) -> None:
        connects.append(self.host)
        original(self)

    monkeypatch.setattr(urllib3.connection.HTTPSConnection, "connect", counted)
    for _ in range(8):
        org.provider.transport.query_all("SELECT Id, Name FROM Profile")
    assert connects == [], "the kept-alive connection serves every later call"
    assert org.requests()["GET query"] >= 9


def test_a_netrc_entry_for_the_org_host_is_not_used(
    emulated: Callable[..., EmulatedOrg], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    org = emulated()
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-a-token\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    looked: list[str] = []
    monkeypatch.setattr(requests.sessions, "get_netrc_auth", lambda url, *a: looked.append(url))
    assert org.provider.transport.query_all("SELECT Id FROM Profile"), "the bearer token, not basic auth, was sent"
    assert looked == []


def test_the_ca_bundle_is_checked_once(emulated: Callable[..., EmulatedOrg], monkeypatch: pytest.MonkeyPatch) -> None:
    org = emulated()
    org.provider.transport.query_all("SELECT Id FROM Profile")
    checked: list[str] = []
    exists = os.path.exists

    def counted(path: str) -> bool:
        checked.append(path)
        return exists(path)

    monkeypatch.setattr(requests.adapters.os.path, "exists", counted)
    for _ in range(5):
        org.provider.transport.query_all("SELECT Id FROM Profile")
    assert checked == []


def test_a_client_stalled_mid_handshake_does_not_hold_up_others(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    host, port = org.handle.instance_url.removeprefix("https://").split(":")
    stalled = socket.create_connection((host, int(port)))  # connects, never says hello
    try:
        plain = socket.create_connection((host, int(port)), timeout=10)
        context = ssl.create_default_context(cafile=str(org.handle.ca_cert))
        with context.wrap_socket(plain, server_hostname=host) as other:
            assert other.version() is not None, "the second client's handshake completed"
        assert org.provider.transport.query_all("SELECT Id FROM Profile")
    finally:
        stalled.close()
