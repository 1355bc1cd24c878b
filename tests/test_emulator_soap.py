"""The emulator's SOAP endpoints, read back the way clients read them.

Metadata API answers go through simple-salesforce's own zeep client and bundled metadata.wsdl: first
in-process (a requests adapter hands each request to the handler), then over HTTPS against the running
emulator. Apex SOAP answers are parsed with ElementTree, as @salesforce/apex-node reads them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import pytest
import requests
import zeep.exceptions
from simple_salesforce.api import Salesforce
from simple_salesforce.metadata import SfdcMetadataApi

from providers.emulator.embedded import EmulatorHandle, start_emulator
from providers.emulator.org.store import Store
from providers.emulator.soap.apex import handle_apex_soap
from providers.emulator.soap.envelope import (
    APEX_NS,
    CONTENT_TYPE,
    METADATA_NS,
    invalid_session_fault,
    session_id_from_envelope,
)
from providers.emulator.soap.metadata import handle_metadata_soap

TOKEN = "00Dxx0000001gPLEAY!emulator"
Handler = Callable[[bytes], tuple[int, bytes]]

SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Acme SOAP"},
    "profiles": [{"name": "System Administrator"}, {"name": "Sales User"}, {"name": "Custom: Ops.Team"}],
    "users": [{"username": "admin@acme.test", "profile": "System Administrator"}],
    "objects": [
        {
            "name": "Account",
            "record_types": ["Enterprise", "SMB"],
            "layouts": ["Account Layout", "Account (Enterprise) Layout"],
            "fields": [
                {
                    "name": "Tier__c",
                    "type": "Picklist",
                    "values": ["Gold", "Silver", {"name": "Bronze", "active": False}],
                },
                {"name": "Region__c", "type": "Picklist", "global_value_set": "Regions"},
            ],
        },
        {"name": "Contact", "record_types": ["Partner"], "layouts": ["Contact Layout"]},
        {"name": "acme__Invoice__c", "layouts": ["acme__Invoice Layout"]},
    ],
    "global_value_sets": [{"name": "Regions", "values": ["EMEA", "AMER"]}],
    "standard_value_sets": [{"name": "Industry", "values": ["Banking", "Energy"]}],
    "layout_assignments": [{"profile": "Sales User", "object": "Account", "layout": "Account Layout"}],
}


class HandlerAdapter(requests.adapters.BaseAdapter):
    """Hands every request body to a SOAP handler, as the server would, without a socket."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        status, content = self.handler(body)
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.headers["Content-Type"] = CONTENT_TYPE
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


def write_seed(directory: Path) -> Path:
    seed = directory / "seed.json"
    seed.write_text(json.dumps(SEED), encoding="utf-8")
    return seed


def metadata_handler(store: Store) -> Handler:
    """The Metadata API endpoint as the server runs it: session check, then the handler."""

    def handle(body: bytes) -> tuple[int, bytes]:
        if session_id_from_envelope(body) != TOKEN:
            return invalid_session_fault()
        return handle_metadata_soap(store, body, "62.0")

    return handle


@dataclass
class Target:
    """One way of reaching the SOAP handlers: in-process through an adapter, or over HTTPS."""

    store: Store
    token: str
    connect: Callable[[str], SfdcMetadataApi]  # session id -> simple-salesforce's mdapi
    post_metadata: Handler  # raw envelope -> (status, body)
    post_apex: Handler


def in_process(store: Store) -> Target:
    def connect(session_id: str) -> SfdcMetadataApi:
        url = "https://emulator.test/services/Soap/m/62.0/"
        api = SfdcMetadataApi(requests.Session(), session_id, "emulator.test", url, {}, "62.0")
        api._client.transport.session.mount("https://", HandlerAdapter(metadata_handler(store)))
        return api

    def post_apex(body: bytes) -> tuple[int, bytes]:
        if session_id_from_envelope(body) != TOKEN:
            return invalid_session_fault(sf_ns=APEX_NS)
        return handle_apex_soap(store, body, "62.0")

    return Target(store, TOKEN, connect, metadata_handler(store), post_apex)


