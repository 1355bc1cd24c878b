"""Shared fixtures of the provider tests (no tests here): an emulated org served over HTTPS and a
``SalesforceProvider`` connected to it the way a configured org is (``instance_url`` + ``access_token``
from an environment variable + ``ca_cert``). Backoff waits are recorded, never slept."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest

from providers.emulator.embedded import EmulatorHandle, start_emulator
from providers.salesforce import OrgConnection, SalesforceProvider, connect
from reconcile.model import AnyResource, Resource

TOKEN_ENV = "SF_TEST_ACCESS_TOKEN"

BASE_SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Acme Test", "is_sandbox": True, "daily_api_limit": 100000},
    "profiles": [
        {"name": "System Administrator", "full_name": "Admin"},
        {"name": "Sales User"},
        {"name": "Sales Manager"},
        {"name": "Custom: Marketing Profile"},
    ],
    "users": [
        {"username": "admin@acme.com", "profile": "System Administrator"},
        {"username": "alice@acme.com", "profile": "Sales User"},
        {"username": "bob@acme.com", "profile": "Sales User"},
        {"username": "carol@acme.com", "profile": "Sales User", "active": False},
    ],
    "permission_sets": [
        {"name": "Sales_Ops", "label": "Sales Ops"},
        {"name": "Service_Desk", "label": "Service Desk"},
        {"name": "acme__Billing_Admin", "label": "Billing Admin"},
    ],
    "permission_set_groups": [{"developer_name": "Sales_Bundle", "label": "Sales Bundle"}],
    "objects": [
        {
            "name": "Account",
            "record_types": ["Enterprise", "SMB"],
            "layouts": ["Account Layout", "Account Enterprise Layout", "Account (Marketing) Layout"],
            "fields": [
                {
                    "name": "Tier__c",
                    "type": "Picklist",
                    "values": ["Gold", {"name": "Silver", "default": True}, {"name": "Legacy", "active": False}],
                },
                {"name": "Region__c", "type": "Picklist", "global_value_set": "Regions"},
                {"name": "Industry", "type": "Picklist", "standard_value_set": "Industry"},
            ],
        }
    ],
    "global_value_sets": [{"name": "Regions", "values": ["EMEA", "AMER"]}],
    "standard_value_sets": [{"name": "Industry", "values": ["Banking", "Energy"]}],
    "layout_assignments": [
        {"profile": "Sales User", "object": "Account", "layout": "Account Layout"},
        {"profile": "Sales User", "object": "Account", "record_type": "Enterprise", "layout": "Account Layout"},
    ],
    "permission_set_assignments": [
        {"username": "alice@acme.com", "permission_set": "Sales_Ops"},
        {"username": "bob@acme.com", "permission_set_group": "Sales_Bundle"},
    ],
}


R = TypeVar("R", bound=Resource)


def narrow(resource: Resource | None, kind: type[R]) -> R:
    """A read resource as the concrete type the test expects (read returns ``Resource``)."""
    assert isinstance(resource, kind), resource
    return resource


def live(resource: Resource | None) -> AnyResource | None:
    """A read resource (or None) as a ``Change.before``."""
    return cast("AnyResource | None", resource)


def base_seed() -> dict[str, Any]:
    return copy.deepcopy(BASE_SEED)


@dataclass
class EmulatedOrg:
    """A running emulator and a provider connected to it; ``sleeps`` records every backoff wait."""

    handle: EmulatorHandle
    provider: SalesforceProvider
    sleeps: list[float] = field(default_factory=list)

    def requests(self) -> dict[str, int]:
        """Requests the emulator counted, by endpoint (the same keys as ``provider.usage``)."""
        counted: dict[str, int] = self.handle.stats()["requests"]
        return counted

    def reset_counts(self) -> None:
        self.handle.reset_stats()
        self.provider.usage.calls = 0
        self.provider.usage.by_endpoint.clear()

    def faults(self, *rules: dict[str, Any]) -> None:
        self.handle.add_faults(list(rules))

    def rows(self, sobject: str, **equals: Any) -> list[dict[str, Any]]:
        return self.handle.store.find(sobject, **equals)


def connection_for(handle: EmulatorHandle) -> OrgConnection:
    return OrgConnection(
        name="test",
        instance_url=handle.instance_url,
        auth_method="access_token",
        auth={"token_env": TOKEN_ENV},
        ca_cert=handle.ca_cert,
    )


@pytest.fixture
def emulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., EmulatedOrg]]:
    """``emulated(seed_dict)`` starts an org from the seed and connects a provider to it."""
    started: list[EmulatedOrg] = []

    def start(seed: dict[str, Any] | None = None) -> EmulatedOrg:
        seed_path = tmp_path / f"seed{len(started)}.json"
        seed_path.write_text(json.dumps(seed if seed is not None else base_seed()), encoding="utf-8")
        handle = start_emulator(tmp_path / f"org{len(started)}.json", seed=seed_path)
        monkeypatch.setenv(TOKEN_ENV, handle.access_token)
        sleeps: list[float] = []
        provider = connect(connection_for(handle), sleep=sleeps.append)
        org = EmulatedOrg(handle, provider, sleeps)
        started.append(org)
        return org

    yield start
    for org in started:
        org.provider.close()
        org.handle.stop()
