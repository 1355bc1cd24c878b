"""The emulator's scheduled Apex: seed sections, CronTrigger/CronJobDetail over SOQL, ``System.schedule``
and ``System.abortJob`` in anonymous Apex (Tooling REST and Apex SOAP), their errors, the org file."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simple_salesforce import Salesforce

from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import build_tables
from tests.support.emulator import StartOrg, client_for

SEED: dict[str, Any] = {
    "schema_version": 1,
    "organization": {"name": "Jobs"},
    "apex_classes": ["TierBackfillJob", "CleanupJob"],
    "scheduled_jobs": [{"name": "Nightly cleanup", "class": "CleanupJob", "cron": "0 30 1 * * ?"}],
}
JOBS = (
    "SELECT Id, CronExpression, State, CronJobDetail.Name, CronJobDetail.JobType FROM CronTrigger "
    "WHERE CronJobDetail.Name IN ('Nightly cleanup', 'Nightly tier backfill')"
)


@pytest.fixture
def sf(start_org: StartOrg) -> Salesforce:
    return client_for(start_org(SEED))


def execute(sf: Salesforce, code: str) -> dict[str, Any]:
    result: dict[str, Any] = sf.toolingexecute("executeAnonymous/", params={"anonymousBody": code})
    return result


def jobs(sf: Salesforce) -> dict[str, dict[str, Any]]:
    return {r["CronJobDetail"]["Name"]: r for r in sf.query(JOBS)["records"]}


def test_seeded_job_is_queryable_with_its_job_detail(sf: Salesforce) -> None:
    record = jobs(sf)["Nightly cleanup"]
    assert record["Id"].startswith("08e") and record["CronExpression"] == "0 30 1 * * ?"
    assert record["State"] == "WAITING"
    assert record["CronJobDetail"]["JobType"] == "7"
    assert record["CronJobDetail"]["attributes"]["type"] == "CronJobDetail"


def test_schedule_creates_a_job_and_abort_removes_it(sf: Salesforce) -> None:
    result = execute(sf, "System.schedule('Nightly tier backfill', '0 0 2 * * ?', new TierBackfillJob());")
    assert result["success"] is True and result["compiled"] is True
    assert jobs(sf)["Nightly tier backfill"]["CronExpression"] == "0 0 2 * * ?"
    job_id = jobs(sf)["Nightly tier backfill"]["Id"]
    assert execute(sf, f"System.abortJob('{job_id}');")["success"] is True
    assert set(jobs(sf)) == {"Nightly cleanup"}


def test_scheduling_an_unknown_class_is_a_compile_error(sf: Salesforce) -> None:
    result = execute(sf, "System.schedule('X', '0 0 2 * * ?',\n  new MissingJob());")
    assert result["compiled"] is False and result["success"] is False
    assert (result["compileProblem"], result["line"], result["column"]) == ("Invalid type: MissingJob", 2, 7)
    assert set(jobs(sf)) == {"Nightly cleanup"}


def test_a_duplicate_name_fails_at_run_time_and_rolls_the_run_back(sf: Salesforce) -> None:
    code = (
        "System.schedule('Nightly tier backfill', '0 0 2 * * ?', new TierBackfillJob());\n"
        "System.schedule('Nightly cleanup', '0 0 3 * * ?', new CleanupJob());"
    )
    result = execute(sf, code)
    assert result["compiled"] is True and result["success"] is False
    assert result["exceptionMessage"] == (
        'System.AsyncException: The Apex job named "Nightly cleanup" is already scheduled for execution.'
    )
    assert set(jobs(sf)) == {"Nightly cleanup"}  # the first statement's job is rolled back too


def test_aborting_a_malformed_id_fails(sf: Salesforce) -> None:
    result = execute(sf, "System.abortJob('nope');")
    assert result["success"] is False and result["exceptionMessage"] == "System.StringException: Invalid id: nope"


def test_other_statement_shapes_still_run_without_effect(sf: Salesforce) -> None:
    result = execute(sf, "String n = 'A'; System.schedule(n, '0 0 2 * * ?', new Whatever());")
    assert result["success"] is True
    assert set(jobs(sf)) == {"Nightly cleanup"}


def test_soap_execute_anonymous_schedules_too(sf: Salesforce) -> None:
    from providers.salesforce.anonymous_apex import envelope

    url = f"https://{sf.sf_instance}/services/Soap/s/{sf.sf_version}"
    body = envelope(sf.session_id, "System.schedule('Nightly tier backfill', '0 0 2 * * ?', new TierBackfillJob());")
    response = sf.session.post(url, data=body, headers={"Content-Type": "text/xml", "SOAPAction": "executeAnonymous"})
    assert response.status_code == 200 and b"<success>true</success>" in response.content
    assert "Nightly tier backfill" in jobs(sf)


def test_org_file_round_trips_jobs_and_classes() -> None:
    data = build_tables(SEED)
    document = json.loads(json.dumps(to_document(data)))
    assert document["apex_classes"] == ["TierBackfillJob", "CleanupJob"]
    assert document["scheduled_jobs"][0]["name"] == "Nightly cleanup"
    again = build_tables(document)
    assert again.tables["CronTrigger"] == data.tables["CronTrigger"]
    assert again.tables["CronJobDetail"] == data.tables["CronJobDetail"]


def test_org_without_jobs_keeps_its_document_shape() -> None:
    document = to_document(build_tables({"organization": {"name": "Plain"}}))
    assert "scheduled_jobs" not in document and "apex_classes" not in document


def test_seed_job_of_an_unknown_class_is_refused() -> None:
    seed = {**SEED, "apex_classes": []}
    with pytest.raises(SeedError, match="unknown apex class CleanupJob"):
        build_tables(seed)
