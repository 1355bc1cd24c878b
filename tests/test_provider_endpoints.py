"""Remote sites and named credentials (Metadata API RemoteSiteSetting and NamedCredential) through the
provider and the emulator, over HTTPS: exact call counts, batches of 10, per-component failures, and no
secret in anything the provider returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconcile.kinds.named_credential import NamedCredential
from reconcile.kinds.remote_site import RemoteSite
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, narrow, provider_seed

READ = "POST Soap/m readMetadata"
LIST = "POST Soap/m listMetadata"
SECRET = "hunter2-secret"


def seed(sites: int = 0, credentials: int = 0) -> dict[str, Any]:
    document = provider_seed()
    document["remote_sites"] = [{"name": f"Site_{n:02}", "url": f"https://s{n}.example.com"} for n in range(sites)]
    document["named_credentials"] = [
        {"name": f"Cred_{n:02}", "endpoint": f"https://c{n}.example.com", "protocol": "Password", "password": SECRET}
        for n in range(credentials)
    ]
    return document


def site(n: int, url: str) -> RemoteSite:
    return RemoteSite(name=f"Site_{n:02}", url=url)


def test_reading_costs_one_readmetadata_per_ten_names(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed(sites=12, credentials=3))
    keys = [f"Site_{n:02}" for n in range(12)] + ["site_00", "No_Such_Site"]
    found = org.provider.read("remote_site", keys)
    assert org.provider.usage.by_endpoint == {READ: 2}  # 14 names, 10 a call
    assert set(found) == {Address("remote_site", k) for k in keys[:-1]}  # keyed as asked, unknown left out
    assert narrow(found[Address("remote_site", "site_00")], RemoteSite).url == "https://s0.example.com"
    org.reset_counts()
    credentials = org.provider.read("named_credential", ["Cred_00", "Cred_01", "Cred_02"])
    assert org.provider.usage.by_endpoint == {READ: 1}
    assert org.requests() == org.provider.usage.by_endpoint
    cred = narrow(credentials[Address("named_credential", "Cred_01")], NamedCredential)
    assert (cred.url, cred.protocol) == ("https://c1.example.com", "Password")
    assert SECRET not in repr(credentials) and SECRET not in cred.model_dump_json()


def test_inventory_is_one_list_and_one_read_per_ten(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed(sites=11, credentials=2))
    assert len(org.provider.inventory("remote_site")) == 11
    assert org.provider.usage.by_endpoint == {LIST: 1, READ: 2}


def test_writes_go_ten_a_call_and_a_bad_one_fails_alone(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed(sites=3))
    found = org.provider.read("remote_site", [f"Site_{n:02}" for n in range(3)])
    org.reset_counts()
    creates = [
        Change(address=site(n, "").address, action=Action.CREATE, after=site(n, f"https://n{n}.example.com"))
        for n in range(3, 14)
    ]
    bad = site(14, "https://ok.example.com").model_copy(update={"url": "not a url"})
    creates.append(Change(address=bad.address, action=Action.CREATE, after=bad))
    updated = site(0, "https://moved.example.com")
    update = Change(address=updated.address, action=Action.UPDATE, before=found[updated.address], after=updated)
    delete = Change(
        address=Address("remote_site", "Site_01"), action=Action.DELETE, before=found[Address("remote_site", "Site_01")]
    )
    results = org.provider.apply("remote_site", [*creates, update, delete])
    assert org.provider.usage.by_endpoint == {"POST Soap/m upsertMetadata": 2, "POST Soap/m deleteMetadata": 1}
    assert [r.ok for r in results] == [True] * 11 + [False, True, True]
    assert results[11].code == "FIELD_INTEGRITY_EXCEPTION"
    live = org.provider.inventory("remote_site")
    assert Address("remote_site", "Site_01") not in live and Address("remote_site", "Site_14") not in live
    assert narrow(live[Address("remote_site", "Site_00")], RemoteSite).url == "https://moved.example.com"
    assert len(live) == 13


def test_an_endpoint_update_keeps_the_secret_in_the_org_and_out_of_the_request(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    org = emulated(seed(credentials=1))
    before = org.provider.read("named_credential", ["Cred_00"])[Address("named_credential", "Cred_00")]
    after = NamedCredential(name="Cred_00", url="https://new.example.com", protocol="Password")
    org.reset_counts()
    (result,) = org.provider.apply(
        "named_credential", [Change(address=after.address, action=Action.UPDATE, before=before, after=after)]
    )
    assert result.ok, result
    assert org.provider.usage.by_endpoint == {"POST Soap/m updateMetadata": 1}
    (row,) = org.rows("_NamedCredential")
    assert row["Endpoint"] == "https://new.example.com" and row["Secrets"] == {"password": SECRET}
    assert SECRET not in result.model_dump_json()
