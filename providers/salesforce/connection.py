"""What connecting to an org needs: where the org is and how to log in (``OrgConnection``, names of
secrets only), and what a login yields (``Credentials``, a live session).

An ``Authenticator`` turns an ``OrgConnection`` into ``Credentials``, given the HTTP session to log in
with. Its contract: every failure it can meet (a setting missing, an environment variable unset, a key
file unreadable, the login refused, the network down, the ``sf`` CLI failing) is raised as a
``ProviderError`` carrying the org, naming the setting to fix and saying what to do, and never holding a
credential value or chaining the original exception (whose text may hold one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests


@dataclass(frozen=True)
class OrgConnection:
    """How to reach one org. Only names of environment variables, files or CLI aliases: no secrets."""

    name: str
    api_version: str = "62.0"
    sf_alias: str | None = None
    instance_url: str | None = None
    auth_method: str | None = None
    auth: Mapping[str, str] = field(default_factory=dict)
    ca_cert: Path | None = None
    login_url: str = "https://login.salesforce.com"
    #: (connect, read) seconds for every HTTP request; a request that sends no timeout would wait for ever.
    timeouts: tuple[float, float] = (15.0, 300.0)


@dataclass(frozen=True)
class Credentials:
    """A live session: where the org is and the token to use. ``repr`` hides the token."""

    instance_url: str
    access_token: str = field(repr=False)
    api_version: str


Authenticator = Callable[[requests.Session], Credentials]
