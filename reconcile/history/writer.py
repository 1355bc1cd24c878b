"""Writing the execution history: the journal records of one apply or one ad-hoc Apex run, as it happens.

Record shapes are those listed in ``reconcile.history``. A run's records go to the journal in order:
``run_start`` before any org is changed, one ``result`` or ``skipped`` record per outcome as the org
threads report it (appends are serialised, so several threads may report at once), and ``run_end`` with
the per-org totals last; a run killed before its ``run_end`` reads back as interrupted. The writer
decides nothing about what runs: it records what the executor (``ApplyJournal``) or the ad-hoc runner
(``AdhocApexJournal``) reported.
"""

from __future__ import annotations

import getpass
import socket
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from providers.base import ApexResult
from reconcile.adhoc_apex import OrgScriptRun
from reconcile.executor import ApplyReport, Event
from reconcile.history.provenance import Provenance
from reconcile.model import Action, Change, sha256_hex
from reconcile.plan import Plan
from reconcile.planfile import plan_checksum
from state.journal import JournalStore


def run_record(run_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    """One record of run ``run_id``: its type, the time now (UTC) and ``fields``."""
    return {"run_id": run_id, "type": kind, "at": datetime.now(UTC).isoformat(), **fields}


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
    fields: dict[str, Any] = {
        "org": event.org,
        "address": str(event.address),
        "action": action,
        "ok": bool(event.ok),
        "message": event.message,
    }
    if event.apex is not None:
        fields["apex"] = apex_fields(event.apex)
        fields["seconds"] = round(event.seconds or 0.0, 3)
    return fields


def planned_change(change: Change) -> dict[str, Any]:
    """A planned change as ``run_start`` lists it."""
    record: dict[str, Any] = {"address": str(change.address), "action": change.action.value, "reason": change.reason}
    if change.action is Action.RUN and change.after is not None:
        script = change.after.model_dump(mode="json")
        pieces = {key: str(script.get(key) or "") for key in ("file", "body", "sha256", "run")}
        record["script"] = script_fields(**pieces)
    else:
        record.update(value_fields(change))
    return record


def value_fields(change: Change) -> dict[str, Any]:
    """A change's ``before``, ``after`` and ``details`` as the JSON plan has them (the audit trail)."""
    return {
        "before": change.before.model_dump(mode="json") if change.before is not None else None,
        "after": change.after.model_dump(mode="json") if change.after is not None else None,
        "details": [detail.model_dump(mode="json") for detail in change.details],
    }


def audit_fields(plan: Plan, provenance: Provenance | None) -> dict[str, Any]:
    """What ``run_start`` of an apply says for the audit trail: the plan's checksum, the config digest,
    and who ran it from where (``reconcile.history.provenance``)."""
    fields: dict[str, Any] = {"plan_checksum": plan_checksum(plan), "config_digest": plan.config_digest}
    if provenance is not None:
        fields.update(provenance.as_record())
    return fields


def org_totals(
    *, applied: int, failed: int, skipped: int, api_calls: int, seconds: float, error: str
) -> dict[str, Any]:
    """One org's entry in ``run_end``'s ``orgs``."""
    return {
        "applied": applied,
        "failed": failed,
        "skipped": skipped,
        "api_calls": api_calls,
        "seconds": round(seconds, 3),
        "error": error,
    }


class RunWriter:
    """Appends the records of one run (a fresh 12-character run id) to a journal; appends are serialised."""

    def __init__(self, journal: JournalStore) -> None:
        self.journal = journal
        self.run_id = uuid.uuid4().hex[:12]
        self._lock = threading.Lock()

    def append(self, kind: str, **fields: Any) -> None:
        with self._lock:
            self.journal.append(run_record(self.run_id, kind, **fields))

    def start(self, operation: str, orgs: Sequence[str], **fields: Any) -> None:
        """The ``run_start`` record, naming who runs it (user and host)."""
        self.append(
            "run_start",
            operation=operation,
            user=getpass.getuser(),
            host=socket.gethostname(),
            orgs=list(orgs),
            **fields,
        )


class ApplyJournal:
    """The journal of one apply: ``start`` lists the planned changes, ``record`` writes each result and
    skip the executor reports (apex outcomes and debug logs included), ``finish`` the per-org totals."""

    def __init__(self, writer: RunWriter, plan: Plan) -> None:
        self._writer = writer
        self._actions = {(o.org, str(c.address)): c.action.value for o in plan.orgs for c in o.changes}

    @classmethod
    def start(
        cls, journal: JournalStore, plan: Plan, plan_file: Path | None, provenance: Provenance | None = None
    ) -> ApplyJournal:
        writer = RunWriter(journal)
        writer.start(
            "apply",
            [o.org for o in plan.orgs],
            plan_file=str(plan_file or ""),
            changes={o.org: [planned_change(c) for c in o.changes] for o in plan.orgs},
            **audit_fields(plan, provenance),
        )
        return cls(writer, plan)

    @property
    def run_id(self) -> str:
        return self._writer.run_id

    def record(self, event: Event) -> None:
        """Journal a ``result`` or ``skipped`` event, and a ``note`` (what a script switched off and back on);
        other events are progress only."""
        if event.type == "note":
            self._writer.append("note", org=event.org, message=event.message)
        elif event.type in ("result", "skipped"):
            action = self._actions.get((event.org, str(event.address)), "")
            self._writer.append(event.type, **event_fields(event, action))

    def append(self, kind: str, **fields: Any) -> None:
        """Journal another record of this run (the checks run after the apply, ``reconcile.history.verification``)."""
        self._writer.append(kind, **fields)

    def finish(self, report: ApplyReport, failed_checks: dict[str, str] | None = None) -> None:
        """The ``run_end`` record; ``failed_checks`` (org -> what failed) fails those orgs' outcome."""
        failed = failed_checks or {}
        self._writer.append(
            "run_end",
            ok=report.ok and not failed,
            orgs={
                o.org: org_totals(
                    applied=o.applied,
                    failed=o.failed,
                    skipped=o.skipped,
                    api_calls=o.api_calls,
                    seconds=o.seconds,
                    error=o.detailed_error or failed.get(o.org, ""),
                )
                for o in report.orgs
            },
        )


def script_result_fields(address: str, run: OrgScriptRun) -> dict[str, Any]:
    """The fields of the ``result`` record of one org's ad-hoc run."""
    fields: dict[str, Any] = {
        "org": run.org,
        "address": address,
        "action": "run",
        "ok": run.ok,
        "message": run.message,
        "seconds": round(run.seconds, 3),
        "api_calls": run.api_calls,
    }
    if run.outcome is not None:
        fields["apex"] = apex_fields(run.outcome)
    return fields


def script_end_fields(runs: Sequence[OrgScriptRun]) -> dict[str, Any]:
    """The fields of an ad-hoc run's ``run_end``: per org, 1 applied or 1 failed, calls, time, org error."""
    return {
        "ok": all(run.ok for run in runs),
        "orgs": {
            run.org: org_totals(
                applied=int(run.ok),
                failed=int(not run.ok),
                skipped=0,
                api_calls=run.api_calls,
                seconds=run.seconds,
                error=run.error,
            )
            for run in runs
        },
    }


class AdhocApexJournal:
    """The journal of one ``apex run``: ``start`` records the script (body included) and one planned run
    per org, ``record`` each org's outcome as it finishes, ``finish`` the per-org totals. The address of
    an ad-hoc script is ``apex:<file name>``."""

    def __init__(self, writer: RunWriter, address: str) -> None:
        self._writer = writer
        self.address = address

    @classmethod
    def start(
        cls,
        journal: JournalStore,
        file: Path,
        script: str,
        orgs: Sequence[str],
        provenance: Provenance | None = None,
    ) -> AdhocApexJournal:
        writer = RunWriter(journal)
        address = f"apex:{file.name}"
        writer.start(
            "apex",
            orgs,
            **(provenance.as_record() if provenance is not None else {}),
            script=script_fields(file=str(file), body=script, sha256=sha256_hex(script)),
            changes={org: [{"address": address, "action": "run", "reason": "ad-hoc script"}] for org in orgs},
        )
        return cls(writer, address)

    @property
    def run_id(self) -> str:
        return self._writer.run_id

    def record(self, run: OrgScriptRun) -> None:
        self._writer.append("result", **script_result_fields(self.address, run))

    def finish(self, runs: Sequence[OrgScriptRun]) -> None:
        self._writer.append("run_end", **script_end_fields(runs))
