"""Pytest fixtures for tests that talk to the emulator over real HTTPS (a plugin module).

- ``emulator``: an org started from ``tests/emulator_seeds/basic.json`` in a temp dir (stopped after).
- ``sf``: a simple-salesforce client in direct mode (session id + instance URL) trusting the emulator CA.
- ``http``: a ``requests.Session`` trusting the CA and sending the Bearer token, for raw calls.
- ``start_org``: a factory starting further orgs (own seed dict or path, faults, latency).

Sessions set ``trust_env = False``: requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` from the
environment override ``session.verify``, which would make the emulator's CA untrusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from providers.emulator.embedded import EmulatorHandle, start_emulator

SEEDS = Path(__file__).parent / "emulator_seeds"
BASIC_SEED = SEEDS / "basic.json"

StartOrg = Callable[..., EmulatorHandle]


def trusted_session(handle: EmulatorHandle, *, bearer: bool = False) -> requests.Session:
    """A requests session that trusts ``handle``'s CA (and sends its token when ``bearer``)."""
    session = requests.Session()
    session.verify = str(handle.ca_cert)
    session.trust_env = False
    if bearer:
        session.headers["Authorization"] = f"Bearer {handle.access_token}"
    return session


def client_for(handle: EmulatorHandle, token: str | None = None) -> Salesforce:
    """simple-salesforce in direct mode against ``handle`` (``token`` overrides the real one)."""
    return Salesforce(instance_url=handle.instance_url, session_id=token or handle.access_token,
                      version=handle.api_version, session=trusted_session(handle))


@pytest.fixture
def start_org(tmp_path: Path) -> Iterator[StartOrg]:
    """Factory: ``start_org(seed=dict|Path, faults=[...], latency_ms=N, name="org")`` -> running handle."""
    handles: list[EmulatorHandle] = []

    def start(seed: dict[str, Any] | Path = BASIC_SEED, *, name: str = "org", **options: Any) -> EmulatorHandle:
        seed_path = seed if isinstance(seed, Path) else tmp_path / f"{name}.seed.json"
        if isinstance(seed, dict):
            seed_path.write_text(json.dumps(seed), encoding="utf-8")
        handle = start_emulator(tmp_path / f"{name}.json", seed=seed_path, **options)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def emulator(start_org: StartOrg) -> EmulatorHandle:
    """The basic org, running."""
    return start_org()


@pytest.fixture
def sf(emulator: EmulatorHandle) -> Salesforce:
    return client_for(emulator)


@pytest.fixture
def http(emulator: EmulatorHandle) -> Iterator[requests.Session]:
    session = trusted_session(emulator, bearer=True)
    yield session
    session.close()