def trusting(session: requests.Session, ca_cert: Path) -> requests.Session:
    """Make ``session`` trust the emulator's CA. requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from
    the environment override ``session.verify``, so the environment is ignored for this session."""
    session.verify = str(ca_cert)
    session.trust_env = False
    return session


def over_https(handle: EmulatorHandle) -> Target:
    session = trusting(requests.Session(), handle.ca_cert)

    def connect(session_id: str) -> SfdcMetadataApi:
        sf = Salesforce(instance_url=handle.instance_url, session_id=session_id, version="62.0", session=session)
        trusting(sf.mdapi._client.transport.session, handle.ca_cert)
        return sf.mdapi

    def poster(path: str, action: str) -> Handler:
        def post(body: bytes) -> tuple[int, bytes]:
            headers = {"content-type": "text/xml", "soapaction": action}
            response = session.post(f"{handle.instance_url}{path}", data=body, headers=headers, timeout=30)
            return response.status_code, response.content

        return post

    return Target(
        handle.store,
        handle.access_token,
        connect,
        poster("/services/Soap/m/62.0/", '""'),
        poster(f"/services/Soap/s/62.0/{handle.org_id}", "executeAnonymous"),
    )


@pytest.fixture(params=["in-process", "https"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    seed = write_seed(tmp_path)
    if request.param == "in-process":
        yield in_process(Store.create(seed, tmp_path / "org.json"))
        return
    with start_emulator(tmp_path / "org.json", seed=seed) as handle:
        yield over_https(handle)


@pytest.fixture
def store(target: Target) -> Store:
    return target.store


@pytest.fixture
def mdapi(target: Target) -> SfdcMetadataApi:
    return target.connect(target.token)


def assignments(profile: Any) -> dict[str | None, str]:
    """recordType (None for master) -> layout, for the Account assignments of a read Profile."""
    return {a.recordType: a.layout for a in profile.layoutAssignments if a.layout.startswith("Account-")}


def read(api: SfdcMetadataApi, type_name: str, *names: str) -> Any:
    """readMetadata through simple-salesforce: one object for one name, else a list."""
    return getattr(api, type_name).read(list(names))


def values(field_values: list[Any]) -> list[tuple[str, bool]]:
    return [(v.fullName, v.isActive) for v in field_values]


def reloaded(store: Store) -> Store:
    """The org file as committed, loaded afresh."""
    return Store.load(store.path)


# --- soap_common ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", [METADATA_NS, APEX_NS, "urn:anything"])
def test_session_id_is_read_from_any_session_header_namespace(namespace: str) -> None:
    body = (
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header>'
        f'<h:SessionHeader xmlns:h="{namespace}"><h:sessionId> SID </h:sessionId></h:SessionHeader>'
        "</e:Header><e:Body><x/></e:Body></e:Envelope>"
    )
    assert session_id_from_envelope(body.encode()) == "SID"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x/></e:Body></e:Envelope>',
        b'<!DOCTYPE e [<!ENTITY x "SID">]><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<e:Header><SessionHeader><sessionId>&x;</sessionId></SessionHeader></e:Header>"
        b"<e:Body><x/></e:Body></e:Envelope>",
    ],
)
def test_session_id_is_none_without_a_usable_header(body: bytes) -> None:
    assert session_id_from_envelope(body) is None


def test_bad_session_is_a_zeep_fault_with_the_salesforce_code(target: Target) -> None:
    api = target.connect("stale")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        api.Profile.read(["Admin"])
    assert caught.value.code == "sf:INVALID_SESSION_ID"
    assert "Illegal Session" in caught.value.message


def post(target: Target, operation_xml: str) -> tuple[int, ET.Element]:
    body = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:m="{METADATA_NS}"><soapenv:Header><m:SessionHeader><m:sessionId>{target.token}</m:sessionId>'
        f"</m:SessionHeader></soapenv:Header><soapenv:Body>{operation_xml}</soapenv:Body></soapenv:Envelope>"
    )
    status, content = target.post_metadata(body.encode())
    return status, ET.fromstring(content)


