"""Scheduled Apex in an org: the ``scheduled_jobs`` and ``apex_classes`` sections of an org document, and
the ``CronTrigger`` / ``CronJobDetail`` records made from them.

Seed sections::

    "apex_classes": ["TierBackfillJob", "CleanupJob"]
    "scheduled_jobs": [{"name": "Nightly tier backfill", "class": "TierBackfillJob", "cron": "0 0 2 * * ?"}]

A job's ``class``, when given, must be one of ``apex_classes`` (``SeedError`` otherwise); a snapshot of a
real org leaves it out, since no Salesforce object tells which class a job runs. Names are unique.

Stored records: ``CronJobDetail`` (key prefix ``08a``) ``{Name, JobType: "7"}`` (``'7'`` is scheduled
Apex) plus the private ``_class`` the job runs (Salesforce does not expose it on either object), and
``CronTrigger`` (key prefix ``08e``) ``{CronExpression, CronJobDetailId, State: "WAITING", TimesTriggered:
0, NextFireTime: null}``. ``NextFireTime`` is never computed. ``apex_classes`` are kept as a private
table ``_ApexClassName`` (names only; no ``ApexClass`` object is offered to queries).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .data import OrgData, Record, SeedError
from .sections import SeedSection, entry, listing, text

SECTION = "scheduled_jobs"
CLASSES_SECTION = "apex_classes"
CLASSES_TABLE = "_ApexClassName"
SCHEDULED_APEX = "7"


def job_records(trigger_id: str, detail_id: str, name: str, class_name: str, cron: str) -> tuple[Record, Record]:
    """The CronJobDetail and CronTrigger records of one scheduled job."""
    detail: Record = {"Id": detail_id, "Name": name, "JobType": SCHEDULED_APEX, "_class": class_name}
    trigger: Record = {
        "Id": trigger_id,
        "CronExpression": cron,
        "CronJobDetailId": detail_id,
        "State": "WAITING",
        "TimesTriggered": 0,
        "NextFireTime": None,
    }
    return detail, trigger


def load(data: OrgData, document: Mapping[str, Any], mint: Callable[[str, str, Any], str]) -> None:
    """Add the class names and a CronJobDetail + CronTrigger pair for each seed job."""
    classes = [str(name) for name in document.get(CLASSES_SECTION, [])]
    data.tables[CLASSES_TABLE] = {name.lower(): {"Id": name.lower(), "Name": name} for name in classes}
    data.tables.setdefault("CronJobDetail", {})
    data.tables.setdefault("CronTrigger", {})
    for spec in document.get(SECTION, []):
        name, class_name, cron = str(spec["name"]), str(spec.get("class") or ""), str(spec["cron"])
        if class_name and class_name.lower() not in data.tables[CLASSES_TABLE]:
            raise SeedError(f"scheduled job {name}: unknown apex class {class_name}")
        if any(d["Name"] == name for d in data.tables["CronJobDetail"].values()):
            raise SeedError(f"scheduled job {name}: the name is used twice")
        detail_id = mint("CronJobDetail", name, spec.get("detail_id"))
        trigger_id = mint("CronTrigger", name, spec.get("id"))
        detail, trigger = job_records(trigger_id, detail_id, name, class_name, cron)
        data.add("CronJobDetail", detail)
        data.add("CronTrigger", trigger)


def to_document(tables: Mapping[str, Mapping[str, Record]]) -> dict[str, Any]:
    """The ``apex_classes`` and ``scheduled_jobs`` sections of a live org document (ids kept); empty
    sections are left out, so documents of orgs without them keep their shape."""
    details = tables.get("CronJobDetail", {})
    jobs = []
    for trigger in tables.get("CronTrigger", {}).values():
        detail = details.get(trigger["CronJobDetailId"]) or {}
        job = {
            "id": trigger["Id"],
            "detail_id": trigger["CronJobDetailId"],
            "name": detail.get("Name", ""),
            "class": detail.get("_class", ""),
            "cron": trigger["CronExpression"],
        }
        jobs.append(job if job["class"] else {k: v for k, v in job.items() if k != "class"})
    classes = [row["Name"] for row in tables.get(CLASSES_TABLE, {}).values()]
    section: dict[str, Any] = {}
    if classes:
        section[CLASSES_SECTION] = classes
    if jobs:
        section[SECTION] = jobs
    return section


CLASSES_SEED_SECTION = SeedSection(
    CLASSES_SECTION,
    "The names of the org's Apex classes that scheduled jobs may run (no class body is kept).",
    listing("The class names.", text("An Apex class name.")),
)
SEED_SECTION = SeedSection(
    SECTION,
    "Scheduled Apex (`scheduled_job:NAME` in the configuration): `CronTrigger` and `CronJobDetail`.",
    listing(
        "The scheduled jobs.",
        entry(
            "A scheduled job.",
            ("name", "cron"),
            name=text("The job's name (unique)."),
            class_=text("One of `$.apex_classes`: the class the job runs (a snapshot leaves it out)."),
            cron=text("Its cron expression, e.g. `0 0 2 * * ?`."),
            id=text("", live=True),
            detail_id=text("", live=True),
        ),
    ),
)
