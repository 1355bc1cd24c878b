"""The execution history as data: runs, each org's part of a run, and each change with its outcome.

These are what reading the journal builds (``reconcile.history.reader``) and what the renderers show
(``reconcile.render.history``, ``reconcile.render.report``). A script's outcome is the provider's
``ApexResult``, the same object the provider returned and the writer recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from providers.base import ApexResult
from reconcile.model import ValueChange

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


class ChangeValues(_Frozen):
    """What a change did at value level, as the JSON plan has it: the live resource before (None when
    absent), the resource after (None for a delete) and the value-level details (picklist values)."""

    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: tuple[ValueChange, ...] = ()


class RunAudit(_Frozen):
    """Where an apply came from (see ``reconcile.history.provenance``): who ran it, the CI job and pull
    request, the git commit of the configuration (``git_dirty`` None when unknown), the config digest and
    the checksum of the plan applied."""

    by: str = ""
    ci_system: str = ""
    job_url: str = ""
    pr_url: str = ""
    git_commit: str = ""
    git_dirty: bool | None = None
    config_digest: str = ""
    plan_checksum: str = ""


class ChangeEntry(_Frozen):
    """One planned change (or one org's ad-hoc script run) and what became of it; ``values`` is None in
    records written before value-level changes were journaled, and for script runs."""

    org: str
    address: str
    action: str = ""
    reason: str = ""
    status: ChangeStatus = "not run"
    message: str = ""
    at: datetime | None = None
    script: ScriptInfo | None = None
    apex: ApexResult | None = None
    seconds: float | None = None
    api_calls: int | None = None
    values: ChangeValues | None = None


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


class CheckRecord(_Frozen):
    """One check's result in one org, as a ``check`` record holds it."""

    org: str
    name: str
    check_type: str = ""
    status: str = ""
    summary: str = ""
    details: tuple[str, ...] = ()


class StepRecord(_Frozen):
    """A manual step in one org, as a ``manual_step`` record holds it: ``pending`` or ``confirmed`` (by whom,
    when, with what note)."""

    org: str
    name: str
    status: str = ""
    instructions: str = ""
    by: str = ""
    at: str = ""
    note: str = ""


class Run(_Frozen):
    """One ``apply``, ``apex run``, ``verify`` or ``confirm`` as the journal recorded it; ``audit`` is None
    in records written before provenance was journaled."""

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
    checks: tuple[CheckRecord, ...] = ()
    steps: tuple[StepRecord, ...] = ()
    audit: RunAudit | None = None

    @property
    def seconds(self) -> float | None:
        """Wall time from start to finish (None while unfinished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def who(self) -> str:
        """Who ran it: the recorded ``by`` (``--by``, the CI actor or the OS user), else ``user@host``."""
        if self.audit is not None and self.audit.by:
            return self.audit.by
        return f"{self.user or '?'}@{self.host or '?'}"

    @property
    def api_calls(self) -> int:
        return sum(org.api_calls or 0 for org in self.orgs)

    @property
    def scripts(self) -> list[ChangeEntry]:
        """Every script run (or planned) in this run, org by org."""
        return [change for org in self.orgs for change in org.changes if change.script or change.apex]
