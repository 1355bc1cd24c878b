"""What checks ask of an org (the ``Verifier`` protocol of ``providers/base.py``): queries, Apex test runs
and a user's effective access.

- ``query_rows``: one REST (or Tooling) query page: ``totalSize`` and the records (``SELECT COUNT()``
  answers the count and no records). An invalid query is Salesforce's ``MALFORMED_QUERY`` /
  ``INVALID_FIELD`` ... as a ``ProviderError``.
- ``run_tests``: one class runs with Tooling ``runTestsSynchronous`` (``{"tests": [{"className": X}]}``,
  answered with the RunTestsResult: ``successes``, ``failures`` with ``message`` and ``stackTrace``);
  Salesforce runs synchronous tests of one class only, so more classes go to ``runTestsAsynchronous``
  (``{"classNames": "X,Y"}``, answered with the AsyncApexJob Id), then the job is polled
  (``SELECT Status FROM AsyncApexJob``; ``POLL_SECONDS`` apart, at most ``MAX_POLLS`` times) and its
  ``ApexTestResult`` rows are read. Shapes as @salesforce/apex-node and CumulusCI send and read them.
- ``access``: the user (one query), its assignments with the holder of each (profile-owned set, permission
  set, the aggregate set of a group: one query), the object's describe (unknown object or field: an error
  with a suggestion), and the ``ObjectPermissions`` / ``FieldPermissions`` of those sets (one query each).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from providers.base import Access, Grant, TestFailure, TestRun
from providers.salesforce.lookups import Directory
from providers.salesforce.soql import in_list, quote
from providers.salesforce.transport import Transport
from reconcile.errors import ProviderError, did_you_mean

POLL_SECONDS = 2.0
MAX_POLLS = 300
DONE = ("Completed", "Failed", "Aborted")
OBJECT_FLAGS = {"read": "PermissionsRead", "create": "PermissionsCreate", "edit": "PermissionsEdit"}
OBJECT_FLAGS |= {"delete": "PermissionsDelete"}
FIELD_FLAGS = {"read": "PermissionsRead", "edit": "PermissionsEdit"}


class Verification:
    """Evaluates what checks need in one org, through the provider's transport."""

    def __init__(self, transport: Transport, directory: Directory) -> None:
        self.transport = transport
        self.directory = directory

    def query_rows(self, soql: str, *, tooling: bool = False) -> tuple[int, list[dict[str, Any]]]:
        sf = self.transport.session.sf

        def first() -> Any:
            return sf.toolingexecute("query/", params={"q": soql}) if tooling else sf.query(soql)

        page = self.transport.call("GET tooling/query" if tooling else "GET query", first)
        records = [{k: v for k, v in record.items() if k != "attributes"} for record in page.get("records", [])]
        return int(page.get("totalSize", len(records))), records

    # -- Apex tests ------------------------------------------------------------------------------------

    def run_tests(self, classes: Sequence[str]) -> TestRun:
        if len(classes) == 1:
            return self._synchronous(classes[0])
        return self._asynchronous(classes)

    def _tooling_post(self, resource: str, body: dict[str, Any]) -> Any:
        sf = self.transport.session.sf
        return self.transport.call(
            f"POST tooling/{resource}", lambda: sf.toolingexecute(resource, method="POST", data=body), replay_safe=True
        )

    def _synchronous(self, class_name: str) -> TestRun:
        result = self._tooling_post("runTestsSynchronous", {"tests": [{"className": class_name}]})
        failures = tuple(
            TestFailure(
                str(f.get("name") or class_name),
                str(f.get("methodName") or ""),
                str(f.get("message") or ""),
                str(f.get("stackTrace") or ""),
            )
            for f in result.get("failures") or []
        )
        return TestRun(ran=int(result.get("numTestsRun", 0)), failures=failures)

    def _asynchronous(self, classes: Sequence[str]) -> TestRun:
        job_id = str(self._tooling_post("runTestsAsynchronous", {"classNames": ",".join(classes)}))
        status = ""
        for _ in range(MAX_POLLS):
            rows = self.transport.query_all(f"SELECT Id, Status FROM AsyncApexJob WHERE Id = {quote(job_id)}")
            status = str(rows[0]["Status"]) if rows else ""
            if status in DONE:
                break
            self.transport.sleep(POLL_SECONDS)
        else:
            raise ProviderError(
                f"the Apex test run {job_id} did not finish after {MAX_POLLS} polls", org=self.transport.org
            )
        soql = (
            "SELECT ApexClass.Name, MethodName, Outcome, Message, StackTrace FROM ApexTestResult "
            f"WHERE AsyncApexJobId = {quote(job_id)}"
        )
        results = self.transport.query_all(soql, tooling=True)
        failures = tuple(
            TestFailure(
                str((row.get("ApexClass") or {}).get("Name", "")),
                str(row.get("MethodName", "")),
                str(row.get("Message") or ""),
                str(row.get("StackTrace") or ""),
            )
            for row in results
            if row.get("Outcome") in ("Fail", "CompileFail")
        )
        if status != "Completed" and not failures:
            raise ProviderError(f"the Apex test run {job_id} ended {status}", org=self.transport.org)
        return TestRun(ran=len(results), failures=failures, asynchronous=True)

    # -- access ----------------------------------------------------------------------------------------

    def access(self, username: str, sobject: str, field: str | None) -> Access:
        self.directory.lookup_users([username])
        user = self.directory.user(username)
        if user is None:
            close = did_you_mean(username, self.directory.all_names("users"))
            raise ProviderError(f"unknown user '{username}'{close}", org=self.transport.org)
        self._check_names(sobject, field)
        holders = self._holders(user.record_id)
        if not holders:
            return Access(user_active=user.active)
        parents = in_list(sorted(holders))
        objects = self.transport.query_all(
            "SELECT ParentId, PermissionsRead, PermissionsCreate, PermissionsEdit, PermissionsDelete "
            f"FROM ObjectPermissions WHERE SobjectType = {quote(sobject)} AND ParentId IN {parents}"
        )
        object_grants = _grants(objects, holders, OBJECT_FLAGS)
        field_grants: tuple[Grant, ...] = ()
        if field is not None:
            rows = self.transport.query_all(
                "SELECT ParentId, PermissionsRead, PermissionsEdit FROM FieldPermissions "
                f"WHERE Field = {quote(f'{sobject}.{field}')} AND ParentId IN {parents}"
            )
            field_grants = _grants(rows, holders, FIELD_FLAGS)
        return Access(user_active=user.active, object_grants=object_grants, field_grants=field_grants)

    def _check_names(self, sobject: str, field: str | None) -> None:
        try:
            described = self.transport.rest("GET", f"sobjects/{sobject}/describe")
        except ProviderError as exc:
            if exc.code not in ("NOT_FOUND", "INVALID_TYPE"):
                raise
            raise ProviderError(f"unknown object '{sobject}'", org=self.transport.org, code=exc.code) from None
        names = [str(f["name"]) for f in described.get("fields", [])]
        if field is not None and field.casefold() not in {name.casefold() for name in names}:
            raise ProviderError(
                f"unknown field '{sobject}.{field}'{did_you_mean(field, names)}", org=self.transport.org
            )

    def _holders(self, user_id: str) -> dict[str, str]:
        """The user's permission sets (profile-owned, group aggregates included) by Id, each described."""
        rows = self.transport.query_all(
            "SELECT PermissionSetId, PermissionSet.Name, PermissionSet.IsOwnedByProfile, PermissionSet.Profile.Name, "
            f"PermissionSetGroup.DeveloperName FROM PermissionSetAssignment WHERE AssigneeId = {quote(user_id)}"
        )
        holders: dict[str, str] = {}
        for row in rows:
            ps = row.get("PermissionSet") or {}
            group = row.get("PermissionSetGroup") or {}
            if ps.get("IsOwnedByProfile"):
                holder = f"profile {(ps.get('Profile') or {}).get('Name', '')}"
            elif group:
                holder = f"permission set group {group.get('DeveloperName', '')}"
            else:
                holder = f"permission set {ps.get('Name', '')}"
            holders[str(row["PermissionSetId"])[:15]] = holder
        return holders


def _grants(rows: list[dict[str, Any]], holders: dict[str, str], flags: dict[str, str]) -> tuple[Grant, ...]:
    grants = []
    for row in rows:
        allows = frozenset(name for name, column in flags.items() if row.get(column))
        if allows:
            grants.append(Grant(holders.get(str(row["ParentId"])[:15], str(row["ParentId"])), allows))
    return tuple(sorted(grants, key=lambda grant: grant.holder))
