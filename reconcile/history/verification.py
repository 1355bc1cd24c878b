"""Journaling verification: check results and manual steps, inside an apply run or as runs of their own.

``check_fields`` / ``step_fields`` are the fields of a ``check`` and a ``manual_step`` record (shapes in
``reconcile.history``). ``record_verify`` journals a whole ``verify`` run (``run_start``, the records,
``run_end`` with ``ok`` and per org an ``error`` naming what did not pass); ``record_confirm`` journals a
``confirm`` run holding one confirmed step. Both record on ``run_start`` who ran the run, from which commit
and CI job (``reconcile.history.provenance``) when given it, as an apply does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconcile.checks.manual import Confirmation
from reconcile.checks.results import CheckResult, OrgChecks, VerifyReport
from reconcile.history.provenance import Provenance
from reconcile.history.writer import RunWriter
from state.journal import JournalStore


def check_fields(result: CheckResult) -> dict[str, Any]:
    return {
        "org": result.org,
        "name": result.name,
        "check_type": result.type,
        "status": result.status.value,
        "summary": result.summary,
        "details": list(result.details),
    }


def step_fields(org: str, name: str, instructions: str, done: Confirmation | None) -> dict[str, Any]:
    if done is None:
        return {"org": org, "name": name, "status": "pending", "instructions": instructions}
    return {
        "org": org,
        "name": name,
        "status": "confirmed",
        "instructions": instructions,
        "by": done.by,
        "at": done.at,
        "note": done.note,
    }


def org_failure(org: OrgChecks) -> str:
    """What makes an org's verification fail, in one line ("" when it passed)."""
    if org.error:
        return org.error
    failed = [result.name for result in org.results if not result.passed]
    return f"check(s) not passed: {', '.join(failed)}" if failed else ""


#: Per org, its manual steps: (name, instructions, confirmation or None when pending).
Steps = Mapping[str, Sequence[tuple[str, str, Confirmation | None]]]


def append_verification(append: Any, report: VerifyReport, steps: Steps) -> None:
    """Journal every check result and every manual step through ``append(kind, **fields)``."""
    for org in report.orgs:
        for result in org.results:
            append("check", **check_fields(result))
    for org_name, org_steps in sorted(steps.items()):
        for name, instructions, done in org_steps:
            append("manual_step", **step_fields(org_name, name, instructions, done))


def _provenance_fields(provenance: Provenance | None) -> dict[str, Any]:
    return provenance.as_record() if provenance is not None else {}


def record_verify(
    journal: JournalStore, report: VerifyReport, steps: Steps, provenance: Provenance | None = None
) -> str:
    """Journal a ``verify`` run, with who ran it (``provenance``); returns its run id."""
    writer = RunWriter(journal)
    writer.start("verify", [org.org for org in report.orgs], **_provenance_fields(provenance))
    append_verification(writer.append, report, steps)
    totals = {org.org: {"applied": 0, "failed": 0, "skipped": 0, "error": org_failure(org)} for org in report.orgs}
    writer.append("run_end", ok=report.passed, orgs=totals)
    return writer.run_id


def record_confirm(
    journal: JournalStore,
    org: str,
    name: str,
    instructions: str,
    done: Confirmation,
    provenance: Provenance | None = None,
) -> str:
    """Journal a ``confirm`` run, with who ran it (``provenance``); returns its run id."""
    writer = RunWriter(journal)
    writer.start("confirm", [org], **_provenance_fields(provenance))
    writer.append("manual_step", **step_fields(org, name, instructions, done))
    writer.append("run_end", ok=True, orgs={org: {"applied": 0, "failed": 0, "skipped": 0, "error": ""}})
    return writer.run_id
