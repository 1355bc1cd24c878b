"""REST resources under ``/services/data/vXX.X/``: routing and the small resources.

Routes: ``""`` (resources), ``query``/``queryAll`` (+ ``/{locator}-{offset}``), ``sobjects`` (global
describe), ``sobjects/{T}`` (POST create, GET summary), ``sobjects/{T}/describe``, ``sobjects/{T}/{id}``
(GET, PATCH -> 204, DELETE -> 204), ``composite/sobjects``, ``composite``, ``limits`` and everything
under ``tooling/``. Any other path answers 404 NOT_FOUND, a wrong method 405 METHOD_NOT_ALLOWED.
"""

from __future__ import annotations

from ..context import MIN_API_VERSION, OrgContext
from ..wire import ApiRequest, ApiResponse, error, not_found
from . import composite, records, sobject_collections, tooling
from .describe import global_describe, object_describe
from .queries import next_batch, run_query
from .records import RecordError

SUPPORTED_VERSIONS = [f"{major}.0" for major in range(int(MIN_API_VERSION), 63)]
RESOURCES = ("sobjects", "query", "queryAll", "limits", "composite", "tooling")


def versions(org: OrgContext) -> ApiResponse:
    """``GET /services/data``: every version served (no session needed, no limit header)."""
    return ApiResponse(
        200, [{"label": _label(v), "url": f"/services/data/v{v}", "version": v} for v in SUPPORTED_VERSIONS]
    )


def _label(version: str) -> str:
    major = int(float(version))
    season = ("Winter", "Spring", "Summer")[(major - 50) % 3]
    year = 21 + (major - 50) // 3
    return f"{season} '{year}"


def route(org: OrgContext, request: ApiRequest) -> ApiResponse:
    """Answer one REST request (the session and the API limit were checked by the server)."""
    segments = request.segments
    if not segments:
        return _only(request, "GET") or ApiResponse(200, {r: f"{request.base_path}/{r}" for r in RESOURCES})
    head = segments[0]
    if head in ("query", "queryAll"):
        return _only(request, "GET") or _query(org, request)
    if head == "sobjects":
        return _sobjects(org, request)
    if head == "composite" and segments[1:] == ["sobjects"]:
        return sobject_collections.handle(org.store, request)
    if head == "composite" and len(segments) == 1:
        return composite.handle(org.store, request, lambda sub: route(org, sub))
    if head == "limits" and len(segments) == 1:
        return _only(request, "GET") or ApiResponse(200, limits(org))
    if head == "tooling":
        return tooling.route(org, request)
    return not_found()


def _only(request: ApiRequest, *methods: str) -> ApiResponse | None:
    if request.method in methods or (request.method == "HEAD" and "GET" in methods):
        return None
    allowed = ",".join([*methods, "HEAD"] if "GET" in methods else methods)
    return error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}")


def _query(org: OrgContext, request: ApiRequest) -> ApiResponse:
    if len(request.segments) == 1:
        return run_query(org, request, tooling=False)
    if len(request.segments) == 2:
        return next_batch(org, request, request.segments[1], tooling=False)
    return not_found()


def limits(org: OrgContext) -> dict[str, dict[str, int]]:
    """``GET limits/``: the daily API allowance as counted here, plus a few fixed allowances."""
    meter = org.meter
    fixed = {
        "DailyAsyncApexExecutions": 250000,
        "DailyBulkApiRequests": 5000,
        "DailyBulkV2QueryJobs": 10000,
        "DailyStreamingApiEvents": 10000,
        "DataStorageMB": 5,
        "FileStorageMB": 20,
        "SingleEmail": 15,
    }
    body = {"DailyApiRequests": {"Max": meter.daily_limit, "Remaining": meter.remaining}}
    body.update({name: {"Max": value, "Remaining": value} for name, value in fixed.items()})
    return body


def _sobjects(org: OrgContext, request: ApiRequest) -> ApiResponse:
    segments, store, base = request.segments, org.store, request.base_path
    if len(segments) == 1:
        return _only(request, "GET") or ApiResponse(200, global_describe(store, base))
    try:
        with store.lock:
            sobject = records.resolve_type(store, segments[1])
            if len(segments) == 2:
                return _type_root(org, request, sobject)
            if len(segments) == 3 and segments[2] == "describe":
                return _only(request, "GET") or ApiResponse(200, object_describe(store, sobject, base))
            if len(segments) == 3:
                return _record(org, request, sobject, segments[2])
    except RecordError as exc:
        return exc.response()
    return not_found()


def _type_root(org: OrgContext, request: ApiRequest, sobject: str) -> ApiResponse:
    if request.method == "POST":
        body = request.json()
        if not isinstance(body, dict):
            return error(400, "JSON_PARSER_ERROR", "Expected a JSON object")
        record_id = records.create(org.store, sobject, body)
        org.store.commit()
        return ApiResponse(201, {"id": record_id, "success": True, "errors": []})
    if request.method == "GET":
        summary = global_describe(org.store, request.base_path)["sobjects"]
        return ApiResponse(200, {"objectDescribe": next(s for s in summary if s["name"] == sobject), "recentItems": []})
    return error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are GET,POST")


def _record(org: OrgContext, request: ApiRequest, sobject: str, record_id: str) -> ApiResponse:
    store = org.store
    if request.method == "GET":
        fields = request.args.get("fields")
        only = [f.strip() for f in fields.split(",")] if fields else None
        return ApiResponse(200, records.read(store, sobject, record_id, request.base_path, only=only))
    if request.method == "PATCH":
        body = request.json()
        if not isinstance(body, dict):
            return error(400, "JSON_PARSER_ERROR", "Expected a JSON object")
        records.update(store, sobject, record_id, body)
        store.commit()
        return ApiResponse(204)
    if request.method == "DELETE":
        records.delete(store, sobject, record_id)
        store.commit()
        return ApiResponse(204)
    return error(
        405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are GET,PATCH,DELETE,HEAD"
    )
