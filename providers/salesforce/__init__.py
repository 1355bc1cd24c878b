"""The Salesforce provider: simple-salesforce (REST, Tooling, Metadata SOAP, Apex SOAP) behind the
Provider protocol. ``connect(OrgConnection(...))`` returns a ``SalesforceProvider``; ``Credentials`` are
for a session issued elsewhere (``connect(..., credentials=...)``). This package never starts an
emulator: ``reconcile.workspace`` does that for ``emulator = "..."`` orgs and connects with its token.
"""

from __future__ import annotations

from providers.salesforce.connection import Credentials, OrgConnection
from providers.salesforce.provider import SalesforceProvider, connect
from providers.salesforce.session import metadata_wsdl


def prepare() -> None:
    """Do once now what every connection of this process needs (parse the Metadata WSDL)."""
    metadata_wsdl()


__all__ = ["Credentials", "OrgConnection", "SalesforceProvider", "connect", "prepare"]
