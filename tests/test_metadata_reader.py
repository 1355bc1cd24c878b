"""The Metadata API read answers are parsed by ``providers.salesforce.metadata_reader`` exactly as zeep
parses them: every answer the provider reads from a rich org, and hand-written answers for the corners
(nil and attribute-only records, unknown and repeated elements, order, unconvertible values)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep.exceptions
from lxml import etree
from zeep import Client
from zeep.xsd import CompoundValue

from providers.salesforce import metadata_reader
from providers.salesforce.session import _WSDL_SETTINGS, _wsdl_path, metadata_wsdl
from reconcile import kinds
from tests.support.emulator import EmulatedOrg

RELEASE_SEED = Path(__file__).resolve().parent.parent / "examples" / "release" / "orgs" / "uat.json"
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
)


@pytest.fixture(scope="module")
def zeep_client() -> Client:
    """A client on a WSDL parsed apart from the process's: zeep's own reader throughout."""
    return Client(_wsdl_path().absolute().as_uri(), settings=_WSDL_SETTINGS)  # type: ignore[no-untyped-call]


def shape(value: Any) -> Any:
    """A comparable form of a parsed answer: value objects with their type, raw elements as XML."""
    if isinstance(value, CompoundValue):
        fields = {key: shape(value[key]) for key in value}
        return (value._xsd_type.qname, type(value).__name__, type(value.__values__).__name__, list(value), fields)
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, deque):
        return ("raw", [etree.tostring(node) for node in value])
    return (type(value).__name__, value)


def both(client: Client, operation: str, content: bytes) -> tuple[Any, Any]:
    """``content`` (a whole SOAP answer to ``operation``) read by the process's client and by zeep's."""
    response = requests.Response()
    response.status_code = 200
    response._content = content
    response.headers["Content-Type"] = "text/xml; charset=utf-8"
    fast = Client(metadata_wsdl(), settings=_WSDL_SETTINGS)  # type: ignore[no-untyped-call]
    answers = []
    for reader in (fast, client):
        binding = reader.wsdl.bindings["{http://soap.sforce.com/2006/04/metadata}MetadataBinding"]
        answers.append(binding.process_reply(reader, binding.get(operation), response))
    return answers[0], answers[1]


def read_answer(records: str) -> bytes:
    return ENVELOPE.format(body=f"<readMetadataResponse><result>{records}</result></readMetadataResponse>").encode()


def test_every_answer_of_a_rich_org_reads_the_same(emulated: Callable[..., EmulatedOrg], zeep_client: Client) -> None:
    org = emulated(json.loads(RELEASE_SEED.read_text(encoding="utf-8")))
    seen: list[tuple[str, bytes]] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if "/services/Soap/m/" in response.url and response.status_code == 200:
            body = etree.fromstring(response.content).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
            assert body is not None
            seen.append((etree.QName(body[0]).localname.removesuffix("Response"), response.content))

    org.provider.session.metadata()._client.transport.session.hooks["response"].append(record)
    for kind in kinds.names():
        if kind in org.provider.supports:
            org.provider.inventory(kind)
    operations = {operation for operation, _ in seen}
    assert {"readMetadata", "listMetadata"} <= operations
    compared = 0
    for operation, content in seen:
        if operation not in metadata_reader.OPERATIONS:
            continue
        fast, slow = both(zeep_client, operation, content)
        assert shape(fast) == shape(slow), operation
        compared += 1
    assert compared >= 8, "the inventories read profiles, fields, record types and components"


CORNERS = {
    "a nil record": '<records xsi:nil="true"/>',
    "a record with only its type": '<records xsi:type="RemoteSiteSetting"/>',
    "an empty record list": "",
    "elements out of order, unknown and repeated": (
        '<records xsi:type="RemoteSiteSetting"><url>https://a.example.com</url><fullName>Site</fullName>'
        "<isActive>true</isActive><futureElement>x</futureElement><isActive>false</isActive>"
        "<disableProtocolSecurity>false</disableProtocolSecurity></records>"
    ),
    "a value that does not convert": (
        '<records xsi:type="CustomField"><fullName>Account.Tier__c</fullName><length>many</length>'
        "<required>maybe</required></records>"
    ),
    "nested lists, empty elements and text": (
        '<records xsi:type="Profile"><fullName>Admin</fullName><layoutAssignments><layout>Account-A</layout>'
        "</layoutAssignments><layoutAssignments/><layoutAssignments><layout>Case-B</layout><recordType>"
        "Case.Support</recordType></layoutAssignments><custom>false</custom><description></description>"
        "</records>"
    ),
    "required fields missing before and after the children": (
        '<records xsi:type="RemoteSiteSetting"><url>https://a.example.com</url></records>'
        '<records xsi:type="DuplicateRule"><sortOrder>1</sortOrder><fullName>Rule</fullName></records>'
        '<records xsi:type="RecordType"><picklistValues><picklist>Tier__c</picklist><values><fullName>Gold'
        "</fullName><default>false</default></values></picklistValues></records>"
    ),
    "a prefixed type and a comment": (
        '<records xmlns:m="http://soap.sforce.com/2006/04/metadata" xsi:type="m:RemoteSiteSetting">'
        "<!-- a comment --><fullName>Site</fullName></records>"
    ),
}


@pytest.mark.parametrize("records", CORNERS.values(), ids=CORNERS.keys())
def test_corner_answers_read_the_same(records: str, zeep_client: Client) -> None:
    fast, slow = both(zeep_client, "readMetadata", read_answer(records))
    assert shape(fast) == shape(slow)


def test_a_type_the_schema_does_not_know_fails_the_same(zeep_client: Client) -> None:
    content = read_answer('<records xsi:type="NoSuchType"><fullName>X</fullName></records>')
    fast = Client(metadata_wsdl(), settings=_WSDL_SETTINGS)  # type: ignore[no-untyped-call]
    for reader in (fast, zeep_client):
        binding = reader.wsdl.bindings["{http://soap.sforce.com/2006/04/metadata}MetadataBinding"]
        response = requests.Response()
        response.status_code, response._content = 200, content
        with pytest.raises(zeep.exceptions.LookupError, match="No type 'NoSuchType'"):
            binding.process_reply(reader, binding.get("readMetadata"), response)


def test_a_list_answer_reads_the_same(zeep_client: Client) -> None:
    items = "".join(
        f"<result><createdById>005</createdById><fileName>profiles/P{n}.profile</fileName><fullName>P{n}"
        f"</fullName><id>00e{n}</id><lastModifiedDate>2026-01-0{n}T10:00:00.000Z</lastModifiedDate>"
        "<manageableState>unmanaged</manageableState><type>Profile</type></result>"
        for n in range(1, 4)
    )
    content = ENVELOPE.format(body=f"<listMetadataResponse>{items}</listMetadataResponse>").encode()
    fast, slow = both(zeep_client, "listMetadata", content)
    assert shape(fast) == shape(slow)
    assert [item.fullName for item in fast] == ["P1", "P2", "P3"]


def test_the_installed_reader_is_the_one_that_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process's WSDL reads read answers through the reader (not zeep's generic parser)."""
    calls: list[str] = []
    original = metadata_reader.Reader.complex_value

    def counted(self: metadata_reader.Reader, xsd_type: Any, node: Any, allow_none: bool = True) -> Any:
        calls.append(etree.QName(node).localname)
        return original(self, xsd_type, node, allow_none)

    monkeypatch.setattr(metadata_reader.Reader, "complex_value", counted)
    both(Client(_wsdl_path().absolute().as_uri(), settings=_WSDL_SETTINGS), "readMetadata", read_answer(""))  # type: ignore[no-untyped-call]
    assert calls[:2] == ["readMetadataResponse", "result"]
