"""sObject Collections: ``composite/sobjects`` POST (create), PATCH (update) and DELETE.

A well-formed request answers 200 with one result per record, in input order: ``{"id","success":true,
"errors":[]}`` or, for a failure, ``{"success":false,"errors":[{"statusCode","message","fields"}]}`` with
no ``id`` (wire reference §2 and Part 3 §11). With ``allOrNone`` every change is rolled back when one
record fails, and the records that had no error of their own report ALL_OR_NONE_OPERATION_ROLLED_BACK.
More than 200 records (or ids) is a 400 for the whole request.

Setup objects (PermissionSetAssignment, PermissionSet, User: the writable ones in ``records.SETUP_WRITES``)
and other objects cannot be written in one call ("You can't create records for multiple object types in
one call when one of the types is related to a feature in the Salesforce Setup area", collections doc):
the records of the other side from the first record fail with MIXED_DML_OPERATION and Apex's message
for it. That they fail per record, rather than the whole call failing, is not settled by any public
source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..org import ids
from ..org.store import Store
from ..wire import ApiRequest, ApiResponse, BadRequest, error, record_error
from . import records
from .records import RecordError

MAX_RECORDS = 200
_LIMIT_MESSAGE = "record limit reached. cannot submit more than 200 records into this call"
_ROLLED_BACK = record_error(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)
_LOCKED = record_error("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")

Result = dict[str, Any]
Operation = Callable[[Any], str]


def handle(store: Store, request: ApiRequest) -> ApiResponse:
    """Answer a ``composite/sobjects`` request."""
    if request.method == "DELETE":
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        all_or_none = request.args.get("allOrNone", "false").lower() == "true"
        return _run(store, ids, all_or_none, lambda i: _delete(store, request, i))
    if request.method not in ("POST", "PATCH"):
        return error(
            405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are POST,PATCH,DELETE"
        )
    body = request.json()
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise BadRequest("JSON_PARSER_ERROR", "Expected a JSON object with a records list")
    items = body["records"]
    for item in items:
        if not isinstance(item, dict) or not (item.get("attributes") or {}).get("type"):
            raise BadRequest("INVALID_TYPE", "Must send a concrete entity type.")
    operation = _create if request.method == "POST" else _update
    mixed = _mixed(store, items)

    def write(record: dict[str, Any]) -> str:
        if id(record) in mixed:
            raise RecordError("MIXED_DML_OPERATION", mixed[id(record)])
        return operation(store, request, record)

    return _run(store, items, bool(body.get("allOrNone", False)), write)


def _mixed(store: Store, items: list[dict[str, Any]]) -> dict[int, str]:
    """Records (by ``id()``) whose setup-ness differs from the first record's, with their error message."""
    kinds = [(item, _resolved(store, str(item["attributes"]["type"]))) for item in items]
    if not kinds:
        return {}
    first = kinds[0][1]
    first_setup = first in records.SETUP_WRITES
    message = (
        "DML operation on setup object is not permitted after you have updated a non-setup object "
        "(or vice versa): {}, original object: " + first
    )
    return {id(item): message.format(name) for item, name in kinds if (name in records.SETUP_WRITES) != first_setup}


def _resolved(store: Store, sobject: str) -> str:
    try:
        return records.resolve_type(store, sobject)
    except RecordError:
        return sobject


def _run(store: Store, items: list[Any], all_or_none: bool, operation: Operation) -> ApiResponse:
    if not items:
        return error(400, "INVALID_FIELD", "No records or ids were provided")
    if len(items) > MAX_RECORDS:
        return error(400, "EXCEEDED_ID_LIMIT", _LIMIT_MESSAGE)
    results: list[Result] = []
    with store.transaction() as transaction:
        for item in items:
            results.append(_attempt(operation, item))
        failed = any(not r["success"] for r in results)
        if all_or_none and failed:
            transaction.rollback()
            results = [r if not r["success"] else {"success": False, "errors": [_ROLLED_BACK]} for r in results]
        elif transaction.steps:
            store.commit()
    return ApiResponse(200, results)


def _attempt(operation: Operation, item: Any) -> Result:
    try:
        return {"id": operation(item), "success": True, "errors": []}
    except RecordError as exc:
        result: Result = {"success": False, "errors": [record_error(exc.code, exc.message, exc.fields)]}
        if exc.code in ("ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY") and isinstance(item, str):
            result = {"id": item, **result}
        return result
    except _Locked:
        return {"success": False, "errors": [_LOCKED]}


class _Locked(Exception):
    """An unable_to_lock_row fault covers this record."""


def _type_of(store: Store, item: dict[str, Any]) -> str:
    try:
        return records.resolve_type(store, str(item["attributes"]["type"]))
    except RecordError as exc:
        raise RecordError("INVALID_TYPE", exc.message) from exc


def _create(store: Store, request: ApiRequest, item: dict[str, Any]) -> str:
    if request.locked(item.get("Id"), item.get("AssigneeId")):
        raise _Locked
    sobject = _type_of(store, item)
    fields = {k: v for k, v in item.items() if k != "attributes"}
    if any(k.lower() == "id" for k in fields):
        raise RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
    return records.create(store, sobject, fields)


def _update(store: Store, request: ApiRequest, item: dict[str, Any]) -> str:
    record_id = next((str(v) for k, v in item.items() if k.lower() == "id"), None)
    if not record_id:
        raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
    if request.locked(record_id, item.get("AssigneeId")):
        raise _Locked
    sobject = _type_of(store, item)
    records.update(store, sobject, record_id, {k: v for k, v in item.items() if k != "attributes"})
    return record_id


def _delete(store: Store, request: ApiRequest, record_id: str) -> str:
    located = store.locate(record_id) if len(record_id) in (15, 18) else None
    if request.locked(record_id, located[1].get("AssigneeId") if located else None):
        raise _Locked
    if located is None:
        if not ids.is_well_formed(record_id):
            raise RecordError("MALFORMED_ID", f"malformed id {record_id}")
        if store.is_deleted(record_id):
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted")
        raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    records.delete(store, located[0], record_id)
    return str(located[1]["Id"])