def fault_of(root: ET.Element) -> tuple[str, str]:
    fault = root.find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault is not None
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


def test_dispatch_is_on_the_body_not_the_soap_action(target: Target) -> None:
    status, root = post(target, "<m:renameMetadata><m:type>Profile</m:type></m:renameMetadata>")
    assert status == 500
    assert fault_of(root) == (
        "soapenv:Client",
        f"No operation available for request {{{METADATA_NS}}}renameMetadata",
    )


def test_entity_declarations_are_refused(store: Store) -> None:
    body = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    status, content = handle_metadata_soap(store, body, "62.0")
    assert status == 500
    assert fault_of(ET.fromstring(content))[0] == "soapenv:Client"


def test_a_component_without_xsi_type_is_a_client_fault(target: Target) -> None:
    status, root = post(
        target,
        "<m:updateMetadata><m:metadata><m:fullName>Admin</m:fullName></m:metadata></m:updateMetadata>",
    )
    assert status == 500
    assert fault_of(root) == (
        "soapenv:Client",
        "Must specify a type attribute value for the metadata element",
    )


# --- readMetadata ----------------------------------------------------------------------------------------


def test_profile_read_returns_layout_assignments_from_profile_layout_rows(mdapi: SfdcMetadataApi) -> None:
    admin = read(mdapi, "Profile", "Admin")
    assert admin.fullName == "Admin"
    assert admin.custom is False
    assert admin.userLicense == "Salesforce"
    assert assignments(admin) == {
        None: "Account-Account Layout",
        "Account.Enterprise": "Account-Account Layout",
        "Account.SMB": "Account-Account Layout",
    }
    assert any(a.layout == "acme__Invoice__c-acme__Invoice Layout" for a in admin.layoutAssignments)


def test_custom_profile_full_names_are_percent_encoded(mdapi: SfdcMetadataApi) -> None:
    profile = read(mdapi, "Profile", "Custom%3A Ops%2ETeam")
    assert (profile.fullName, profile.custom) == ("Custom%3A Ops%2ETeam", True)


def test_unknown_names_come_back_as_empty_records_in_their_slot(mdapi: SfdcMetadataApi) -> None:
    assert read(mdapi, "Profile", "Nobody").fullName is None
    known, unknown = read(mdapi, "CustomField", "Account.Tier__c", "Account.Nope__c")
    assert (known.fullName, unknown.fullName) == ("Account.Tier__c", None)


def test_custom_field_read_lists_inactive_values(mdapi: SfdcMetadataApi) -> None:
    tier = read(mdapi, "CustomField", "Account.Tier__c")
    assert (tier.label, tier.type, tier.valueSet.restricted) == ("Tier", "Picklist", True)
    assert tier.valueSet.valueSetDefinition.sorted is False
    assert values(tier.valueSet.valueSetDefinition.value) == [
        ("Gold", True),
        ("Silver", True),
        ("Bronze", False),
    ]


def test_global_value_set_bound_field_names_its_set(mdapi: SfdcMetadataApi) -> None:
    region = read(mdapi, "CustomField", "Account.Region__c")
    assert region.valueSet.valueSetName == "Regions"
    assert region.valueSet.valueSetDefinition is None


def test_value_sets_layouts_and_record_types_read(mdapi: SfdcMetadataApi) -> None:
    regions = read(mdapi, "GlobalValueSet", "Regions")
    assert (regions.masterLabel, values(regions.customValue)) == ("Regions", [("EMEA", True), ("AMER", True)])
    industry = read(mdapi, "StandardValueSet", "Industry")
    assert values(industry.standardValue) == [("Banking", True), ("Energy", True)]
    layout = read(mdapi, "Layout", "Account-Account %28Enterprise%29 Layout")
    assert layout.fullName == "Account-Account %28Enterprise%29 Layout"
    record_type = read(mdapi, "RecordType", "Account.Enterprise")
    assert (record_type.fullName, record_type.active, record_type.label) == (
        "Account.Enterprise",
        True,
        "Enterprise",
    )


