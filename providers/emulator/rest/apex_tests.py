"""Tooling ``runTestsSynchronous`` and ``runTestsAsynchronous``: run declared Apex test classes.

Both are POST with a JSON body naming the classes as ``{"tests": [{"className": "X"}, ...]}``,
``{"classNames": "X,Y"}`` or ``{"classids": "01p...,01p..."}`` (the forms @salesforce/apex-node and
CumulusCI send). ``runTestsSynchronous`` answers the RunTestsResult (``successes``, ``failures`` with
``message`` and ``stackTrace``, ``numTestsRun``, ``numFailures``); ``runTestsAsynchronous`` answers the
AsyncApexJob Id as a JSON string, and the run's ``ApexTestQueueItem`` / ``ApexTestResult`` rows are then
queryable (``org/apex_tests.py`` says what a run records). A class the org does not have, or a body naming
none, is 400 ``INVALID_INPUT`` (the error code is chosen here: no public source records Salesforce's).
"""

from __future__ import annotations

import json
from typing import Any

from ..context import OrgContext
from ..org import apex_tests
from ..org.data import Record
from ..wire import ApiRequest, ApiResponse, error

RESOURCES = ("runTestsSynchronous", "runTestsAsynchronous")


def handle(org: OrgContext, request: ApiRequest, resource: str) -> ApiResponse:
    """Answer ``tooling/runTestsSynchronous`` or ``tooling/runTestsAsynchronous``."""
    if request.method != "POST":
        return error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed. Allowed are POST")
    with org.store.lock:
        classes = _classes(org, request.json())
        if isinstance(classes, ApiResponse):
            return classes
        if resource == "runTestsSynchronous":
            return ApiResponse(200, apex_tests.synchronous_result(classes))
        # the job id as a JSON string ('"707..."'), as recorded from Salesforce (a str body would go out bare)
        return ApiResponse(200, json.dumps(apex_tests.run(classes, org.store.insert)))


def _classes(org: OrgContext, body: Any) -> list[Record] | ApiResponse:
    if not isinstance(body, dict):
        return error(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    names = [str(test.get("className", "")) for test in body.get("tests") or [] if isinstance(test, dict)]
    names += _listed(body.get("classNames") or body.get("classnames"))
    ids = _listed(body.get("classids") or body.get("classIds"))
    if not names and not ids:
        return error(400, "INVALID_INPUT", "No test classes were named (tests, classNames or classids)")
    found, missing = apex_tests.find_classes(org.store.data, names, ids)
    if missing:
        return error(400, "INVALID_INPUT", f"No Apex test class named or identified {', '.join(missing)}")
    return found


def _listed(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [part.strip() for part in str(value).split(",") if part.strip()] if value else []
