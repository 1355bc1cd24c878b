"""The execution history: what ``apply`` and ``apex run`` did, written to and read back from the journal.

The journal (``<state dir>/history.jsonl``, see ``state.journal``) holds one JSON object per line. Every
record has ``run_id``, ``type`` and ``at`` (ISO-8601, UTC). The records of one run:

- ``run_start``: ``operation`` ("apply" or "apex"), ``user`` and ``host`` (who ran it), ``orgs`` (names),
  and for apply ``plan_file`` ("" for a fresh plan) and ``changes``: ``{org: [planned change]}``, for
  apex ``script``. A planned change is ``{address, action, reason}``, plus ``script`` for an apex run.
  A ``script`` is ``{file, sha256, run, chars, body}`` (``run`` is the policy, "" for an ad-hoc script).
- ``result``: ``org``, ``address``, ``action``, ``ok``, ``message``; an apex run adds ``apex`` (see
  ``apex_fields``: the outcome and its debug log) and ``seconds``; an ad-hoc run also ``api_calls``.
- ``skipped``: ``org``, ``address``, ``action``, ``ok`` (false) and ``message`` (why it was not attempted).
- ``run_end``: ``ok`` and ``orgs``: ``{org: {applied, failed, skipped, api_calls, seconds, error}}``.

Reading groups records by run id. A run with a ``run_start`` and no ``run_end`` was killed: it is shown
as "interrupted", and so is a run stopped on request (an org error "interrupted"). A planned change with
neither a result nor a skip record was never reached: its status is "not run". Credentials never enter
these records; the debug logs are what the org returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from providers.base import ApexResult
from reconcile.errors import ReconcileError
from reconcile.executor import Event
from reconcile.model import Action, Change
from state.journal import JournalStore

Status = Literal["ok", "failed", "interrupted"]
ChangeStatus = Literal["ok", "failed", "skipped", "not run"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ScriptInfo(_Frozen):
    """The script a run executed: file (as given), sha256 of the body, run policy ("" when ad hoc)."""

    file: str = ""
    sha256: str = ""
    run: str = ""
    chars: int = 0
    body: str = ""


class ScriptOutcome(_Frozen):
    """What executeAnonymous answered. ``line``/``column`` are -1 when the org gave no position."""

    compiled: bool = False
    success: bool = False
    line: int = -1
    column: int = -1
    compile_problem: str = ""
    exception_message: str = ""
    exception_stack_trace: str = ""
    debug_log: str = ""

    @property
    def position(self) -> str:
        """``line:column``, or "" when the org gave no position."""
        return f"{self.line}:{self.column}" if self.line > 0 else ""

    @property
    def problem(self) -> str:
        """The compile problem or the exception message ("" on success)."""
        if not self.compiled:
            return self.compile_problem
        return "" if self.success else self.exception_message


class ChangeEntry(_Frozen):
    """One planned change (or one org's ad-hoc script run) and what became of it."""

    org: str
    address: str
    action: str = ""
    reason: str = ""
    status: ChangeStatus = "not run"
    message: str = ""
    at: datetime | None = None
    script: ScriptInfo | None = None
    apex: ScriptOutcome | None = None
    seconds: float | None = None
    api_calls: int | None = None


class OrgRun(_Frozen):
    """One org's part of a run: its changes in plan order, counts, API calls, time and org-level error."""

    org: str
    status: Status
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    api_calls: int | None = None
    seconds: float | None = None
    error: str = ""
    changes: tuple[ChangeEntry, ...] = ()


class Run(_Frozen):
    """One ``apply`` or ``apex run`` as the journal recorded it."""

    run_id: str
    operation: str
    status: Status
    user: str = ""
    host: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    plan_file: str = ""
    script: ScriptInfo | None = None
    orgs: tuple[OrgRun, ...] = ()

    @property
    def seconds(self) -> float | None:
        """Wall time from start to finish (None while unfinished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def api_calls(self) -> int:
        return sum(org.api_calls or 0 for org in self.orgs)

    @property
    def scripts(self) -> list[ChangeEntry]:
        """Every script run (or planned) in this run, org by org."""
        return [change for org in self.orgs for change in org.changes if change.script or change.apex]


# -- writing ------------------------------------------------------------------------------------------


def script_fields(*, file: str = "", body: str = "", sha256: str = "", run: str = "") -> dict[str, Any]:
    """The ``script`` object of a record."""
    return {"file": file, "sha256": sha256, "run": run, "chars": len(body), "body": body}


def apex_fields(outcome: ApexResult) -> dict[str, Any]:
    """The ``apex`` object of a result record: the whole executeAnonymous outcome, debug log included."""
    return {
        "compiled": outcome.compiled,
        "success": outcome.success,
        "line": outcome.line,
        "column": outcome.column,
        "compile_problem": outcome.compile_problem,
        "exception_message": outcome.exception_message,
        "exception_stack_trace": outcome.exception_stack_trace,
        "debug_log": outcome.debug_log,
    }


def event_fields(event: Event, action: str) -> dict[str, Any]:
    """The fields of the ``result``/``skipped`` record of an apply event (``action`` from the plan)."""
    fields: dict[str, Any] = {"org": event.org, "address": str(event.address), "action": action,
                              "ok": bool(event.ok), "message": event.message}
    if event.apex is not None:
        fields["apex"] = apex_fields(event.apex)
        fields["seconds"] = round(event.seconds or 0.0, 3)
    return fields


def planned_change(change: Change) -> dict[str, Any]:
    """A planned change as ``run_start`` lists it."""
    record: dict[str, Any] = {"address": str(change.address), "action": change.action.value,
                              "reason": change.reason}
    if change.action is Action.RUN and change.after is not None:
        script = change.after.model_dump(mode="json")
        pieces = {key: str(script.get(key) or "") for key in ("file", "body", "sha256", "run")}
        record["script"] = script_fields(**pieces)
    return record


# -- reading ------------------------------------------------------------------------------------------


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
    outcomes = {(str(r.get("org")), str(r.get("address"))): r for r in records
                if r.get("type") in ("result", "skipped")}
    planned = _planned(start, outcomes)
    summaries = _mapping(end.get("orgs")) if end else {}
    names = sorted(set(planned) | set(summaries) | set(_strings(start.get("orgs") if start else None)))
    orgs = tuple(_org_run(name, planned.get(name, []), outcomes, summaries.get(name), end is not None)
                 for name in names)
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
    )


def _first(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    return next((record for record in records if record.get("type") == kind), None)


def _planned(start: Mapping[str, Any] | None, outcomes: Mapping[tuple[str, str], Mapping[str, Any]]
             ) -> dict[str, list[Mapping[str, Any]]]:
    """Per org, the planned changes in plan order, then any outcome the plan did not list."""
    planned: dict[str, list[Mapping[str, Any]]] = {}
    for org, changes in _mapping(start.get("changes") if start else None).items():
        planned[org] = [change for change in changes if isinstance(change, dict)] if isinstance(
            changes, list) else []
    for (org, address), record in outcomes.items():
        listed = planned.setdefault(org, [])
        if not any(change.get("address") == address for change in listed):
            listed.append({"address": address, "action": record.get("action", "")})
    return planned


def _org_run(org: str, planned: Sequence[Mapping[str, Any]],
             outcomes: Mapping[tuple[str, str], Mapping[str, Any]],
             summary: Any, finished: bool) -> OrgRun:
    changes = tuple(_change(org, change, outcomes.get((org, str(change.get("address"))))) for change in planned)
    counted = {"applied": sum(c.status == "ok" for c in changes),
               "failed": sum(c.status == "failed" for c in changes),
               "skipped": sum(c.status == "skipped" for c in changes)}
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
        apex=ScriptOutcome.model_validate(apex) if isinstance(apex, dict) else None,
        seconds=_float_or_none(outcome.get("seconds")) if outcome else None,
        api_calls=_int_or_none(outcome.get("api_calls")) if outcome else None,
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