def test_more_than_ten_names_is_a_fault(mdapi: SfdcMetadataApi) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        mdapi.Profile.read(["Admin"] * 11)
    assert caught.value.code == "sf:EXCEEDED_ID_LIMIT"


def test_a_type_the_emulator_lacks_is_a_fault_not_an_empty_answer(mdapi: SfdcMetadataApi) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        read(mdapi, "ApexClass", "Foo")
    assert caught.value.code == "sf:INVALID_TYPE"


# --- Profile update / upsert ----------------------------------------------------------------------------


def test_profile_update_overlays_layout_assignments(mdapi: SfdcMetadataApi, store: Store) -> None:
    layout = mdapi.ProfileLayoutAssignment(
        layout="Account-Account %28Enterprise%29 Layout", recordType="Account.Enterprise"
    )
    mdapi.Profile.update([mdapi.Profile(fullName="Sales User", layoutAssignments=[layout])])
    after = read(mdapi, "Profile", "Sales User")
    assert assignments(after) == {
        None: "Account-Account Layout",
        "Account.Enterprise": "Account-Account %28Enterprise%29 Layout",
        "Account.SMB": "Account-Account Layout",
    }
    assert len(reloaded(store).table("ProfileLayout")) == len(store.table("ProfileLayout"))


def test_profile_update_creates_a_missing_pair(mdapi: SfdcMetadataApi, store: Store) -> None:
    for row in store.find("ProfileLayout", ProfileId=store.find("Profile", Name="Sales User")[0]["Id"]):
        if row["RecordTypeId"]:
            store.delete("ProfileLayout", row["Id"])
    layout = mdapi.ProfileLayoutAssignment(layout="Account-Account Layout", recordType="Account.SMB")
    mdapi.Profile.upsert([mdapi.Profile(fullName="Sales User", layoutAssignments=[layout])])
    assert assignments(read(mdapi, "Profile", "Sales User")) == {
        None: "Account-Account Layout",
        "Account.SMB": "Account-Account Layout",
    }


@pytest.mark.parametrize(
    ("layout", "record_type", "expected"),
    [
        (
            "Account-Nope",
            None,
            "(INVALID_CROSS_REFERENCE_KEY, In field: layout - no Layout named Account-Nope found)",
        ),
        (
            "Account-Account Layout",
            "Account.Nope",
            "(INVALID_CROSS_REFERENCE_KEY, In field: recordType - no RecordType named Account.Nope found)",
        ),
        ("Contact-Contact Layout", "Account.SMB", "FIELD_INTEGRITY_EXCEPTION"),
    ],
)
def test_profile_update_with_unknown_references_fails_and_changes_nothing(
    mdapi: SfdcMetadataApi, store: Store, layout: str, record_type: str | None, expected: str
) -> None:
    before = json.dumps(store.table("ProfileLayout"), sort_keys=True)
    assignment = mdapi.ProfileLayoutAssignment(layout=layout, recordType=record_type)
    with pytest.raises(Exception, match="Admin: ") as caught:
        mdapi.Profile.update([mdapi.Profile(fullName="Admin", layoutAssignments=[assignment])])
    assert expected in str(caught.value)
    assert json.dumps(store.table("ProfileLayout"), sort_keys=True) == before


def test_each_component_of_a_batch_succeeds_or_fails_on_its_own(mdapi: SfdcMetadataApi) -> None:
    good = mdapi.Profile(
        fullName="Admin",
        layoutAssignments=[mdapi.ProfileLayoutAssignment(layout="Account-Account %28Enterprise%29 Layout")],
    )
    with pytest.raises(Exception) as caught:
        mdapi.Profile.upsert([good, mdapi.Profile(fullName="Ghost")])
    assert "Ghost: (INVALID_CROSS_REFERENCE_KEY, In field: fullName - no Profile named Ghost found)" in str(
        caught.value
    )
    assert "Admin" not in str(caught.value)
    assert assignments(read(mdapi, "Profile", "Admin"))[None] == "Account-Account %28Enterprise%29 Layout"


