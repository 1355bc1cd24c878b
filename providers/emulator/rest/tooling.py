"""Tooling API resources under ``/services/data/vXX.X/tooling/``.

Routes: ``query`` (+ locator paging) with the Tooling envelope; ``sobjects/{T}/{id}`` GET for every
Tooling object; PATCH ``{"Metadata": ...}`` for CustomField, GlobalValueSet, ValidationRule and
FlowDefinition (204; a FlowDefinition's ``activeVersionNumber`` activates a version, see
``org/flows.py``); ``sobjects/ApexLog/{id}/Body`` (text/plain); ``runTestsSynchronous`` /
``runTestsAsynchronous`` (POST, see ``rest/apex_tests.py``); ``executeAnonymous`` (GET,
``anonymousBody``), which runs the code through the Apex analyzer, answers HTTP 200 even when it
fails, and keeps the debug log as an in-memory ApexLog row.

PATCH semantics (wire reference Part 3 §6): the sent Metadata replaces the stored one, except that
picklist values the request omits are kept as inactive; a new value is added. ``label`` and ``type``
(``masterLabel`` for a GlobalValueSet) are required. A ValidationRule's Metadata is replaced whole
(``org/validation_rules.py`` says what it requires).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..apex import ApexOutcome
from ..apex_jobs import run_anonymous
from ..context import OrgContext
from ..org import flows, validation_rules
from ..org.picklists import merge_values
from ..org.store import Store
from ..wire import TEXT_TYPE, ApiRequest, ApiResponse, error, not_found
from . import apex_tests, records
from .object_tables import TOOLING_OBJECTS
from .queries import next_batch, run_query
from .records import RecordError
from .schema import OrgDatabase

PATCHABLE = ("CustomField", "GlobalValueSet", "ValidationRule", "FlowDefinition")


def route(org: OrgContext, request: ApiRequest) -> ApiResponse:
    """Answer a request whose path starts with ``tooling/``."""
    segments = request.segments[1:]
    if not segments:
        return not_found()
    head = segments[0]
    if head == "query" and request.method == "GET":
        if len(segments) == 1:
            return run_query(org, request, tooling=True)
        return next_batch(org, request, segments[1], tooling=True)
    if head == "executeAnonymous" and len(segments) == 1:
        if request.method != "GET":
            return error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are GET")
        return execute_anonymous(org, request)
    if head in apex_tests.RESOURCES and len(segments) == 1:
        return apex_tests.handle(org, request, head)
    if head == "sobjects" and len(segments) in (3, 4):
        try:
            with org.store.lock:
                return _sobject(org, request, segments[1:])
        except RecordError as exc:
            return exc.response()
    return not_found()


def _sobject(org: OrgContext, request: ApiRequest, parts: list[str]) -> ApiResponse:
    sobject = OrgDatabase(org.store, tooling=True).resolve(parts[0])
    if sobject is None or sobject not in TOOLING_OBJECTS:
        return not_found()
    if len(parts) == 3:
        if sobject == "ApexLog" and parts[2] == "Body" and request.method == "GET":
            log = records.existing(org.store, "ApexLog", parts[1])
            return ApiResponse(200, log["_body"], content_type=TEXT_TYPE)
        return not_found()
    if request.method == "GET":
        base = request.base_path + "/tooling"
        return ApiResponse(200, records.read(org.store, sobject, parts[1], base, tooling=True))
    if request.method == "PATCH" and sobject in PATCHABLE:
        record = records.existing(org.store, sobject, parts[1])
        _patch(org.store, sobject, record, request.json())
        org.store.commit()
        return ApiResponse(204)
    allowed = "GET,PATCH" if sobject in PATCHABLE else "GET"
    return error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}")


def _patch(store: Store, sobject: str, record: dict[str, Any], body: Any) -> None:
    if sobject == "ValidationRule":
        try:
            store.update(sobject, record["Id"], validation_rules.updated(body))
        except validation_rules.InvalidMetadata as exc:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", str(exc), exc.fields) from None
        return
    metadata = body.get("Metadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        raise RecordError("FIELD_INTEGRITY_EXCEPTION", "Metadata: required field missing", ["Metadata"])
    if sobject == "FlowDefinition":
        for table, record_id, fields in flows.activate(store.data, record, metadata, _flow_error):
            store.update(table, record_id, fields)
        return
    full_name = body.get("FullName")
    if full_name and str(full_name).lower() != str(record["FullName"]).lower():
        raise RecordError("FIELD_INTEGRITY_EXCEPTION", "FullName: renaming is not supported", ["FullName"])
    if sobject == "CustomField":
        store.update(sobject, record["Id"], {"Metadata": _field_metadata(record["Metadata"], metadata)})
    else:
        merged = _value_set_metadata(record["Metadata"], metadata)
        store.update(
            sobject,
            record["Id"],
            {"Metadata": merged, "MasterLabel": merged["masterLabel"], "Description": merged.get("description")},
        )


def _flow_error(message: str, fields: list[str]) -> Exception:
    return RecordError("FIELD_INTEGRITY_EXCEPTION", message, fields)


def _required(metadata: dict[str, Any], *keys: str) -> None:
    missing = [k for k in keys if not metadata.get(k)]
    if missing:
        # Salesforce's code for a missing label/type is not public; FIELD_INTEGRITY_EXCEPTION is our choice.
        raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"Required field missing: {', '.join(missing)}", missing)


def _field_metadata(stored: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    _required(sent, "label", "type")
    merged = dict(sent)
    value_set = sent.get("valueSet")
    stored_definition = (stored.get("valueSet") or {}).get("valueSetDefinition") or {}
    if isinstance(value_set, dict) and isinstance(value_set.get("valueSetDefinition"), dict):
        definition = dict(value_set["valueSetDefinition"])
        definition["value"] = merge_values(stored_definition.get("value", []), definition.get("value") or [])
        merged["valueSet"] = {
            "controllingField": None,
            "restricted": True,
            "valueSetName": None,
            "valueSettings": [],
            **value_set,
            "valueSetDefinition": definition,
        }
    return merged


def _value_set_metadata(stored: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    _required(sent, "masterLabel")
    merged = {"description": None, "sorted": False, **sent}
    merged["customValue"] = merge_values(stored.get("customValue", []), sent.get("customValue") or [])
    return merged


def execute_anonymous(org: OrgContext, request: ApiRequest) -> ApiResponse:
    """Run ``anonymousBody`` through the analyzer; keep its log as an ApexLog row (memory only)."""
    code = request.args.get("anonymousBody")
    if code is None:
        return error(400, "MISSING_ARGUMENT", "anonymousBody: required parameter missing")
    started = dt.datetime.now(dt.UTC)
    outcome = run_anonymous(org.store, code, api_version=request.version, started_at=started)
    with org.store.lock:
        _keep_log(org.store, request, outcome, started)
    return ApiResponse(
        200,
        {
            "line": outcome.line,
            "column": outcome.column,
            "compiled": outcome.compiled,
            "success": outcome.success,
            "compileProblem": outcome.compile_problem,
            "exceptionStackTrace": outcome.exception_stack_trace,
            "exceptionMessage": outcome.exception_message,
        },
    )


def _keep_log(store: Store, request: ApiRequest, outcome: ApexOutcome, started: dt.datetime) -> None:
    users = store.table("User").values()
    admin = next((u for u in users if _is_admin(store, u)), next(iter(users), None))
    store.insert(
        "ApexLog",
        {
            "LogUserId": admin["Id"] if admin else None,
            "LogLength": len(outcome.debug_log.encode()),
            "Operation": f"{request.base_path}/tooling/executeAnonymous/",
            "Application": "Unknown",
            "Status": outcome.exception_message or "Success",
            "StartTime": started.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "DurationMilliseconds": 1,
            "Request": "API",
            "Location": "Monitoring",
            "_body": outcome.debug_log,
        },
    )


def _is_admin(store: Store, user: dict[str, Any]) -> bool:
    profile = store.get("Profile", user["ProfileId"])
    return bool(profile and profile["Name"] == "System Administrator")
