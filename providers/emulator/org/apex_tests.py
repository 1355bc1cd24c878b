"""Apex test classes and test runs: the ``apex_test_classes`` section of an org document, and the records a
test run leaves (``AsyncApexJob``, ``ApexTestQueueItem``, ``ApexTestResult``).

The emulator does not interpret Apex: a test class is declared with the outcome of each of its methods::

    "apex_test_classes": [{"name": "TierServiceTest",
                           "methods": [{"name": "goldIsDefault"},
                                       {"name": "silverIsRenamed", "outcome": "Fail",
                                        "message": "System.AssertException: Assertion Failed",
                                        "stack_trace": "Class.TierServiceTest.silverIsRenamed: line 12, column 1"}]}]

``outcome`` is ``Pass`` (the default), ``Fail``, ``CompileFail`` or ``Skip``. Each class is an ``ApexClass``
record (key prefix ``01p``; ``Name``, ``NamespacePrefix``, ``Status``, ``IsValid``) with its methods kept
in the private ``_methods``. Test runs are not written to the org file (like Apex logs): ``run`` records one
finished ``AsyncApexJob`` (``707``, ``JobType = 'TestRequest'``, ``Status = 'Completed'``), one
``ApexTestQueueItem`` (``709``) per class and one ``ApexTestResult`` (``07M``) per method. A run
finishes at once: polling sees it ``Completed`` on the first query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .data import OrgData, Record, SeedError
from .sections import SeedSection, either, entry, listing, one_of_values, text

SECTION = "apex_test_classes"
CLASS_TABLE = "ApexClass"
RUN_TABLES = ("AsyncApexJob", "ApexTestQueueItem", "ApexTestResult")
OUTCOMES = ("Pass", "Fail", "CompileFail", "Skip")

SEED_SECTION = SeedSection(
    SECTION,
    "Apex test classes that `apex_tests` checks run (Tooling `runTestsSynchronous` / "
    "`runTestsAsynchronous`). The emulator does not interpret Apex: each method declares its outcome.",
    listing(
        "The test classes.",
        entry(
            "A test class.",
            ("name",),
            name=text("The class name, unique."),
            methods=listing(
                "Its test methods.",
                either(
                    "A method: its name (it passes), or an object with its outcome.",
                    text("The method name; it passes."),
                    entry(
                        "A method with its outcome.",
                        ("name",),
                        name=text("The method name."),
                        outcome=one_of_values("The outcome of the method.", OUTCOMES, default="Pass"),
                        message=text("The failure message."),
                        stack_trace=text("The failure's stack trace."),
                    ),
                ),
            ),
            id=text("", live=True),
        ),
    ),
)


def load(data: OrgData, document: Mapping[str, Any], mint: Callable[[str, str, Any], str]) -> None:
    """Add an ApexClass per declared test class (SeedError for an unknown outcome or a name used twice)."""
    table = data.tables.setdefault(CLASS_TABLE, {})
    for name in RUN_TABLES:
        data.tables.setdefault(name, {})
    for spec in document.get(SECTION, []):
        name = str(spec["name"])
        if any(row["Name"].lower() == name.lower() for row in table.values()):
            raise SeedError(f"apex test class {name}: the name is used twice")
        methods = [_method(name, method) for method in spec.get("methods", [])]
        record: Record = {"Id": mint(CLASS_TABLE, name, spec.get("id")), "Name": name, "NamespacePrefix": None}
        data.add(CLASS_TABLE, record | {"Status": "Active", "IsValid": True, "_methods": methods})


def _method(class_name: str, spec: Any) -> dict[str, Any]:
    method = {"name": spec} if isinstance(spec, str) else dict(spec)
    outcome = str(method.get("outcome", "Pass"))
    if outcome not in OUTCOMES:
        raise SeedError(f"apex test class {class_name}: unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
    return {
        "name": str(method["name"]),
        "outcome": outcome,
        "message": method.get("message"),
        "stack_trace": method.get("stack_trace"),
    }


def to_document(tables: Mapping[str, Mapping[str, Record]]) -> dict[str, Any]:
    """The ``apex_test_classes`` section of a live org document (ids kept); left out when empty."""
    classes = [
        {"id": row["Id"], "name": row["Name"], "methods": [dict(m) for m in row["_methods"]]}
        for row in tables.get(CLASS_TABLE, {}).values()
    ]
    return {SECTION: classes} if classes else {}


def find_classes(data: OrgData, names: Sequence[str] = (), ids: Sequence[str] = ()) -> tuple[list[Record], list[str]]:
    """The test classes named (any case) or identified, and the names or ids that match none."""
    table = data.tables.get(CLASS_TABLE, {})
    by_name = {row["Name"].lower(): row for row in table.values()}
    by_id = {row["Id"][:15]: row for row in table.values()}
    found: list[Record] = []
    missing: list[str] = []
    for name in names:
        row = by_name.get(name.lower())
        found.append(row) if row is not None else missing.append(name)
    for record_id in ids:
        row = by_id.get(record_id[:15])
        found.append(row) if row is not None else missing.append(record_id)
    return found, missing


def run(classes: Sequence[Record], insert: Callable[[str, Record], str]) -> str:
    """Record a finished run of ``classes`` through ``insert`` (the store's: table, fields -> new Id) and
    return its AsyncApexJob Id."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    results = [method for row in classes for method in row["_methods"]]
    failures = sum(1 for method in results if method["outcome"] in ("Fail", "CompileFail"))
    job: Record = {"JobType": "TestRequest", "Status": "Completed", "ApexClassId": None, "ExtendedStatus": None}
    job |= {"JobItemsProcessed": len(classes), "TotalJobItems": len(classes), "NumberOfErrors": failures}
    job_id = insert("AsyncApexJob", job | {"CreatedDate": now, "CompletedDate": now})
    for row in classes:
        item: Record = {"ApexClassId": row["Id"], "ParentJobId": job_id, "Status": "Completed", "ExtendedStatus": None}
        item_id = insert("ApexTestQueueItem", item)
        for method in row["_methods"]:
            result: Record = {"ApexClassId": row["Id"], "MethodName": method["name"], "Outcome": method["outcome"]}
            result |= {"Message": method["message"], "StackTrace": method["stack_trace"], "AsyncApexJobId": job_id}
            insert("ApexTestResult", result | {"QueueItemId": item_id, "RunTime": 1, "TestTimestamp": now})
    return job_id


def synchronous_result(classes: Sequence[Record]) -> dict[str, Any]:
    """The RunTestsResult body of ``runTestsSynchronous`` for ``classes`` (Tooling API)."""
    successes: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for row in classes:
        for method in row["_methods"]:
            base = {"id": row["Id"], "name": row["Name"], "namespace": row["NamespacePrefix"]}
            base |= {"methodName": method["name"], "seeAllData": False, "time": 1.0}
            if method["outcome"] in ("Fail", "CompileFail"):
                failures.append(base | {"message": method["message"] or "", "stackTrace": method["stack_trace"] or ""})
                failures[-1]["type"] = "Class"
            elif method["outcome"] == "Pass":
                successes.append(base)
    return {
        "apexLogId": None,
        "codeCoverage": [],
        "codeCoverageWarnings": [],
        "failures": failures,
        "flowCoverage": [],
        "flowCoverageWarnings": [],
        "numFailures": len(failures),
        "numTestsRun": len(successes) + len(failures),
        "successes": successes,
        "totalTime": float(len(successes) + len(failures)),
    }