def test_managed_layout_names_need_the_namespace_list_metadata_leaves_out(mdapi: SfdcMetadataApi) -> None:
    listed = mdapi.list_metadata([mdapi.ListMetadataQuery(type="Layout")])
    invoice = next(item for item in listed if item.fileName.startswith("layouts/acme__Invoice__c"))
    assert invoice.fullName == "acme__Invoice__c-Invoice Layout"
    assert invoice.fileName == "layouts/acme__Invoice__c-acme__Invoice Layout.layout"
    assert (invoice.namespacePrefix, invoice.manageableState) == ("acme", "installed")
    with pytest.raises(Exception, match="no Layout named acme__Invoice__c-Invoice Layout found"):
        mdapi.Profile.update(
            [
                mdapi.Profile(
                    fullName="Admin",
                    layoutAssignments=[mdapi.ProfileLayoutAssignment(layout=invoice.fullName)],
                )
            ]
        )
    fixed = mdapi.ProfileLayoutAssignment(layout="acme__Invoice__c-acme__Invoice Layout")
    mdapi.Profile.update([mdapi.Profile(fullName="Admin", layoutAssignments=[fixed])])


def test_profile_sections_the_emulator_does_not_store_are_refused(mdapi: SfdcMetadataApi) -> None:
    permission = mdapi.ProfileUserPermission(name="ApiEnabled", enabled=True)
    with pytest.raises(Exception, match=r"UNKNOWN_EXCEPTION.*userPermissions"):
        mdapi.Profile.update([mdapi.Profile(fullName="Admin", userPermissions=[permission])])


def test_more_than_ten_components_is_a_fault(mdapi: SfdcMetadataApi) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        mdapi.Profile.update([mdapi.Profile(fullName="Admin")] * 11)
    assert caught.value.code == "sf:EXCEEDED_ID_LIMIT"


# --- picklists ------------------------------------------------------------------------------------------


def custom_value(mdapi: SfdcMetadataApi, name: str, **kwargs: Any) -> Any:
    return mdapi.CustomValue(
        fullName=name, label=kwargs.pop("label", name), default=kwargs.pop("default", False), **kwargs
    )


def test_custom_field_update_deactivates_omitted_values(mdapi: SfdcMetadataApi, store: Store) -> None:
    definition = mdapi.ValueSetValuesDefinition(
        sorted=False,
        value=[custom_value(mdapi, "Platinum"), custom_value(mdapi, "Gold", label="Gold Tier", default=True)],
    )
    field = mdapi.CustomField(
        fullName="Account.Tier__c",
        label="Customer Tier",
        type="Picklist",
        valueSet=mdapi.ValueSet(restricted=True, valueSetDefinition=definition),
    )
    mdapi.CustomField.update([field])
    tier = read(mdapi, "CustomField", "Account.Tier__c")
    assert tier.label == "Customer Tier"
    listed = tier.valueSet.valueSetDefinition.value
    assert values(listed) == [("Platinum", True), ("Gold", True), ("Silver", False), ("Bronze", False)]
    assert (listed[1].label, listed[1].default) == ("Gold Tier", True)
    stored = reloaded(store).find("CustomField", FullName="Account.Tier__c")[0]["Metadata"]
    assert [v["valueName"] for v in stored["valueSet"]["valueSetDefinition"]["value"]] == [
        "Platinum",
        "Gold",
        "Silver",
        "Bronze",
    ]


def test_custom_field_update_needs_label_and_type(mdapi: SfdcMetadataApi) -> None:
    with pytest.raises(Exception, match="FIELD_INTEGRITY_EXCEPTION, Must specify a non-empty label"):
        mdapi.CustomField.update([mdapi.CustomField(fullName="Account.Tier__c", type="Picklist")])


def test_unknown_custom_field_is_a_cross_reference_error(mdapi: SfdcMetadataApi) -> None:
    with pytest.raises(Exception) as caught:
        mdapi.CustomField.update([mdapi.CustomField(fullName="Account.Nope__c", label="Nope", type="Picklist")])
    assert "(INVALID_CROSS_REFERENCE_KEY, In field: fullName - no CustomField named Account.Nope__c found)" in str(
        caught.value
    )


