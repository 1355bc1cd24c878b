"""The ``scheduled_job`` kind: scheduled Apex, read from ``CronTrigger`` and written with anonymous Apex.

Read: one SOQL query for every job asked, ``SELECT Id, CronExpression, State, CronJobDetail.Name,
CronJobDetail.JobType FROM CronTrigger WHERE CronJobDetail.Name IN (...)`` (split only when the list would
not fit a request URI). Only scheduled Apex counts (``CronJobDetail.JobType = '7'``), and a trigger in state
``DELETED`` is gone. Job names compare exactly, as ``System.schedule`` compares them (SOQL's ``IN`` does
not, so rows are filtered here). A live job carries its cron and its CronTrigger id (``ids["trigger"]``);
no Salesforce object tells which class a job runs, so ``apex_class`` is left empty.

Write: the whole batch is one anonymous Apex script through ``context.run_apex``: for a delete
``System.abortJob('<CronTrigger Id>');``, for a create ``System.schedule('<name>', '<cron>', new
<Class>());``, for an update both, abort first. Salesforce runs a script in one transaction, so a compile
error (an unknown class: ``Invalid type: X``) or a runtime exception (a name already scheduled) fails every
change of the batch, each with the message, and none is applied. ``forget`` touches nothing. An answer
lost in transit raises ``ProviderError`` (the script may have run; it is never sent twice).

Seed (snapshots): the inventory's name and cron of each job, without a class, and the names of the
org's Apex classes (``SELECT Name, NamespacePrefix FROM ApexClass``; left out when the org refuses the
query, as the emulator does: it does not offer ``ApexClass``).

Preflight checks nothing: the class would be an ``ApexClass`` query, and the script's compile step reports
an unknown class anyway. Inventory: every scheduled Apex job not deleted.

Not settled by any public source: whether a job in state ``COMPLETE`` still blocks its name (the one
public explanation says every state but ``DELETED`` does; it is read as live here), and what
``System.abortJob`` does with a well-formed id of no job.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from providers.base import ApexResult
from providers.salesforce.kinds.base import KindContext
from providers.salesforce.names import join_namespace
from providers.salesforce.soql import in_chunks
from reconcile.errors import ApiLimitError, Problem, ProviderError
from reconcile.kinds.scheduled_job import ScheduledJob
from reconcile.model import Action, Address, Change, ChangeResult, Resource

SELECT = "SELECT Id, CronExpression, State, CronJobDetail.Name, CronJobDetail.JobType FROM CronTrigger"
BY_NAME = SELECT + " WHERE CronJobDetail.Name IN "
EVERY_JOB = SELECT + " WHERE CronJobDetail.JobType = '7'"
SCHEDULED_APEX = "7"
CLASSES = "SELECT Name, NamespacePrefix FROM ApexClass"


def _apex_string(value: str) -> str:
    """An Apex string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _live(record: dict[str, Any]) -> ScheduledJob | None:
    detail = record.get("CronJobDetail") or {}
    if str(detail.get("JobType")) != SCHEDULED_APEX or record.get("State") == "DELETED":
        return None
    return ScheduledJob(
        name=str(detail.get("Name") or ""), cron=str(record["CronExpression"]), ids={"trigger": str(record["Id"])}
    )


def statements(change: Change) -> list[str]:
    """The anonymous Apex statements that apply ``change`` (none for ``forget``)."""
    lines: list[str] = []
    before = change.before if isinstance(change.before, ScheduledJob) else None
    after = change.after if isinstance(change.after, ScheduledJob) else None
    if change.action in (Action.UPDATE, Action.DELETE) and before is not None and before.ids.get("trigger"):
        lines.append(f"System.abortJob({_apex_string(before.ids['trigger'])});")
    if change.action in (Action.CREATE, Action.UPDATE) and after is not None:
        lines.append(
            f"System.schedule({_apex_string(after.name)}, {_apex_string(after.cron)}, new {after.apex_class}());"
        )
    return lines


class ScheduledJobHandler:
    """Reads, writes and lists ``scheduled_job`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.run_apex: Callable[[str], ApexResult] = context.run_apex

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        wanted = set(keys)
        result: dict[Address, Resource] = {}
        for query in in_chunks(sorted(wanted), lambda values: BY_NAME + values):
            for record in self.transport.query_all(query):
                job = _live(record)
                if job is not None and job.name in wanted:
                    result[job.address] = job
        return result

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        return []

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        script = "\n".join(line for change in changes for line in statements(change))
        if not script:
            return [self._result(change) for change in changes]
        outcome = self.run_apex(script)
        if outcome.compiled and outcome.success:
            return [self._result(change) for change in changes]
        code = "COMPILE_ERROR" if not outcome.compiled else "APEX_EXCEPTION"
        return [
            ChangeResult(address=change.address, ok=False, code=code, message=outcome.message) for change in changes
        ]

    def inventory(self) -> dict[Address, Resource]:
        found: dict[Address, Resource] = {}
        for record in self.transport.query_all(EVERY_JOB):
            job = _live(record)
            if job is not None:
                found[job.address] = job
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The ``scheduled_jobs`` seed section: name and cron of every job (no class: none is readable),
        and ``apex_classes``: the names of the org's Apex classes, when the org lets them be queried."""
        try:
            classes = [
                join_namespace(r.get("NamespacePrefix"), str(r["Name"])) for r in self.transport.query_all(CLASSES)
            ]
        except ApiLimitError:
            raise
        except ProviderError:
            classes = []  # an org (or emulator) that does not offer ApexClass to queries
        jobs = [
            {"name": job.name, "cron": job.cron} for job in self.inventory().values() if isinstance(job, ScheduledJob)
        ]
        return {"apex_classes": classes, "scheduled_jobs": jobs}

    def _result(self, change: Change) -> ChangeResult:
        messages = {
            Action.CREATE: "scheduled",
            Action.UPDATE: "aborted and scheduled again",
            Action.DELETE: "aborted",
            Action.FORGET: "no longer managed; already gone from the org",
        }
        after = change.after if isinstance(change.after, ScheduledJob) else None
        resource = after.model_copy(update={"ids": {}}) if after is not None else None
        return ChangeResult(address=change.address, ok=True, message=messages.get(change.action, ""), resource=resource)
