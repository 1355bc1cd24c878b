"""Reading the execution history back: the journal's records grouped into runs, newest first.

Reading groups records by run id (record shapes in ``reconcile.history``). A run with a ``run_start`` and
no ``run_end`` was killed: it is shown as "interrupted", and so is a run stopped on request (an org error
"interrupted"). A planned change with neither a result nor a skip record was never reached: its status
is "not run". A field a record lacks reads as its default (an ``apex`` object without ``compiled`` or
``success`` as false), so a journal written by an earlier release reads as it did then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from providers.base import ApexResult
from reconcile.errors import ReconcileError
from reconcile.history.records import (
    ChangeEntry,
    ChangeStatus,
    ChangeValues,
    CheckRecord,
    OrgRun,
    Run,
    RunAudit,
    ScriptInfo,
    Status,
    StepRecord,
)
from reconcile.model import ValueChange
from state.journal import JournalStore

#: An ``apex`` object as the journal holds it; ``compiled`` and ``success`` read as false when absent.
_APEX = TypeAdapter(ApexResult)
_APEX_DEFAULTS = {"compiled": False, "success": False}


def read_runs(journal: JournalStore) -> list[Run]:
    """Every run in the journal, newest first (torn lines are skipped into ``journal.warnings``)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in journal.read():
        run_id = record.get("run_id")
        if isinstance(run_id, str) and run_id:
            grouped.setdefault(run_id, []).append(record)
    return [build_run(run_id, records) for run_id, records in reversed(grouped.items())]


def select_runs(runs: Sequence[Run], orgs: Iterable[str] = (), limit: int | None = None) -> list[Run]:
    """The runs that touched any of ``orgs`` (all runs when none are given), at most ``limit``."""
    wanted = set(orgs)
    chosen = [run for run in runs if not wanted or wanted & {org.org for org in run.orgs}]
    return chosen if limit is None else chosen[:limit]


