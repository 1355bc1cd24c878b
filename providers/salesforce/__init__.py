"""The Salesforce provider: simple-salesforce (REST, Tooling, Metadata SOAP, Apex SOAP) behind the
Provider protocol. ``connect(OrgConnection(...))`` returns a ``SalesforceProvider``."""

from __future__ import annotations

from providers.salesforce.provider import SalesforceProvider, connect
from providers.salesforce.session import OrgConnection

__all__ = ["OrgConnection", "SalesforceProvider", "connect"]
