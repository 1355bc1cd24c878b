"""One check in one org: ask the org (through the provider's ``Verifier`` methods) and judge the answer.

``evaluate`` never raises for what the org answers: a ``ProviderError`` (an invalid query with
Salesforce's errorCode and message, an unknown user or field, an unknown test class) becomes an ``error``
result naming the org. The username of an ``access`` check takes the org's ``username_suffix``.
"""

from __future__ import annotations

import re
from typing import Any

from providers.base import Access, Grant, Verifier
from reconcile.checks.entry import AccessSpec, CheckEntry
from reconcile.checks.results import CheckResult, CheckStatus
from reconcile.config.schema import OrgConfig
from reconcile.errors import ProviderError

_COUNT = re.compile(r"^\s*select\s+count\(\s*\)\s", re.IGNORECASE)


def evaluate(entry: CheckEntry, org: OrgConfig, verifier: Verifier) -> CheckResult:
    """The result of ``entry`` in ``org``."""
    try:
        if entry.soql is not None:
            status, summary, details = _soql(entry, verifier)
        elif entry.apex_tests is not None:
            status, summary, details = _apex_tests(entry.apex_tests, verifier)
        else:
            assert entry.access is not None
            status, summary, details = _access(entry.access, org, verifier)
    except ProviderError as exc:
        status, summary, details = CheckStatus.error, f"cannot run: {exc}", ()
    return CheckResult(
        name=entry.name,
        org=org.name,
        type=entry.what,
        status=status,
        summary=summary,
        details=details,
        location=str(entry.location),
    )


Outcome = tuple[CheckStatus, str, tuple[str, ...]]


def _verdict(ok: bool) -> CheckStatus:
    return CheckStatus.passed if ok else CheckStatus.failed


def _soql(entry: CheckEntry, verifier: Verifier) -> Outcome:
    assert entry.soql is not None and entry.expectation is not None
    total, records = verifier.query_rows(entry.soql, tooling=entry.tooling)
    if _COUNT.match(entry.soql):
        actual: float | bool = total
        shown = f"count {total}"
    elif len(records) != 1:
        return (
            CheckStatus.failed,
            f"the query returned {len(records)} rows; expect compares the first column of one row",
            (),
        )
    else:
        value = _first_column(records[0])
        number = _number(value)
        if number is None:
            return CheckStatus.error, f"the first column holds {value!r}, not a number or a boolean", ()
        actual, shown = number, f"value {value!r}"
    ok = entry.expectation.holds(actual)
    return _verdict(ok), f"{shown}, expected {entry.expectation}", ()


def _first_column(record: dict[str, Any]) -> Any:
    value: Any = next(iter(record.values()), None)
    while isinstance(value, dict):
        value = next((v for k, v in value.items() if k != "attributes"), None)
    return value


def _number(value: Any) -> float | bool | None:
    if isinstance(value, bool | int | float):
        return value
    try:
        return float(str(value))
    except ValueError:
        return None


def _apex_tests(classes: tuple[str, ...], verifier: Verifier) -> Outcome:
    run = verifier.run_tests(list(classes))
    how = "asynchronously" if run.asynchronous else "synchronously"
    if run.ran == 0:
        return CheckStatus.failed, f"no test method ran in {', '.join(classes)}", ()
    details = tuple(
        f"{failure.class_name}.{failure.method}: {failure.message}"
        + (f" ({failure.stack_trace})" if failure.stack_trace else "")
        for failure in run.failures
    )
    if details:
        return CheckStatus.failed, f"{len(run.failures)} of {run.ran} test methods failed (run {how})", details
    return CheckStatus.passed, f"{run.ran} test methods passed (run {how})", ()


def _access(spec: AccessSpec, org: OrgConfig, verifier: Verifier) -> Outcome:
    user = spec.user + org.username_suffix
    access = verifier.access(user, spec.object, spec.field)
    target = f"{spec.object}.{spec.field}" if spec.field else spec.object
    object_need = spec.can if spec.field is None else ("read" if spec.can == "read" else "edit")
    object_by = _giving(access.object_grants, object_need)
    field_by = _giving(access.field_grants, spec.can) if spec.field is not None else ["(no field)"]
    details = _grant_lines(access, spec)
    if not access.user_active:
        return CheckStatus.failed, f"{user} is inactive", details
    if not object_by:
        return CheckStatus.failed, f"{user} cannot {object_need} {spec.object}: no grant gives it", details
    if not field_by:
        return CheckStatus.failed, f"{user} cannot {spec.can} {target}: no field permission gives it", details
    via = f"{spec.object} via {', '.join(object_by)}"
    if spec.field is not None:
        via += f"; {target} via {', '.join(field_by)}"
    return CheckStatus.passed, f"{user} can {spec.can} {target} ({via})", details


def _giving(grants: tuple[Grant, ...], permission: str) -> list[str]:
    return [grant.holder for grant in grants if permission in grant.allows]


def _grant_lines(access: Access, spec: AccessSpec) -> tuple[str, ...]:
    lines = [
        f"{spec.object}: {grant.holder} allows {', '.join(sorted(grant.allows))}" for grant in access.object_grants
    ]
    lines += [
        f"{spec.object}.{spec.field}: {grant.holder} allows {', '.join(sorted(grant.allows))}"
        for grant in access.field_grants
    ]
    return tuple(lines)