def find_run(runs: Sequence[Run], ref: str | None) -> Run:
    """The run named by ``ref`` (a run id or an unambiguous prefix of one), or the newest when None."""
    if not runs:
        raise ReconcileError("the history is empty: no apply or apex run has been recorded yet")
    if ref is None:
        return runs[0]
    exact = [run for run in runs if run.run_id == ref]
    matches = exact or [run for run in runs if run.run_id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ReconcileError(f"no run '{ref}' in the history (see `reconcile history`)")
    names = ", ".join(run.run_id for run in matches)
    raise ReconcileError(f"'{ref}' names several runs ({names}): give more of the run id")


def build_run(run_id: str, records: Sequence[Mapping[str, Any]]) -> Run:
    """One run from its records, in journal order."""
    start = _first(records, "run_start")
    end = _first(records, "run_end")
    outcomes = {
        (str(r.get("org")), str(r.get("address"))): r for r in records if r.get("type") in ("result", "skipped")
    }
    planned = _planned(start, outcomes)
    summaries = _mapping(end.get("orgs")) if end else {}
    names = sorted(set(planned) | set(summaries) | set(_strings(start.get("orgs") if start else None)))
    orgs = tuple(
        _org_run(name, planned.get(name, []), outcomes, summaries.get(name), end is not None) for name in names
    )
    script = start.get("script") if start else None
    return Run(
        run_id=run_id,
        operation=str(start.get("operation", "")) if start else "",
        status=_run_status(end, orgs),
        user=str(start.get("user", "")) if start else "",
        host=str(start.get("host", "")) if start else "",
        started_at=_time((start or records[0]).get("at")),
        finished_at=_time(end.get("at")) if end else None,
        plan_file=str(start.get("plan_file", "")) if start else "",
        script=ScriptInfo.model_validate(script) if isinstance(script, dict) else None,
        orgs=orgs,
        checks=tuple(CheckRecord.model_validate(r) for r in records if r.get("type") == "check"),
        steps=tuple(StepRecord.model_validate(r) for r in records if r.get("type") == "manual_step"),
        audit=_audit(start),
    )


def _audit(start: Mapping[str, Any] | None) -> RunAudit | None:
    """The provenance ``run_start`` records (None when it records none: an earlier release wrote it)."""
    if start is None or not any(key in start for key in ("by", "plan_checksum", "config_digest")):
        return None
    ci = _mapping(start.get("ci"))
    git = _mapping(start.get("git"))
    dirty = git.get("dirty")
    return RunAudit(
        by=str(start.get("by") or ""),
        ci_system=str(ci.get("system") or ""),
        job_url=str(ci.get("job_url") or ""),
        pr_url=str(ci.get("pr_url") or ""),
        git_commit=str(git.get("commit") or ""),
        git_dirty=dirty if isinstance(dirty, bool) else None,
        config_digest=str(start.get("config_digest") or ""),
        plan_checksum=str(start.get("plan_checksum") or ""),
    )


def _values(planned: Mapping[str, Any]) -> ChangeValues | None:
    """A planned change's value-level record, or None when it has none (a script run, an earlier release).
    A detail this release does not know is left out rather than failing the whole history."""
    if not any(key in planned for key in ("before", "after", "details")):
        return None
    before, after = planned.get("before"), planned.get("after")
    details = []
    for item in planned.get("details") or []:
        try:
            details.append(ValueChange.model_validate(item))
        except ValidationError:
            continue
    return ChangeValues(
        before=before if isinstance(before, dict) else None,
        after=after if isinstance(after, dict) else None,
        details=tuple(details),
    )


def _first(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    return next((record for record in records if record.get("type") == kind), None)


def _planned(
    start: Mapping[str, Any] | None, outcomes: Mapping[tuple[str, str], Mapping[str, Any]]
) -> dict[str, list[Mapping[str, Any]]]:
    """Per org, the planned changes in plan order, then any outcome the plan did not list."""
    planned: dict[str, list[Mapping[str, Any]]] = {}
    for org, changes in _mapping(start.get("changes") if start else None).items():
        planned[org] = [change for change in changes if isinstance(change, dict)] if isinstance(changes, list) else []
    for (org, address), record in outcomes.items():
        listed = planned.setdefault(org, [])
        if not any(change.get("address") == address for change in listed):
            listed.append({"address": address, "action": record.get("action", "")})
    return planned


def _org_run(
    org: str,
    planned: Sequence[Mapping[str, Any]],
    outcomes: Mapping[tuple[str, str], Mapping[str, Any]],
    summary: Any,
    finished: bool,
) -> OrgRun:
    changes = tuple(_change(org, change, outcomes.get((org, str(change.get("address"))))) for change in planned)
    counted = {
        "applied": sum(c.status == "ok" for c in changes),
        "failed": sum(c.status == "failed" for c in changes),
        "skipped": sum(c.status == "skipped" for c in changes),
    }
    totals = summary if isinstance(summary, dict) else {}
    error = str(totals.get("error") or "")
    failed = _count(totals, "failed", counted)
    return OrgRun(
        org=org,
        status=_org_status(bool(totals) or finished, failed, error),
        applied=_count(totals, "applied", counted),
        failed=failed,
        skipped=_count(totals, "skipped", counted),
        api_calls=_int_or_none(totals.get("api_calls")),
        seconds=_float_or_none(totals.get("seconds")),
        error=error,
        changes=changes,
    )


def _change(org: str, planned: Mapping[str, Any], outcome: Mapping[str, Any] | None) -> ChangeEntry:
    script = planned.get("script")
    apex = outcome.get("apex") if outcome else None
    return ChangeEntry(
        org=org,
        address=str(planned.get("address", "")),
        action=str(planned.get("action") or (outcome or {}).get("action") or ""),
        reason=str(planned.get("reason", "")),
        status=_change_status(outcome),
        message=str(outcome.get("message", "")) if outcome else "",
        at=_time(outcome.get("at")) if outcome else None,
        script=ScriptInfo.model_validate(script) if isinstance(script, dict) else None,
        apex=_APEX.validate_python({**_APEX_DEFAULTS, **apex}) if isinstance(apex, dict) else None,
        seconds=_float_or_none(outcome.get("seconds")) if outcome else None,
        api_calls=_int_or_none(outcome.get("api_calls")) if outcome else None,
        values=_values(planned),
    )


def _count(totals: Mapping[str, Any], name: str, counted: Mapping[str, int]) -> int:
    recorded = _int_or_none(totals.get(name))
    return counted[name] if recorded is None else recorded


def _org_status(finished: bool, failed: int, error: str) -> Status:
    if not finished or error.startswith("interrupted"):
        return "interrupted"
    return "failed" if failed or error else "ok"


def _change_status(outcome: Mapping[str, Any] | None) -> ChangeStatus:
    if outcome is None:
        return "not run"
    if outcome.get("type") == "skipped":
        return "skipped"
    return "ok" if outcome.get("ok") is True else "failed"


def _run_status(end: Mapping[str, Any] | None, orgs: Sequence[OrgRun]) -> Status:
    if end is None or any(org.status == "interrupted" for org in orgs):
        return "interrupted"
    return "ok" if end.get("ok") is True else "failed"


def _mapping(value: Any) -> dict[str, Any]:
    return {str(key): item for key, item in value.items()} if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
