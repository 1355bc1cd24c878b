"""``POST composite``: up to 25 REST subrequests in one call, with ``@{ref.path}`` references.

Each subrequest runs through the same REST handlers (the whole composite counts as one API call) and
answers ``{"body","httpHeaders","httpStatusCode","referenceId"}``. With ``allOrNone`` the first failure
(status >= 400) rolls every change back and every other subrequest answers 400 PROCESSING_HALTED.
Without it, a subrequest referring to a failed or unknown reference answers 400 PROCESSING_HALTED
and the others run normally.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from ..org.store import Store
from ..wire import ApiRequest, ApiResponse, BadRequest, error

MAX_SUBREQUESTS = 25
_REFERENCE = re.compile(r"@\{([^}]+)\}")
_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d+)/(?P<rest>[^?]*)(?:\?(?P<query>.*))?$")
_HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same transaction failed.",
    }
]

Dispatch = Callable[[ApiRequest], ApiResponse]


class _Unresolved(Exception):
    """A reference names a subrequest that did not succeed (or a value its body does not have)."""


def handle(store: Store, request: ApiRequest, dispatch: Dispatch) -> ApiResponse:
    """Answer ``POST composite``."""
    if request.method != "POST":
        return error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are POST")
    body = request.json()
    subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subrequests, list) or not subrequests:
        raise BadRequest("INVALID_INPUT", "compositeRequest is required and must not be empty")
    if len(subrequests) > MAX_SUBREQUESTS:
        raise BadRequest("INVALID_INPUT", f"Composite requests cannot exceed {MAX_SUBREQUESTS} subrequests")
    all_or_none = bool(body.get("allOrNone", False))
    with store.transaction() as transaction:
        answers = _run_all(request, subrequests, dispatch, all_or_none)
        if all_or_none and any(a["httpStatusCode"] >= 400 for a in answers):
            transaction.rollback()
            store.commit()
            failed = next(i for i, a in enumerate(answers) if a["httpStatusCode"] >= 400)
            answers = [a if i == failed else _halted(a["referenceId"]) for i, a in enumerate(answers)]
    return ApiResponse(200, {"compositeResponse": answers})


def _run_all(request: ApiRequest, subrequests: list[Any], dispatch: Dispatch, all_or_none: bool) -> list[Any]:
    answers: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    for sub in subrequests:
        reference = str(sub.get("referenceId", ""))
        if all_or_none and any(a["httpStatusCode"] >= 400 for a in answers):
            answers.append(_halted(reference))
            continue
        try:
            answer = _run_one(request, sub, results, dispatch)
        except _Unresolved:
            answers.append(_halted(reference))
            continue
        answers.append(
            {
                "body": answer.body,
                "httpHeaders": answer.headers,
                "httpStatusCode": answer.status,
                "referenceId": reference,
            }
        )
        if answer.status < 400:
            results[reference] = answer.body
    return answers


def _run_one(request: ApiRequest, sub: dict[str, Any], results: dict[str, Any], dispatch: Dispatch) -> ApiResponse:
    url = _substitute(str(sub.get("url", "")), results)
    match = _PATH.match(url)
    if match is None:
        return error(400, "INVALID_INPUT", f"Invalid subrequest url: {url}")
    body = sub.get("body")
    payload = json.dumps(_substitute_json(body, results)).encode() if body is not None else b""
    args = dict(parse_qsl(match.group("query") or ""))
    sub_request = ApiRequest(
        method=str(sub.get("method", "GET")).upper(),
        segments=[p for p in match.group("rest").split("/") if p],
        args=args,
        body=payload,
        version=match.group("version"),
        lock_ids=request.lock_ids,
    )
    try:
        return dispatch(sub_request)
    except BadRequest as exc:
        return exc.response()


def _substitute_json(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _substitute(value, results)
    if isinstance(value, list):
        return [_substitute_json(v, results) for v in value]
    if isinstance(value, dict):
        return {k: _substitute_json(v, results) for k, v in value.items()}
    return value


def _substitute(text: str, results: dict[str, Any]) -> str:
    return _REFERENCE.sub(lambda m: str(_lookup(m.group(1), results)), text)


def _lookup(path: str, results: dict[str, Any]) -> Any:
    """Evaluate ``ref.field[0].sub`` against the bodies of earlier successful subrequests."""
    parts = re.findall(r"[^.\[\]]+", path)
    if not parts or parts[0] not in results:
        raise _Unresolved(path)
    value = results[parts[0]]
    for part in parts[1:]:
        try:
            value = value[int(part)] if isinstance(value, list) else value[part]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise _Unresolved(path) from exc
    return value


def _halted(reference: str) -> dict[str, Any]:
    return {"body": _HALTED, "httpHeaders": {}, "httpStatusCode": 400, "referenceId": reference}
