"""The ``remote_site`` kind: Metadata API ``RemoteSiteSetting`` components.

Read: ``readMetadata`` of the declared names, 10 a call (``providers.salesforce.components``): an unknown
name comes back nil and is absent. Names compare case-insensitively, as Salesforce compares them; a
resource is keyed as asked.

Write: creates and updates are one ``upsertMetadata`` of whole components (``url``, ``isActive``,
``disableProtocolSecurity``; the ``description`` a live site has is kept), 10 a call; deletes one
``deleteMetadata``, 10 names a call; ``forget`` touches nothing. Both are replay-safe.

Preflight: a URL that is not ``http(s)://host...`` once variables are substituted is an error naming the
site (the org would refuse it).

Inventory: one ``listMetadata`` and ``readMetadata`` of every listed name, 10 a call.

Seed (snapshots): the ``remote_sites`` section, every site the org lists: one ``listMetadata``
and ``readMetadata`` of the sites not read before, 10 a call.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from providers.salesforce import components
from providers.salesforce.kinds.base import KindContext
from reconcile.errors import Problem
from reconcile.kinds.remote_site import URL_PATTERN, RemoteSite
from reconcile.model import Action, Address, Change, ChangeResult, Resource

METADATA_TYPE = "RemoteSiteSetting"


def _resource(name: str, component: Any) -> RemoteSite:
    return RemoteSite(
        name=name,
        url=str(component.url or ""),
        active=component.isActive in (True, "true"),
        disable_protocol_security=component.disableProtocolSecurity in (True, "true"),
    )


class RemoteSiteHandler:
    """Reads, checks, writes and lists ``remote_site`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        #: fullName (casefolded) -> the live component, for every name read
        self.live: dict[str, Any] = {}

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        return components.read_resources(self.transport, METADATA_TYPE, "remote_site", keys, self.live, _resource)

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        return [
            Problem(f"remote site {d.name}: {d.url!r} is not an http(s) URL", address=str(d.address))
            for d in desired
            if isinstance(d, RemoteSite) and not URL_PATTERN.match(d.url)
        ]

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        writes: dict[int, RemoteSite] = {}
        deletes: dict[int, str] = {}
        for index, change in enumerate(changes):
            if change.action is Action.FORGET:
                results[index] = ChangeResult(address=change.address, ok=True, message="no longer managed")
            elif change.action is Action.DELETE:
                deletes[index] = change.address.key
            elif isinstance(change.after, RemoteSite):
                writes[index] = change.after
            else:
                results[index] = ChangeResult(address=change.address, ok=False, code="UNSUPPORTED", message="")
        if writes:
            built = [self._component(site) for site in writes.values()]
            saved = components.save(self.transport, "upsertMetadata", built)
            for (index, site), outcome in zip(writes.items(), saved, strict=True):
                results[index] = self._written(changes[index], site, outcome)
        if deletes:
            outcomes = components.delete(self.transport, METADATA_TYPE, list(deletes.values()))
            for index, outcome in zip(deletes, outcomes, strict=True):
                results[index] = _deleted(changes[index], outcome)
        return [results[i] for i in range(len(changes))]

    def inventory(self) -> dict[Address, Resource]:
        return components.inventory(self.transport, METADATA_TYPE, "remote_site", _resource)

    def seed(self) -> dict[str, Any]:
        """The ``remote_sites`` section: every site the org lists."""
        sites = []
        for component in components.list_all(self.transport, METADATA_TYPE, self.live).values():
            entry: dict[str, Any] = {
                "name": str(component.fullName),
                "url": str(component.url or ""),
                "active": component.isActive in (True, "true"),
            }
            if component.disableProtocolSecurity in (True, "true"):
                entry["disable_protocol_security"] = True
            if getattr(component, "description", None):
                entry["description"] = str(component.description)
            sites.append(entry)
        return {"remote_sites": sorted(sites, key=lambda e: str(e["name"]).casefold())}

    def _component(self, site: RemoteSite) -> Any:
        live = self.live.get(site.name.casefold())
        return self.transport.metadata_type(METADATA_TYPE)(
            fullName=site.name,
            description=getattr(live, "description", None),
            disableProtocolSecurity=site.disable_protocol_security,
            isActive=site.active,
            url=site.url,
        )

    def _written(self, change: Change, site: RemoteSite, outcome: components.Outcome) -> ChangeResult:
        if not outcome.ok:
            return ChangeResult(address=change.address, ok=False, code=outcome.code, message=outcome.message)
        self.live[site.name.casefold()] = self._component(site)
        message = "created" if change.action is Action.CREATE else "updated"
        return ChangeResult(address=change.address, ok=True, message=message, resource=site)


def _deleted(change: Change, outcome: components.Outcome) -> ChangeResult:
    if not outcome.ok:
        return ChangeResult(address=change.address, ok=False, code=outcome.code, message=outcome.message)
    return ChangeResult(address=change.address, ok=True, message="deleted")
