"""The seam between the engine and an org: the Provider protocol every provider implements.

Contract (what a provider must and must not do):

- ``read`` and ``apply`` take whole batches of one kind, so a provider can use one query per kind and
  sObject Collections (200 records a call) or the Metadata API (10 components a call) for writes.
- ``read(kind, keys)`` returns the live resources among ``keys``; a key that does not exist in the org is
  simply absent from the result. A permission-set-grant key may be a wildcard ``Sales_Ops/*`` (or
  ``group:Sales_Bundle/*``): every non-profile-owned assignment of that permission set (group) is
  returned. Live resources carry the Salesforce record ids in ``ids``. A picklist read lists every value,
  inactive ones included.
- ``preflight(kind, desired)`` names what cannot work before anything is applied (unknown user,
  permission set, profile, object, field, record type or layout; a field picklist bound to a global
  value set). It uses what ``read`` learned and makes as few calls as it can.
- ``apply(kind, changes)`` returns one ``ChangeResult`` per change, in order. It never raises for one bad
  record in a batch; it raises ``ProviderError`` only when the whole org is unusable (auth, daily limit,
  transport after retries), and ``ApiLimitError`` when the daily API limit is spent.
- ``run_apex(script)`` executes anonymous Apex and returns the outcome; it never raises for a compile or
  runtime failure of the script.
- ``Verifier`` (optional) evaluates checks: queries, Apex test runs, a user's effective access.
- Credentials never appear in anything a provider returns or raises.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from reconcile.errors import Problem
from reconcile.model import Address, Change, ChangeResult, Kind, Resource

#: The longest anonymous Apex script Salesforce's executeAnonymous accepts, in characters.
APEX_MAX_CHARS = 32_000


@dataclass(frozen=True)
class OrgIdentity:
    org_id: str
    name: str
    is_sandbox: bool
    api_version: str
    instance_url: str = ""


@dataclass(frozen=True)
class ApexResult:
    """What executeAnonymous answered, debug log included. ``line``/``column`` are -1 when the org gave
    no position. The execution history records it whole (the ``apex`` object of a journal record)."""

    compiled: bool
    success: bool
    line: int = -1
    column: int = -1
    compile_problem: str = ""
    exception_message: str = ""
    exception_stack_trace: str = ""
    debug_log: str = ""

    @property
    def message(self) -> str:
        if not self.compiled:
            return f"compile error at line {self.line}, column {self.column}: {self.compile_problem}"
        if not self.success:
            return f"runtime exception: {self.exception_message}"
        return "ok"

    @property
    def located_message(self) -> str:
        """``message``, with the line and column of a runtime exception when the org gave them."""
        if self.compiled and not self.success and self.line > 0:
            return f"runtime exception at line {self.line}, column {self.column}: {self.exception_message}"
        return self.message

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


@dataclass
class ApiUsage:
    """API calls this provider made, by endpoint, and the org's daily limit as last reported."""

    calls: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    limit_used: int | None = None
    limit_max: int | None = None

    def count(self, endpoint: str) -> None:
        self.calls += 1
        self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1

    @property
    def remaining(self) -> int | None:
        if self.limit_used is None or self.limit_max is None:
            return None
        return self.limit_max - self.limit_used


@runtime_checkable
class Provider(Protocol):
    usage: ApiUsage

    @property
    def supports(self) -> frozenset[str]:
        """The names of the kinds this provider serves (``"picklist"`` ...); a plain attribute will do."""
        ...

    def identity(self) -> OrgIdentity: ...

    def read(self, kind: Kind, keys: Collection[str]) -> dict[Address, Resource]: ...

    def preflight(self, kind: Kind, desired: Sequence[Resource]) -> list[Problem]: ...

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]: ...

    def run_apex(self, script: str) -> ApexResult: ...

    def close(self) -> None: ...


@runtime_checkable
class Inventory(Protocol):
    """Optional: a provider that can list everything of a kind (``reconcile import``, ``diff --all``).

    ``inventory(kind)`` returns every live resource of ``kind`` keyed and shaped as ``read`` returns
    them, with the org's spelling of every name. It may leave out what cannot be listed cheaply (the
    Salesforce provider lists no standard value sets); callers ``read`` those by key. ``apex`` yields
    nothing. It raises ``ProviderError`` only when the org as a whole is unusable.
    """

    def inventory(self, kind: Kind) -> dict[Address, Resource]: ...


@dataclass(frozen=True)
class TestFailure:
    """One Apex test method that did not pass."""

    class_name: str
    method: str
    message: str
    stack_trace: str = ""


@dataclass(frozen=True)
class TestRun:
    """The outcome of running Apex test classes: how many methods ran, and those that failed."""

    ran: int
    failures: tuple[TestFailure, ...] = ()
    asynchronous: bool = False


@dataclass(frozen=True)
class Grant:
    """What one holder (``profile Sales User``, ``permission set Sales_Ops``, ``permission set group
    Sales_Bundle``) allows on an object (``read`` ``create`` ``edit`` ``delete``) or a field (``read``
    ``edit``)."""

    holder: str
    allows: frozenset[str]


@dataclass(frozen=True)
class Access:
    """A user's effective access to an object (and a field): the grants of the profile and of every
    permission set and group assigned that give anything on it."""

    user_active: bool
    object_grants: tuple[Grant, ...] = ()
    field_grants: tuple[Grant, ...] = ()


@runtime_checkable
class Verifier(Protocol):
    """Optional: a provider that can evaluate checks (``reconcile verify``). Every method raises
    ``ProviderError`` with Salesforce's errorCode and message when the org refuses (an invalid query, an
    unknown test class), and for an unknown user, object or field with a suggestion when one is close."""

    def query_rows(self, soql: str, *, tooling: bool = False) -> tuple[int, list[dict[str, Any]]]:
        """``(totalSize, records)`` of a query (``SELECT COUNT()`` gives the count and no records)."""
        ...

    def run_tests(self, classes: Sequence[str]) -> TestRun: ...

    def access(self, username: str, sobject: str, field: str | None) -> Access: ...
