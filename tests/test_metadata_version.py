"""Metadata API calls go to the bundled WSDL's version, whatever REST version the org is configured with."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from providers.salesforce import connect
from providers.salesforce.session import metadata_wsdl_version
from tests.support.emulator import EmulatedOrg, connection_for


def test_the_bundled_wsdl_names_its_version() -> None:
    assert metadata_wsdl_version() == "63.0"


def test_metadata_calls_are_pinned_to_the_wsdl_version(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated()
    conn = dataclasses.replace(connection_for(org.handle), api_version="59.0")
    provider = connect(conn)
    try:
        profiles = provider.transport.metadata("readMetadata", "Profile", ["Admin"])
        assert [profile.fullName for profile in profiles] == ["Admin"]
        query = provider.transport.metadata_type("ListMetadataQuery")(type="Profile")
        provider.transport.metadata("listMetadata", [query], metadata_wsdl_version())
        provider.session.reauthenticate()
        provider.transport.metadata("readMetadata", "Profile", ["Admin"])
        assert provider.transport.query_all("SELECT Id FROM Profile WHERE Name = 'System Administrator'")
    finally:
        provider.close()
    stats = org.handle.stats()
    assert stats["metadata_api_versions"] == {"63.0": 3}, "the endpoint follows the WSDL, not api_version"
    assert provider.session.api_version == "59.0", "REST keeps the configured version"
    assert provider.session.metadata().metadata_url.endswith("/services/Soap/m/63.0/")
