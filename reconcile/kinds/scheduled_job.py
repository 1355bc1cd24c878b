"""``scheduled_job``: a scheduled Apex job (``System.schedule``) by name, its class and cron expression.

Address: ``scheduled_job:Nightly tier backfill`` (the job's name, as ``CronJobDetail.Name`` holds it).
TOML: ``[[scheduled_job]] name = "..." class = "TierBackfillJob" cron = "0 0 2 * * ?"``, ``replace = true``
optional. An invalid cron expression (``reconcile.kinds.cron``) is a configuration error at ``cron``.

Salesforce does not tell which class a scheduled job runs (``CronTrigger`` and ``CronJobDetail`` hold no
class), so a live job carries its cron only and the class is what this tool scheduled, recorded in state.

Ownership:
- missing: create (``System.schedule``);
- scheduled by this tool (in state) with another cron, or declared with another class than state
  records: update (``System.abortJob`` then ``System.schedule``);
- scheduled by someone else (not in state): the same cron is in sync (the class cannot be checked, and
  the job stays unmanaged); another cron is a conflict, an error on the entry that stops the org's plan
  (``conflict``), unless the entry says ``replace = true`` (then it is updated and managed from then on);
- a job this tool scheduled whose entry leaves the configuration: delete (``System.abortJob``); already
  gone: forget. Jobs the tool never scheduled are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Strict, create_model

from reconcile.config.schema import PLACEHOLDER, Bool, Entry, Finding, NonEmpty
from reconcile.errors import Problem
from reconcile.kinds import cron
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind, Skipped
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

_CLASS = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")


def _class_name(value: str) -> str:
    if PLACEHOLDER not in value and not _CLASS.match(value):
        raise ValueError(f"{value!r} must be an Apex class name, e.g. TierBackfillJob (or ns.TierBackfillJob)")
    return value


ClassName = Annotated[str, Strict(), AfterValidator(_class_name)]


class ScheduledJobKeys(Entry):
    """The keys of ``[[scheduled_job]]`` but ``class`` (a Python keyword: ``ScheduledJobEntry`` adds it)."""

    DESCRIPTION = (
        "A scheduled Apex job (`System.schedule`): its name, the class it runs and its cron expression. "
        "A job someone else scheduled under the same name is never replaced unless `replace = true`."
    )
    KEY_DOCS = {
        "name": "The job's name (`CronJobDetail.Name`); its address is `scheduled_job:NAME`.",
        "class": "The Apex class to schedule (it implements `Schedulable`), e.g. `TierBackfillJob`.",
        "cron": "When it runs, as a Salesforce cron expression: seconds minutes hours day-of-month month "
        "day-of-week [year], with `?` in exactly one of day-of-month and day-of-week, e.g. `0 0 2 * * ?`.",
        "replace": "`true` to replace a job of that name scheduled outside this tool with another cron "
        "expression (it is aborted and scheduled again); by default that is an error.",
    }
    EXAMPLES = {"name": "Nightly tier backfill", "class": "TierBackfillJob", "cron": "0 0 2 * * ?", "replace": False}
    CONSTRAINTS = {"class": {"pattern": _CLASS.pattern}}

    name: NonEmpty
    cron: NonEmpty
    replace: Bool = False

    @property
    def class_name(self) -> str:
        return str(getattr(self, "class"))

    def findings(self) -> list[Finding]:
        if PLACEHOLDER in self.cron:
            return []
        hint = "e.g. `0 0 2 * * ?`: every day at 02:00"
        return [
            (("cron",), f"invalid cron expression {self.cron!r}: {problem}", hint)
            for problem in cron.problems(self.cron)
        ]


_CLASS_FIELD: dict[str, Any] = {"class": (ClassName, ...)}
ScheduledJobEntry = create_model(
    "ScheduledJobEntry",
    __base__=ScheduledJobKeys,
    __doc__="``[[scheduled_job]]``: one scheduled Apex job, its class and cron expression.",
    __module__=__name__,
    **_CLASS_FIELD,
)


class ScheduledJob(Resource):
    """A scheduled Apex job. ``apex_class`` is empty for a live job (Salesforce does not tell it);
    ``ids``: ``trigger``, the CronTrigger id (what ``System.abortJob`` takes)."""

    kind: Literal["scheduled_job"] = "scheduled_job"
    name: str
    apex_class: str = ""
    cron: str
    replace: bool = False

    @property
    def key(self) -> str:
        return self.name


def _recorded_class(entry: StateEntry | None) -> str:
    return str(entry.attributes.get("apex_class") or "") if entry is not None else ""


class ScheduledJobKind(ResourceKind[ScheduledJobKeys, ScheduledJob]):
    name = "scheduled_job"
    entry = ScheduledJobEntry
    resource = ScheduledJob
    noun = "scheduled jobs"

    def expand(self, entry: ScheduledJobKeys, org: Expansion) -> list[ScheduledJob]:
        return [
            ScheduledJob(
                name=org.sub(entry.name),
                apex_class=org.sub(entry.class_name),
                cron=org.sub(entry.cron),
                replace=entry.replace,
            )
        ]

    def conflict(self, desired: ScheduledJob, live: ScheduledJob | None, entry: StateEntry | None) -> Problem | None:
        if live is None or entry is not None or desired.replace or live.cron == desired.cron:
            return None
        message = (
            f"a job named {desired.name!r} is already scheduled outside this tool with cron {live.cron!r} "
            f"(declared: {desired.cron!r}); it is not replaced"
        )
        hint = "set `replace = true` on the entry to abort it and schedule the declared job"
        return Problem(message, hint=hint, address=str(desired.address))

    def plan(
        self, desired: ScheduledJob, live: ScheduledJob | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        if live is None:
            return Change(address=desired.address, action=Action.CREATE, after=desired, reason="missing: schedule")
        if entry is None and not (desired.replace and live.cron != desired.cron):
            return None  # someone else's job: in sync when the cron matches, a conflict otherwise
        reasons = []
        if live.cron != desired.cron:
            reasons.append(f"cron {live.cron} -> {desired.cron}")
        recorded = _recorded_class(entry)
        if entry is not None and recorded != desired.apex_class:
            reasons.append(f"class {recorded or '?'} -> {desired.apex_class}")
        if not reasons:
            return None
        if entry is None:
            reasons.append("scheduled outside this tool, replace = true")
        before = live.model_copy(update={"apex_class": recorded})
        after = desired.model_copy(update={"ids": live.ids})
        reason = "reschedule: " + ", ".join(reasons)
        return Change(address=desired.address, action=Action.UPDATE, before=before, after=after, reason=reason)

    def plan_removal(self, address: Address, live: ScheduledJob | None, entry: StateEntry) -> Change:
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="no longer scheduled in the org")
        before = live.model_copy(update={"apex_class": _recorded_class(entry)})
        return Change(address=address, action=Action.DELETE, before=before, reason="no longer declared: abort")

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before if isinstance(change.before, ScheduledJob) else None
        after = change.after if isinstance(change.after, ScheduledJob) else None
        if before is not None and after is not None:
            lines: list[DetailLine] = []
            if before.cron != after.cron:
                lines.append(("~", f"cron: {before.cron} -> {after.cron}"))
            if before.apex_class != after.apex_class:
                lines.append(("~", f"class: {before.apex_class or '?'} -> {after.apex_class}"))
            return lines
        if after is not None:
            return [("+", f"class: {after.apex_class}"), ("+", f"cron: {after.cron}")]
        if before is not None:
            return [("-", f"cron: {before.cron}" + (f" (class {before.apex_class})" if before.apex_class else ""))]
        return []

    def comparable(self, resource: ScheduledJob) -> Any:
        return {"cron": resource.cron}  # the org does not tell the class

    def compare(
        self, source: ScheduledJob, target: ScheduledJob, after: ScheduledJob, names: tuple[str, str]
    ) -> Change | None:
        if source.cron == target.cron:
            return None
        reason = f"{names[1]} runs it at {target.cron}"
        return Change(address=target.address, action=Action.UPDATE, before=target, after=after, reason=reason)

    def adoption_problem(self, change: Change, target: str) -> str:
        return "the class a scheduled job runs cannot be read from an org"

    def export(self, resources: Sequence[ScheduledJob], org: str, suffix: str) -> Exported:
        """Jobs are listed but not written: the class they run cannot be read from an org."""
        reason = "the class a scheduled job runs cannot be read from an org; declare it by hand"
        return [], [Skipped(resource.address, reason) for resource in resources]
