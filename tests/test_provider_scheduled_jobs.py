"""Scheduled Apex (CronTrigger / CronJobDetail, System.schedule / System.abortJob) through the provider and
the emulator, over HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconcile.kinds.scheduled_job import ScheduledJob
from reconcile.model import Action, Address, Change
from tests.support.emulator import EmulatedOrg, live, narrow, provider_seed

KIND = "scheduled_job"


def seed_with_jobs() -> dict[str, Any]:
    seed = provider_seed()
    seed["apex_classes"] = ["TierBackfillJob", "CleanupJob"]
    seed["scheduled_jobs"] = [
        {"name": "Nightly cleanup", "class": "CleanupJob", "cron": "0 30 1 * * ?"},
        {"name": "Weekly digest", "class": "CleanupJob", "cron": "0 0 6 ? * MON"},
    ]
    return seed


def job(name: str, cron: str, apex_class: str = "TierBackfillJob") -> ScheduledJob:
    return ScheduledJob(name=name, apex_class=apex_class, cron=cron)


def jobs(org: EmulatedOrg) -> dict[str, str]:
    details = {row["Id"]: row["Name"] for row in org.rows("CronJobDetail")}
    return {details[row["CronJobDetailId"]]: row["CronExpression"] for row in org.rows("CronTrigger")}


def test_read_costs_one_query_and_names_compare_exactly(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_jobs())
    found = org.provider.read(KIND, ["Nightly cleanup", "Weekly digest", "nightly cleanup", "No such job"])
    assert org.provider.usage.by_endpoint == {"GET query": 1}
    assert org.requests() == org.provider.usage.by_endpoint
    assert set(found) == {Address(KIND, "Nightly cleanup"), Address(KIND, "Weekly digest")}
    cleanup = narrow(found[Address(KIND, "Nightly cleanup")], ScheduledJob)
    assert cleanup.cron == "0 30 1 * * ?" and cleanup.ids["trigger"].startswith("08e")
    assert cleanup.apex_class == ""  # Salesforce does not tell the class


def test_a_batch_is_one_anonymous_apex_call(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_jobs())
    found = org.provider.read(KIND, ["Nightly cleanup", "Weekly digest"])
    org.provider.identity()  # read once per connection (the SOAP endpoint names the org id)
    org.reset_counts()
    cleanup = found[Address(KIND, "Nightly cleanup")]
    digest = found[Address(KIND, "Weekly digest")]
    changes = [
        Change(
            address=Address(KIND, "Nightly tier backfill"),
            action=Action.CREATE,
            after=job("Nightly tier backfill", "0 0 2 * * ?"),
        ),
        Change(
            address=cleanup.address,
            action=Action.UPDATE,
            before=live(cleanup),
            after=job("Nightly cleanup", "0 0 3 * * ?", "CleanupJob").model_copy(update={"ids": cleanup.ids}),
        ),
        Change(address=digest.address, action=Action.DELETE, before=live(digest)),
    ]
    results = org.provider.apply(KIND, changes)
    assert [r.ok for r in results] == [True, True, True], results
    assert [r.message for r in results] == ["scheduled", "aborted and scheduled again", "aborted"]
    assert org.requests() == org.provider.usage.by_endpoint == {"POST Soap/s executeAnonymous": 1}
    assert jobs(org) == {"Nightly tier backfill": "0 0 2 * * ?", "Nightly cleanup": "0 0 3 * * ?"}


def test_a_failing_script_fails_every_change_of_the_batch(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_jobs())
    changes = [
        Change(address=Address(KIND, "A"), action=Action.CREATE, after=job("A", "0 0 2 * * ?")),
        Change(
            address=Address(KIND, "Nightly cleanup"), action=Action.CREATE, after=job("Nightly cleanup", "0 0 2 * * ?")
        ),
    ]
    results = org.provider.apply(KIND, changes)
    assert [r.ok for r in results] == [False, False]
    assert {r.code for r in results} == {"APEX_EXCEPTION"}
    assert 'The Apex job named "Nightly cleanup" is already scheduled for execution.' in results[0].message
    assert "A" not in jobs(org)  # rolled back with the rest

    unknown = [Change(address=Address(KIND, "B"), action=Action.CREATE, after=job("B", "0 0 2 * * ?", "MissingJob"))]
    (result,) = org.provider.apply(KIND, unknown)
    assert not result.ok and result.code == "COMPILE_ERROR" and "Invalid type: MissingJob" in result.message


def test_inventory_lists_every_scheduled_apex_job(emulated: Callable[..., EmulatedOrg]) -> None:
    org = emulated(seed_with_jobs())
    found = org.provider.inventory(KIND)
    assert list(found) == [Address(KIND, "Nightly cleanup"), Address(KIND, "Weekly digest")]
    assert org.provider.usage.calls == 1