def test_global_value_set_update_and_upsert(mdapi: SfdcMetadataApi, store: Store) -> None:
    mdapi.GlobalValueSet.update(
        [
            mdapi.GlobalValueSet(
                fullName="Regions",
                masterLabel="Regions",
                sorted=False,
                customValue=[custom_value(mdapi, "APAC")],
            )
        ]
    )
    assert values(read(mdapi, "GlobalValueSet", "Regions").customValue) == [
        ("APAC", True),
        ("EMEA", False),
        ("AMER", False),
    ]
    mdapi.GlobalValueSet.upsert(
        [
            mdapi.GlobalValueSet(
                fullName="Tiers", masterLabel="Tiers", sorted=True, customValue=[custom_value(mdapi, "A")]
            )
        ]
    )
    created = reloaded(store).find("GlobalValueSet", FullName="Tiers")[0]
    assert (created["MasterLabel"], created["Id"][:3]) == ("Tiers", "0Nt")
    with pytest.raises(Exception, match="no GlobalValueSet named Ghost found"):
        mdapi.GlobalValueSet.update([mdapi.GlobalValueSet(fullName="Ghost", masterLabel="Ghost", sorted=False)])


def test_standard_value_set_update(mdapi: SfdcMetadataApi) -> None:
    given = [mdapi.StandardValue(fullName="Retail", label="Retail", default=False)]
    mdapi.StandardValueSet.update([mdapi.StandardValueSet(fullName="Industry", sorted=False, standardValue=given)])
    assert values(read(mdapi, "StandardValueSet", "Industry").standardValue) == [
        ("Retail", True),
        ("Banking", False),
        ("Energy", False),
    ]
    with pytest.raises(Exception, match="Industry: \\(FIELD_INTEGRITY_EXCEPTION"):
        mdapi.StandardValueSet.update([mdapi.StandardValueSet(fullName="Industry", sorted=False)])
    with pytest.raises(Exception, match="no StandardValueSet named LeadSource found"):
        mdapi.StandardValueSet.upsert(
            [mdapi.StandardValueSet(fullName="LeadSource", sorted=False, standardValue=given)]
        )


# --- listMetadata / describeMetadata --------------------------------------------------------------------


def test_list_metadata_reports_file_properties(mdapi: SfdcMetadataApi, store: Store) -> None:
    queries = [mdapi.ListMetadataQuery(type=t) for t in ("Profile", "CustomField", "StandardValueSet")]
    listed = {(item.type, item.fullName): item for item in mdapi.list_metadata(queries)}
    assert ("StandardValueSet", "Industry") not in listed
    admin = listed[("Profile", "Admin")]
    admin_user = store.find("User", Username="admin@acme.test")[0]
    assert (admin.fileName, admin.id[:3], admin.createdById) == (
        "profiles/Admin.profile",
        "00e",
        admin_user["Id"],
    )
    assert ("Profile", "Custom%3A Ops%2ETeam") in listed
    tier = listed[("CustomField", "Account.Tier__c")]
    assert (tier.fileName, tier.manageableState, tier.namespacePrefix) == (
        "objects/Account.object",
        "unmanaged",
        None,
    )
    record_types = mdapi.list_metadata([mdapi.ListMetadataQuery(type="RecordType")])
    assert sorted(item.fullName for item in record_types) == [
        "Account.Enterprise",
        "Account.SMB",
        "Contact.Partner",
    ]


def test_list_metadata_takes_at_most_three_queries(mdapi: SfdcMetadataApi) -> None:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        mdapi.list_metadata([mdapi.ListMetadataQuery(type="Profile")] * 4)
    assert caught.value.code == "sf:EXCEEDED_ID_LIMIT"


def test_describe_metadata_names_the_supported_types(mdapi: SfdcMetadataApi) -> None:
    described = mdapi.describe_metadata()
    names = {item.xmlName: item.directoryName for item in described.metadataObjects}
    assert names["Profile"] == "profiles"
    assert described.partialSaveAllowed is True


# --- Apex SOAP executeAnonymous -------------------------------------------------------------------------


