"""``SalesforceProvider``: the Provider protocol (providers/base.py) over simple-salesforce.

One instance serves one org. It ties the kinds together and shares what they learn: ``read`` keeps the
users, permission sets, groups, profiles, record ids and Metadata records it saw, so ``preflight`` and
``apply`` of the same run make as few calls as possible. Every call goes through one ``Transport``
(usage accounting, re-auth, retries); ``usage`` is that transport's ``ApiUsage``.

simple-salesforce, zeep and requests errors never leave this package: they become ``ProviderError``
(``ApiLimitError`` for the daily limit) with the org, the address when one is known, Salesforce's
errorCode and message, and never a credential.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence

from providers.base import ApexResult, ApiUsage, OrgIdentity
from providers.salesforce.anonymous_apex import run_apex
from providers.salesforce.inventory import OrgInventory
from providers.salesforce.kinds.layout_assignment import Layouts
from providers.salesforce.kinds.permission_set_grant import Grants
from providers.salesforce.kinds.picklist import Picklists
from providers.salesforce.lookups import Directory
from providers.salesforce.schema import Schema
from providers.salesforce.session import Credentials, OrgConnection, OrgSession, open_session
from providers.salesforce.transport import Transport
from reconcile.errors import Problem, ProviderError
from reconcile.model import Address, ApexScript, Change, ChangeResult, Kind, Resource


class SalesforceProvider:
    """Reads and writes one org (see ``providers.base`` for the contract every method keeps)."""

    supports = frozenset({Kind.PICKLIST, Kind.LAYOUT_ASSIGNMENT, Kind.PERMISSION_SET_GRANT, Kind.APEX})

    def __init__(self, session: OrgSession, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session
        self.usage = ApiUsage()
        self.transport = Transport(session, self.usage, sleep)
        schema = Schema(self.transport)
        self.grants = Grants(self.transport, Directory(self.transport))
        self.layouts = Layouts(self.transport, schema)
        self.picklists = Picklists(self.transport, schema)
        self._inventory = OrgInventory(self.transport, schema, self.picklists)
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

    def read(self, kind: Kind, keys: Collection[str]) -> dict[Address, Resource]:
        """The live resources among ``keys`` (absent keys are left out); batched per kind."""
        if not keys or kind is Kind.APEX:
            return {}
        if kind is Kind.PERMISSION_SET_GRANT:
            return self.grants.read(keys)
        if kind is Kind.LAYOUT_ASSIGNMENT:
            return self.layouts.read(keys)
        return self.picklists.read(keys)

    def inventory(self, kind: Kind) -> dict[Address, Resource]:
        """Every live resource of ``kind`` in the org (see ``providers.salesforce.inventory``)."""
        return self._inventory.inventory(kind)

    def preflight(self, kind: Kind, desired: Sequence[Resource]) -> list[Problem]:
        """What cannot work, one Problem per cause, each with its address and a hint when one helps."""
        if not desired or kind is Kind.APEX:
            return []
        if kind is Kind.PERMISSION_SET_GRANT:
            return self.grants.preflight(desired)
        if kind is Kind.LAYOUT_ASSIGNMENT:
            return self.layouts.preflight(desired)
        return self.picklists.preflight(desired)

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]:
        """One result per change, in order; raises only when the org as a whole is unusable."""
        if not changes:
            return []
        if kind is Kind.PERMISSION_SET_GRANT:
            return self.grants.apply(changes)
        if kind is Kind.LAYOUT_ASSIGNMENT:
            return self.layouts.apply(changes)
        if kind is Kind.PICKLIST:
            return self.picklists.apply(changes)
        return [self._run_change(change) for change in changes]

    def run_apex(self, script: str) -> ApexResult:
        """Execute anonymous Apex; a compile or runtime failure is returned, not raised."""
        return run_apex(self.transport, self.identity().org_id, script)

    def close(self) -> None:
        """Release the HTTP sessions and run the connection's ``on_close`` (see ``connect``)."""
        self.session.close()

    def _run_change(self, change: Change) -> ChangeResult:
        script = change.after
        if not isinstance(script, ApexScript) or not script.body:
            return ChangeResult(address=change.address, ok=False, code="NO_SCRIPT", message="no script body")
        outcome = self.run_apex(script.body)
        return ChangeResult(
            address=change.address,
            ok=outcome.compiled and outcome.success,
            code="" if outcome.success else ("COMPILE_ERROR" if not outcome.compiled else "APEX_EXCEPTION"),
            message=outcome.message,
            resource=script,
        )


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
