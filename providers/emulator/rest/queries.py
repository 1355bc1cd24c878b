"""``query``/``queryAll`` for REST and Tooling: SOQL through the soql package, batches of 2,000 records.

A result larger than one batch keeps the rest in a server-side cursor; ``nextRecordsUrl`` is
``{base}/query/{locator}-{offset}`` (``{base}/tooling/query/...`` for Tooling), the form Salesforce uses.
Tooling answers carry its envelope: ``size``, ``totalSize``, ``done``, ``queryLocator`` (null),
``entityTypeName`` and ``records``. ``queryAll`` answers like ``query``: deleted rows are not kept.
``columns=true`` answers the query's column metadata instead (``query_columns.py``).
EntityDefinition's SOQL restrictions are in ``restricted_queries``.
"""

from __future__ import annotations

from typing import Any

from ..context import BATCH_SIZE, Cursor, OrgContext
from ..soql import SoqlError, execute, parse
from ..wire import ApiRequest, ApiResponse, error
from . import restricted_queries
from .query_columns import column_metadata
from .schema import OrgDatabase


def run_query(org: OrgContext, request: ApiRequest, *, tooling: bool) -> ApiResponse:
    """Answer ``GET query/?q=...`` (REST or Tooling)."""
    soql = request.args.get("q")
    if not soql:
        return error(400, "MALFORMED_QUERY", "A query string has to be specified")
    base = request.base_path + ("/tooling" if tooling else "")
    database = OrgDatabase(org.store, tooling=tooling)
    try:
        query = parse(soql)
        refused = restricted_queries.restriction(query, database.resolve(query.sobject))
        if refused is not None:
            return error(400, "MALFORMED_QUERY", refused)
        query = restricted_queries.effective(query, database.resolve(query.sobject))
        with org.store.lock:
            result = execute(query, database, base_path=base)
    except SoqlError as exc:
        return error(400, exc.code, exc.message)
    if request.args.get("columns") == "true":
        return ApiResponse(200, column_metadata(query, org.store.key_prefix(database.resolve(query.sobject) or "")))
    entity = database.resolve(query.sobject) if tooling else None
    if result.is_count:
        return ApiResponse(200, _envelope([], result.total_size, None, entity, tooling))
    return ApiResponse(200, _batch(org, base, Cursor(result.records, result.total_size, entity), 0, tooling))


def next_batch(org: OrgContext, request: ApiRequest, locator_part: str, *, tooling: bool) -> ApiResponse:
    """Answer ``GET query/{locator}-{offset}``."""
    locator, _, offset_text = locator_part.partition("-")
    cursor = org.cursor(locator)
    if cursor is None or not offset_text.isdigit() or int(offset_text) > len(cursor.records):
        return error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    base = request.base_path + ("/tooling" if tooling else "")
    return ApiResponse(200, _batch(org, base, cursor, int(offset_text), tooling, locator))


def _batch(
    org: OrgContext, base: str, cursor: Cursor, offset: int, tooling: bool, locator: str | None = None
) -> dict[str, Any]:
    records = cursor.records[offset : offset + BATCH_SIZE]
    next_url = None
    if offset + BATCH_SIZE < len(cursor.records):
        locator = locator or org.open_cursor(cursor)
        next_url = f"{base}/query/{locator}-{offset + BATCH_SIZE}"
    return _envelope(records, cursor.total_size, next_url, cursor.entity, tooling)


def _envelope(
    records: list[dict[str, Any]], total: int, next_url: str | None, entity: str | None, tooling: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if tooling:
        body["size"] = total
    body["totalSize"] = total
    body["done"] = next_url is None
    if next_url is not None:
        body["nextRecordsUrl"] = next_url
    if tooling:
        body["queryLocator"] = None
        body["entityTypeName"] = entity
    body["records"] = records
    return body
