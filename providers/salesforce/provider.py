"""``SalesforceProvider``: the Provider protocol (providers/base.py) over simple-salesforce.

One instance serves one org. It names no resource kind: it builds one handler of every kind in the
registry (``providers.salesforce.kinds``), all sharing one ``KindContext``, and dispatches ``read``,
``preflight``, ``apply`` and ``inventory`` to the handler of the kind asked for, by its name; ``supports``
is the registry's kind names. The context shares what the kinds learn: the users, permission sets,
groups, profiles, record ids and Metadata records that ``read`` saw, so ``preflight`` and ``apply`` of
the same run make as few calls as possible. ``query_rows``, ``run_tests`` and ``access`` evaluate checks
(the optional ``Verifier`` protocol; ``verification.py``). Every call goes through one ``Transport`` (usage
accounting, re-auth, retries); ``usage`` is that transport's ``ApiUsage``. Empty batches are answered
here, without a call.

simple-salesforce, zeep and requests errors never leave this package: they become ``ProviderError``
(``ApiLimitError`` for the daily limit) with the org, the address when one is known, Salesforce's
errorCode and message, and never a credential.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

from providers.base import Access, ApexResult, ApiUsage, OrgIdentity, TestRun
from providers.salesforce.anonymous_apex import run_apex
from providers.salesforce.connection import Credentials, OrgConnection
from providers.salesforce.kinds import KINDS
from providers.salesforce.kinds.base import KindContext, KindHandler
from providers.salesforce.login import open_session
from providers.salesforce.lookups import Directory
from providers.salesforce.schema import Schema
from providers.salesforce.session import OrgSession
from providers.salesforce.transport import Transport
from providers.salesforce.verification import Verification
from reconcile.errors import Problem, ProviderError
from reconcile.model import Address, Change, ChangeResult, Resource


class SalesforceProvider:
    """Reads and writes one org (see ``providers.base`` for the contract every method keeps)."""

    supports: frozenset[str] = frozenset(KINDS)

    def __init__(self, session: OrgSession, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session
        self.usage = ApiUsage()
        self.transport = Transport(session, self.usage, sleep)
        context = KindContext(self.transport, Schema(self.transport), Directory(self.transport), self.run_apex)
        self.context = context
        self.kinds: dict[str, KindHandler] = {name: make(context) for name, make in KINDS.items()}
        self.verification = Verification(self.transport, context.directory)
        self._identity: OrgIdentity | None = None

    @property
    def org(self) -> str:
        return self.session.org

    def identity(self) -> OrgIdentity:
        """The org's Id, name and sandbox flag (one query, then cached)."""
        if self._identity is None:
            records = self.transport.query_all("SELECT Id, Name, IsSandbox FROM Organization")
            if not records:
                raise ProviderError("the org returned no Organization record", org=self.org)
            record = records[0]
            self._identity = OrgIdentity(
                org_id=str(record["Id"]),
                name=str(record.get("Name") or ""),
                is_sandbox=bool(record.get("IsSandbox")),
                api_version=self.session.api_version,
                instance_url=self.session.credentials.instance_url,
            )
        return self._identity

    def read(self, kind: str, keys: Collection[str]) -> dict[Address, Resource]:
        """The live resources among ``keys`` (absent keys are left out); batched per kind."""
        return self._handler(kind).read(keys) if keys else {}

    def inventory(self, kind: str) -> dict[Address, Resource]:
        """Every live resource of ``kind`` in the org (see each kind's module); none of a kind it does
        not serve."""
        handler = self.kinds.get(kind)
        return handler.inventory() if handler is not None else {}

    def preflight(self, kind: str, desired: Sequence[Resource]) -> list[Problem]:
        """What cannot work, one Problem per cause, each with its address and a hint when one helps."""
        return self._handler(kind).preflight(desired) if desired else []

    def apply(self, kind: str, changes: Sequence[Change]) -> list[ChangeResult]:
        """One result per change, in order; raises only when the org as a whole is unusable."""
        return self._handler(kind).apply(changes) if changes else []

    def run_apex(self, script: str) -> ApexResult:
        """Execute anonymous Apex; a compile or runtime failure is returned, not raised."""
        return run_apex(self.transport, self.identity().org_id, script)

    def query_rows(self, soql: str, *, tooling: bool = False) -> tuple[int, list[dict[str, Any]]]:
        """A check's query: ``totalSize`` and the records (see ``verification.py``)."""
        return self.verification.query_rows(soql, tooling=tooling)

    def run_tests(self, classes: Sequence[str]) -> TestRun:
        """Run Apex test classes and wait for them (see ``verification.py``)."""
        return self.verification.run_tests(classes)

    def access(self, username: str, sobject: str, field: str | None) -> Access:
        """A user's effective access to an object or field (see ``verification.py``)."""
        return self.verification.access(username, sobject, field)

    def close(self) -> None:
        """Release the HTTP sessions and run the connection's ``on_close`` (see ``connect``)."""
        self.session.close()

    def _handler(self, kind: str) -> KindHandler:
        handler = self.kinds.get(kind)
        if handler is None:
            raise ProviderError(f"the Salesforce provider does not serve {kind!r} resources", org=self.org)
        return handler


def connect(
    conn: OrgConnection,
    *,
    sleep: Callable[[float], None] = time.sleep,
    credentials: Credentials | None = None,
    on_close: Callable[[], None] | None = None,
) -> SalesforceProvider:
    """Open a session to the org ``conn`` names and return its provider. ``sleep`` is the backoff wait.

    ``credentials`` is a session issued elsewhere (an embedded emulator's token), used instead of the
    sources ``conn`` names; ``on_close`` runs once when the provider is closed (it stops that emulator).
    """
    return SalesforceProvider(open_session(conn, credentials=credentials, on_close=on_close), sleep=sleep)
