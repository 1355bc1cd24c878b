"""The Metadata API SOAP endpoint (``/services/Soap/m/{version}``) of the emulator.

Operations, chosen by the Body's first child in the metadata namespace:

- ``readMetadata``: Profile, CustomField, GlobalValueSet, StandardValueSet, Layout, RecordType,
  DuplicateRule; at most 10 names; an unknown name gives ``<records xsi:nil="true"/>`` in its slot.
- ``updateMetadata`` / ``upsertMetadata``: Profile, CustomField, GlobalValueSet, StandardValueSet,
  DuplicateRule, RecordType; at most 10 components; each succeeds or fails on its own (see
  ``metadata.writes``, ``metadata.duplicate_rules`` and ``metadata.record_types``); one commit per call.
- ``listMetadata``: at most 3 queries over the seven readable types (StandardValueSet lists nothing, as
  on real orgs; Layout fullNames lose their namespace, as on real orgs).
- ``describeMetadata``: the top-level types above.
- ``readMetadata``, ``updateMetadata``, ``upsertMetadata`` (which also creates), ``listMetadata`` and
  ``deleteMetadata`` (at most 10 names; each succeeds or fails on its own) of RemoteSiteSetting and
  NamedCredential (see ``metadata.endpoints``) and CustomMetadata (``metadata.custom_metadata``).

Anything else answers the Axis "No operation available" fault, like an operation Salesforce does not
offer. The server checks the session before calling ``handle_metadata_soap``.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.etree import ElementTree as ET

from ..metadata import custom_metadata, duplicate_rules, endpoints, record_types
from ..metadata.names import Row, field_object, layout_full_name, profile_full_name, record_type_full_name
from ..metadata.types import (
    READABLE_TYPES,
    Parsed,
    component_elements,
    first,
    parse_element,
    record_xml,
    render_record,
)
from ..metadata.writes import WRITABLE_TYPES, ComponentError, SaveOutcome, save_component
from ..org.store import Store
from .envelope import METADATA_NS, SoapFault, envelope, fault_response, parse_envelope, unknown_operation
from .xml import child_text, children, namespace_of, nil_el, text_el, xsi_type

Operation = Callable[[Store, ET.Element, str], str]

READABLE = (*READABLE_TYPES, "DuplicateRule", *endpoints.TYPES, custom_metadata.TYPE)
WRITABLE = (*WRITABLE_TYPES, "DuplicateRule", "RecordType", *endpoints.TYPES, custom_metadata.TYPE)
DELETABLE = (*endpoints.TYPES, custom_metadata.TYPE)
CRUD_LIMIT = 10
LIST_QUERY_LIMIT = 3
_EPOCH = "1970-01-01T00:00:00.000Z"

# (directoryName, suffix) of the types describeMetadata and listMetadata report.
_FILES = {
    "Profile": ("profiles", "profile"),
    "GlobalValueSet": ("globalValueSets", "globalValueSet"),
    "StandardValueSet": ("standardValueSets", "standardValueSet"),
    "Layout": ("layouts", "layout"),
    "DuplicateRule": ("duplicateRules", "duplicateRule"),
    **{type_name: endpoints.files(type_name) for type_name in endpoints.TYPES},
    custom_metadata.TYPE: ("customMetadata", "md"),
}


def handle_metadata_soap(store: Store, body: bytes, api_version: str) -> tuple[int, bytes]:
    """Answer one Metadata API request: (HTTP status, response XML). Never raises for bad input."""
    try:
        request = parse_envelope(body)
        operation = _OPERATIONS.get(request.operation_name)
        if operation is None or namespace_of(request.operation) != METADATA_NS:
            raise unknown_operation(request.operation)
        return 200, envelope(operation(store, request.operation, api_version), default_ns=METADATA_NS)
    except SoapFault as fault:
        return fault_response(fault.code, fault.message)


def _limit_fault(limit: int) -> SoapFault:
    # The message seen on a real org for an 11th readMetadata name (certinia/apex-mdapi#105); that the
    # other CRUD calls and listMetadata's 3-query limit answer the same way is UNCONFIRMED.
    return SoapFault(
        "sf:EXCEEDED_ID_LIMIT",
        f"EXCEEDED_ID_LIMIT: record limit reached. cannot submit more than {limit} records in this operation",
    )


def _type_fault(type_name: str, supported: tuple[str, ...]) -> SoapFault:
    # Salesforce knows far more types than the emulator; saying so beats pretending they are empty.
    return SoapFault(
        "sf:INVALID_TYPE",
        f"INVALID_TYPE: The emulator supports this call for {', '.join(supported)} only, not {type_name!r}",
    )


def read_metadata(store: Store, operation: ET.Element, api_version: str) -> str:
    type_name = child_text(operation, "type") or ""
    names = [el.text or "" for el in children(operation, "fullNames")]
    if type_name not in READABLE:
        raise _type_fault(type_name, READABLE)
    if len(names) > CRUD_LIMIT:
        raise _limit_fault(CRUD_LIMIT)
    with store.lock:
        records = [_record(store, type_name, name) or nil_el("records") for name in names]
    return f"<readMetadataResponse><result>{''.join(records)}</result></readMetadataResponse>"


def _record(store: Store, type_name: str, full_name: str) -> str | None:
    if type_name == "DuplicateRule":
        row = duplicate_rules.find(store, full_name)
        return None if row is None else record_xml(type_name, duplicate_rules.render(row))
    if type_name == custom_metadata.TYPE:
        record = custom_metadata.find(store, full_name)
        return None if record is None else record_xml(type_name, custom_metadata.render(store, *record))
    if type_name in endpoints.TYPES:
        found = endpoints.find(store, type_name, full_name)
        return None if found is None else record_xml(type_name, endpoints.render(type_name, found))
    return render_record(store, type_name, full_name)


def _save(store: Store, operation: ET.Element, *, upsert: bool) -> list[SaveOutcome]:
    components = component_elements(operation)
    if len(components) > CRUD_LIMIT:
        raise _limit_fault(CRUD_LIMIT)
    typed: list[tuple[str, ET.Element]] = []
    for component in components:
        type_name = xsi_type(component)
        if not type_name:
            # Wording seen on real orgs (certinia/apex-mdapi#250).
            raise SoapFault("soapenv:Client", "Must specify a type attribute value for the metadata element")
        if type_name not in WRITABLE:
            raise _type_fault(type_name, WRITABLE)
        typed.append((type_name, component))
    with store.lock:
        outcomes = [_save_one(store, type_name, _as_parsed(component), upsert=upsert) for type_name, component in typed]
        if any(outcome.success for outcome in outcomes):
            store.commit()
    return outcomes


def _save_one(store: Store, type_name: str, parsed: Parsed, *, upsert: bool) -> SaveOutcome:
    if type_name in DELETABLE:
        save = custom_metadata.save if type_name == custom_metadata.TYPE else _endpoint_saver(type_name)
        created, problems = save(store, parsed, upsert=upsert)
        failed = tuple(ComponentError(code, message) for code, message in problems)
        return SaveOutcome(str(first(parsed, "fullName") or ""), failed, created)
    if type_name == "RecordType":
        name = str(first(parsed, "fullName") or "")
        return SaveOutcome(name, tuple(ComponentError(c, m) for c, m in record_types.save(store, name, parsed)))
    if type_name != "DuplicateRule":
        return save_component(store, type_name, parsed, upsert=upsert)
    full_name = str(first(parsed, "fullName") or "")
    errors = duplicate_rules.save(store, full_name, parsed)
    return SaveOutcome(full_name, tuple(ComponentError(code, message) for code, message in errors))


def _endpoint_saver(type_name: str) -> Callable[..., tuple[bool, list[tuple[str, str]]]]:
    def save(store: Store, parsed: Parsed, *, upsert: bool) -> tuple[bool, list[tuple[str, str]]]:
        return endpoints.save(store, type_name, parsed, upsert=upsert)

    return save


def _as_parsed(component: ET.Element) -> Parsed:
    parsed = parse_element(component)
    return parsed if isinstance(parsed, dict) else {}


def _result_xml(outcome: SaveOutcome, *, upsert: bool) -> str:
    errors = "".join(
        f"<errors>{text_el('message', error.message)}{text_el('statusCode', error.status_code)}</errors>"
        for error in outcome.errors
    )
    created = text_el("created", outcome.created) if upsert else ""
    tail = text_el("fullName", outcome.full_name) + text_el("success", outcome.success)
    return f"<result>{created}{errors}{tail}</result>"


def update_metadata(store: Store, operation: ET.Element, api_version: str) -> str:
    results = "".join(_result_xml(outcome, upsert=False) for outcome in _save(store, operation, upsert=False))
    return f"<updateMetadataResponse>{results}</updateMetadataResponse>"


def upsert_metadata(store: Store, operation: ET.Element, api_version: str) -> str:
    results = "".join(_result_xml(outcome, upsert=True) for outcome in _save(store, operation, upsert=True))
    return f"<upsertMetadataResponse>{results}</upsertMetadataResponse>"


def list_metadata(store: Store, operation: ET.Element, api_version: str) -> str:
    queries = [child_text(query, "type") or "" for query in children(operation, "queries")]
    if len(queries) > LIST_QUERY_LIMIT:
        raise _limit_fault(LIST_QUERY_LIMIT)
    for type_name in queries:
        if type_name not in READABLE:
            raise _type_fault(type_name, READABLE)
    with store.lock:
        audit = _audit_user(store)
        results = [
            _file_properties(type_name, row_fields, audit)
            for type_name in dict.fromkeys(queries)
            for row_fields in _listed(store, type_name)
        ]
    return f"<listMetadataResponse>{''.join(results)}</listMetadataResponse>"


def _listed(store: Store, type_name: str) -> list[tuple[str, str, Row]]:
    """(fullName, fileName, row) of every listed component of one type, sorted by fullName."""
    if type_name in endpoints.TYPES:
        return endpoints.listed(store, type_name)
    if type_name == custom_metadata.TYPE:
        return custom_metadata.listed(store)
    rows = store.table(type_name).values()
    if type_name == "Profile":
        named = [(profile_full_name(r), f"profiles/{profile_full_name(r)}.profile", r) for r in rows]
    elif type_name == "Layout":
        # listMetadata drops the namespace of the layout name; fileName keeps it.
        named = [(layout_full_name(r, with_namespace=False), f"layouts/{layout_full_name(r)}.layout", r) for r in rows]
    elif type_name == "RecordType":
        named = [(record_type_full_name(r), f"objects/{r['SobjectType']}.object", r) for r in rows]
    elif type_name == "CustomField":
        named = [(str(r["FullName"]), f"objects/{field_object(r)}.object", r) for r in rows]
    elif type_name == "DuplicateRule":
        named = duplicate_rules.listed(store)
    elif type_name == "GlobalValueSet":
        named = [(str(r["FullName"]), f"globalValueSets/{r['FullName']}.globalValueSet", r) for r in rows]
    else:
        # Real orgs list no StandardValueSets (wire reference §3): clients must know the names.
        named = []
    return sorted(named, key=lambda item: item[0])


def _audit_user(store: Store) -> tuple[str, str]:
    """(Id, Name) reported as creator and last modifier: the first System Administrator user."""
    admins = {p["Id"] for p in store.table("Profile").values() if profile_full_name(p) == "Admin"}
    users = sorted(store.table("User").values(), key=lambda u: (u.get("ProfileId") not in admins, str(u["Id"])))
    return (str(users[0]["Id"]), str(users[0].get("Name") or "")) if users else ("", "")


def _file_properties(type_name: str, listed: tuple[str, str, Row], audit: tuple[str, str]) -> str:
    full_name, file_name, row = listed
    namespace = row.get("NamespacePrefix")
    created = row.get("CreatedDate") or _EPOCH
    modified = row.get("LastModifiedDate") or created
    return (
        "<result>"
        + text_el("createdById", audit[0])
        + text_el("createdByName", audit[1])
        + text_el("createdDate", created)
        + text_el("fileName", file_name)
        + text_el("fullName", full_name)
        + text_el("id", row["Id"])
        + text_el("lastModifiedById", audit[0])
        + text_el("lastModifiedByName", audit[1])
        + text_el("lastModifiedDate", modified)
        + text_el("manageableState", "installed" if namespace else "unmanaged")
        + text_el("namespacePrefix", namespace)
        + text_el("type", type_name)
        + "</result>"
    )


def describe_metadata(store: Store, operation: ET.Element, api_version: str) -> str:
    objects = "".join(
        "<metadataObjects>"
        + text_el("directoryName", directory)
        + text_el("inFolder", False)
        + text_el("metaFile", False)
        + text_el("suffix", suffix)
        + text_el("xmlName", type_name)
        + "</metadataObjects>"
        for type_name, (directory, suffix) in _FILES.items()
    )
    with store.lock:
        organization = next(iter(store.table("Organization").values()), {})
    return (
        "<describeMetadataResponse><result>"
        + objects
        + text_el("organizationNamespace", organization.get("NamespacePrefix") or "")
        + text_el("partialSaveAllowed", True)
        + text_el("testRequired", False)
        + "</result></describeMetadataResponse>"
    )


def delete_metadata(store: Store, operation: ET.Element, api_version: str) -> str:
    type_name = child_text(operation, "type") or ""
    names = [el.text or "" for el in children(operation, "fullNames")]
    if type_name not in DELETABLE:
        raise _type_fault(type_name, DELETABLE)
    if len(names) > CRUD_LIMIT:
        raise _limit_fault(CRUD_LIMIT)
    with store.lock:
        outcomes = [
            SaveOutcome(name, tuple(ComponentError(c, m) for c, m in _delete_one(store, type_name, name)))
            for name in names
        ]
        if any(outcome.success for outcome in outcomes):
            store.commit()
    results = "".join(_result_xml(outcome, upsert=False) for outcome in outcomes)
    return f"<deleteMetadataResponse>{results}</deleteMetadataResponse>"


def _delete_one(store: Store, type_name: str, name: str) -> list[tuple[str, str]]:
    if type_name == custom_metadata.TYPE:
        return custom_metadata.delete(store, name)
    return endpoints.delete(store, type_name, name)


_OPERATIONS: dict[str, Operation] = {
    "readMetadata": read_metadata,
    "updateMetadata": update_metadata,
    "upsertMetadata": upsert_metadata,
    "listMetadata": list_metadata,
    "describeMetadata": describe_metadata,
    "deleteMetadata": delete_metadata,
}
