"""What verification found: plain frozen data, rendered by ``reconcile/render/verify.py`` and journaled.

A ``CheckResult`` is one check in one org: ``passed`` (the assertion holds), ``failed`` (it does not),
``error`` (it could not run: an invalid query, an unknown user, an org that cannot be reached) or
``skipped`` (a check or manual step it waits for did not pass). Only ``passed`` counts as verified:
``VerifyReport.passed`` is False as soon as one check of one org is anything else.
"""

from __future__ import annotations

from enum import StrEnum

from reconcile.model import Frozen


class CheckStatus(StrEnum):
    passed = "pass"
    failed = "fail"
    error = "error"
    skipped = "skipped"


class CheckResult(Frozen):
    """One check in one org: ``summary`` says why in one line; ``details`` lists test failures (class,
    method, message, stack) or the grants that give access."""

    name: str
    org: str
    type: str
    status: CheckStatus
    summary: str
    details: tuple[str, ...] = ()
    location: str = ""

    @property
    def passed(self) -> bool:
        return self.status is CheckStatus.passed


class OrgChecks(Frozen):
    """The checks of one org, in the order they ran; ``error`` when the org could not be reached."""

    org: str
    results: tuple[CheckResult, ...] = ()
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and all(result.passed for result in self.results)


class VerifyReport(Frozen):
    """Every selected org's checks, orgs sorted by name."""

    orgs: tuple[OrgChecks, ...] = ()

    @property
    def passed(self) -> bool:
        return all(org.passed for org in self.orgs)

    @property
    def ran(self) -> bool:
        """Whether any org had a check to run (or could not be reached to run them)."""
        return any(org.results or org.error for org in self.orgs)

    @property
    def check_names(self) -> tuple[str, ...]:
        """Every check that ran in some org, in first-seen order (the rows of the matrix)."""
        return tuple(dict.fromkeys(result.name for org in self.orgs for result in org.results))

    def result(self, org: str, name: str) -> CheckResult | None:
        for org_checks in self.orgs:
            if org_checks.org == org:
                return next((r for r in org_checks.results if r.name == name), None)
        return None

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(result for org in self.orgs for result in org.results if not result.passed)