def apex_envelope(token: str, code: str, *, debugging: bool = True, operation: str = "executeAnonymous") -> bytes:
    """The request @salesforce/apex-node sends (wire reference Part 3 §12)."""
    debug = "<apex:DebuggingHeader><apex:debugLevel>DEBUGONLY</apex:debugLevel></apex:DebuggingHeader>"
    text = (
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:cmd="{APEX_NS}" xmlns:apex="{APEX_NS}"><env:Header>'
        f"<cmd:SessionHeader><cmd:sessionId>{token}</cmd:sessionId></cmd:SessionHeader>"
        f"{debug if debugging else ''}"
        f'</env:Header><env:Body><{operation} xmlns="{APEX_NS}"><apexcode>{escape(code)}</apexcode>'
        f"</{operation}></env:Body></env:Envelope>"
    )
    return text.encode()


def apex_result(content: bytes) -> tuple[dict[str, str | None], str | None]:
    """(result fields with nil as None, debugLog or None), read the way apex-node reads them."""
    root = ET.fromstring(content)
    result = root.find(f".//{{{APEX_NS}}}executeAnonymousResponse/{{{APEX_NS}}}result")
    assert result is not None
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"
    fields = {el.tag.split("}")[1]: None if el.get(nil) == "true" else (el.text or "") for el in result}
    return fields, root.findtext(f".//{{{APEX_NS}}}DebuggingInfo/{{{APEX_NS}}}debugLog")


def test_execute_anonymous_success_returns_the_log_inline(target: Target) -> None:
    status, content = target.post_apex(apex_envelope(target.token, "System.debug('hello <world>');"))
    assert status == 200
    fields, log = apex_result(content)
    assert fields == {
        "column": "-1",
        "compileProblem": None,
        "compiled": "true",
        "exceptionMessage": None,
        "exceptionStackTrace": None,
        "line": "-1",
        "success": "true",
    }
    assert log is not None
    assert log.startswith("62.0 APEX_CODE,DEBUG")
    assert "|USER_DEBUG|[1]|DEBUG|hello <world>" in log


def test_execute_anonymous_compile_error(target: Target) -> None:
    status, content = target.post_apex(apex_envelope(target.token, "System.debug('a');\n}"))
    fields, _ = apex_result(content)
    assert status == 200
    assert (fields["compiled"], fields["success"], fields["line"], fields["column"]) == (
        "false",
        "false",
        "2",
        "1",
    )
    assert fields["compileProblem"] == "Unexpected token '}'."
    assert fields["exceptionMessage"] is None


def test_execute_anonymous_uncaught_exception(target: Target) -> None:
    status, content = target.post_apex(apex_envelope(target.token, "throw new DmlException('boom');"))
    fields, log = apex_result(content)
    assert (status, fields["compiled"], fields["success"]) == (200, "true", "false")
    assert fields["exceptionMessage"] == "System.DmlException: boom"
    assert fields["exceptionStackTrace"] == "AnonymousBlock: line 1, column 1"
    assert log is not None
    assert "FATAL_ERROR" in log


def test_execute_anonymous_without_debugging_header_has_no_log(target: Target) -> None:
    status, content = target.post_apex(apex_envelope(target.token, "System.debug('x');", debugging=False))
    assert status == 200
    assert apex_result(content)[1] is None
    assert ET.fromstring(content).find("{http://schemas.xmlsoap.org/soap/envelope/}Header") is None


def test_apex_endpoint_offers_only_execute_anonymous(target: Target) -> None:
    status, content = target.post_apex(apex_envelope(target.token, "", operation="compileClasses"))
    assert status == 500
    assert fault_of(ET.fromstring(content)) == (
        "soapenv:Client",
        f"No operation available for request {{{APEX_NS}}}compileClasses",
    )


def test_apex_endpoint_checks_the_session(target: Target) -> None:
    status, content = target.post_apex(apex_envelope("stale", "System.debug('x');"))
    assert status == 500
    assert fault_of(ET.fromstring(content))[0] == "sf:INVALID_SESSION_ID"
