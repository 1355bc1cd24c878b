"""``named_credential``: the endpoint URL of a named credential, and nothing else.

Address: ``named_credential:ERP`` (the credential's name, its Metadata API fullName). TOML:
``[[named_credential]] name = "ERP" url = "${var.erp_url}"``. Only the endpoint is managed: how the
credential authenticates (protocol, principal, username, password, tokens, certificates) belongs to the
admin who set it up, and no secret is ever read, written, stored or shown (the resource has no field
for one; the provider never asks the org for one).

A live credential carries its ``protocol`` (``NoAuthentication``, ``Password``, ``Oauth`` ...) so that
the plan can warn: an endpoint change of a credential that authenticates says that it may need
re-authenticating in Setup after apply (the stored login or token was given for the old endpoint). A
``[[manual_step]]`` can track that.

Ownership: the tool never creates or deletes a credential (a missing one is a preflight error: creating
one needs its authentication, which stays out of configuration). A credential leaving the configuration
is forgotten; the org keeps the endpoint it has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from reconcile.config.schema import Entry
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind, Skipped
from reconcile.kinds.remote_site import NAME_PATTERN, URL_PATTERN, ComponentName, Url
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

#: Protocols that hold no login: changing their endpoint needs no re-authentication.
NO_AUTHENTICATION = frozenset({"", "NoAuthentication"})


class NamedCredentialEntry(Entry):
    """``[[named_credential]]``: the endpoint URL of one named credential."""

    DESCRIPTION = (
        "The endpoint URL of a named credential. Only the URL is managed: authentication (and every secret) "
        "stays with the credential in the org and never appears in configuration, state or output."
    )
    KEY_DOCS = {
        "name": "The named credential's name (its API name); its address is `named_credential:NAME`.",
        "url": "The endpoint, e.g. `https://erp.example.com/api`; usually `${var.erp_url}` so that each org "
        "calls its own endpoint. Never put a password or token in it.",
    }
    EXAMPLES = {"name": "ERP", "url": "https://erp.example.com/api"}
    CONSTRAINTS = {"name": {"pattern": NAME_PATTERN.pattern}, "url": {"pattern": URL_PATTERN.pattern}}

    name: ComponentName
    url: Url


class NamedCredential(Resource):
    """A named credential's endpoint. ``protocol`` is how the live credential authenticates (empty in a
    declared one); it only words the plan and is never compared."""

    kind: Literal["named_credential"] = "named_credential"
    name: str
    url: str
    protocol: str = ""

    @property
    def key(self) -> str:
        return self.name


def needs_reauthentication(credential: NamedCredential) -> bool:
    return credential.protocol not in NO_AUTHENTICATION


def reauthentication_note(credential: NamedCredential) -> str:
    return (
        f"re-authenticate it after apply (it uses {credential.protocol} authentication, given for the old "
        "endpoint): Setup > Named Credentials > Edit"
    )


class NamedCredentialKind(ResourceKind[NamedCredentialEntry, NamedCredential]):
    name = "named_credential"
    entry = NamedCredentialEntry
    resource = NamedCredential
    noun = "named credentials"

    def expand(self, entry: NamedCredentialEntry, org: Expansion) -> list[NamedCredential]:
        return [NamedCredential(name=org.sub(entry.name), url=org.sub(entry.url))]

    def plan(
        self, desired: NamedCredential, live: NamedCredential | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        if live is None or live.url == desired.url:
            return None  # a missing credential is the provider's preflight error
        after = desired.model_copy(update={"ids": live.ids, "protocol": live.protocol})
        reason = "endpoint differs"
        if needs_reauthentication(live):
            reason += "; needs re-authentication after apply"
        return Change(address=desired.address, action=Action.UPDATE, before=live, after=after, reason=reason)

    def plan_removal(self, address: Address, live: NamedCredential | None, entry: StateEntry) -> Change:
        reason = "no longer declared: the credential keeps its endpoint, no longer managed"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before if isinstance(change.before, NamedCredential) else None
        after = change.after if isinstance(change.after, NamedCredential) else None
        if before is not None and after is not None:
            lines: list[DetailLine] = [("~", f"endpoint: {before.url} -> {after.url}")]
            if needs_reauthentication(before):
                lines.append((" ", "! " + reauthentication_note(before)))
            return lines
        if before is not None:
            return [(" ", f"endpoint: {before.url} (stays in the org, no longer managed)")]
        return []

    def comparable(self, resource: NamedCredential) -> Any:
        return {"url": resource.url}

    def compare(
        self, source: NamedCredential, target: NamedCredential, after: NamedCredential, names: tuple[str, str]
    ) -> Change | None:
        if source.url == target.url:
            return None
        after = after.model_copy(update={"protocol": target.protocol})
        reason = f"endpoint {source.url} in {names[0]}, {target.url} in {names[1]}"
        return Change(address=target.address, action=Action.UPDATE, before=target, after=after, reason=reason)

    def export(self, resources: Sequence[NamedCredential], org: str, suffix: str) -> Exported:
        """One entry per credential (name and endpoint only), sorted by name; one without an endpoint (its
        URL lives elsewhere, as in a credential of the newer kind) is left out."""
        ordered = sorted(resources, key=lambda c: c.name.casefold())
        entries: list[dict[str, Any]] = [{"name": c.name, "url": c.url, "orgs": [org]} for c in ordered if c.url]
        reason = "the credential has no endpoint URL the Metadata API reports"
        return entries, [Skipped(c.address, reason) for c in ordered if not c.url]
