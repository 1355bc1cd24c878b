"""The ``named_credential`` kind: the ``endpoint`` of Metadata API ``NamedCredential`` components.

Read: ``readMetadata`` of the declared names, 10 a call. Only ``fullName``, ``endpoint`` and ``protocol``
become the resource. Salesforce does not return a credential's secrets (password, tokens) on read; the
provider never sends one either: before a component is written back its secret elements are cleared
(``SECRET_ELEMENTS``; zeep then leaves them out), so the org keeps the ones it has.

Write: ``updateMetadata`` of the whole component read, with only ``endpoint`` changed, 10 a call
(replay-safe). The tool never creates or deletes a credential; ``forget`` touches nothing.

Preflight: a credential of the newer kind (``namedCredentialType`` other than ``Legacy``: its URL is a
``namedCredentialParameters`` entry) is an error naming it; a declared credential that ``read`` did not
find is an error naming it, with the closest name the org has as a hint (one ``listMetadata``, on that
error path only). A URL that is not ``http(s)://host...`` once variables are substituted is an error
too.

Inventory: one ``listMetadata`` and ``readMetadata`` of every listed name, 10 a call.

Seed (snapshots): the ``named_credentials`` section, every credential the org lists (one ``listMetadata``
and ``readMetadata`` of the ones not read before, 10 a call):
name, label, endpoint, protocol, principal type and ``namedCredentialType``. No secret (the org does not
return them) and no ``username`` either: it is a login to the other system, which a plan never reads.

Not settled by public sources: whether an ``updateMetadata`` of a credential that leaves out its
password keeps the stored one (the Metadata API reference says the password is not retrieved; the
emulator keeps it). A credential of the newer kind (``namedCredentialType``, URL in
``namedCredentialParameters``) reports no ``endpoint`` and is read with an empty URL.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from providers.salesforce import components
from providers.salesforce.kinds.base import KindContext, suggestion
from reconcile.errors import Problem
from reconcile.kinds.named_credential import NamedCredential
from reconcile.kinds.remote_site import URL_PATTERN
from reconcile.model import Action, Address, Change, ChangeResult, Resource

METADATA_TYPE = "NamedCredential"
SECRET_ELEMENTS = ("password", "oauthToken", "oauthRefreshToken", "awsAccessSecret")
#: What a snapshot keeps of a credential: (seed key, component element); nothing secret, no login.
SEED_ELEMENTS = (
    ("label", "label"),
    ("endpoint", "endpoint"),
    ("protocol", "protocol"),
    ("principal_type", "principalType"),
    ("type", "namedCredentialType"),
)


def _resource(name: str, component: Any) -> NamedCredential:
    return NamedCredential(
        name=name, url=str(component.endpoint or ""), protocol=str(getattr(component, "protocol", "") or "")
    )


class NamedCredentialHandler:
    """Reads, checks, writes and lists ``named_credential`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.live: dict[str, Any] = {}

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        return components.read_resources(self.transport, METADATA_TYPE, "named_credential", keys, self.live, _resource)

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, NamedCredential)]
        problems = [
            Problem(f"named credential {d.name}: {d.url!r} is not an http(s) URL", address=str(d.address))
            for d in wanted
            if not URL_PATTERN.match(d.url)
        ]
        unread = [d.name for d in wanted if d.name.casefold() not in self.live]
        if unread:
            self.live.update(components.read(self.transport, METADATA_TYPE, unread))
        for d in wanted:
            kind = str(getattr(self.live.get(d.name.casefold()), "namedCredentialType", None) or "Legacy")
            if kind != "Legacy":
                message = f"named credential {d.name} is of the {kind} kind: its URL is a parameter, not an endpoint"
                problems.append(
                    Problem(
                        message, hint="set its URL in Setup; this tool sets legacy endpoints", address=str(d.address)
                    )
                )
        missing = [d for d in wanted if d.name.casefold() not in self.live]
        if missing:
            query = self.transport.metadata_type("ListMetadataQuery")(type=METADATA_TYPE)
            answer = self.transport.metadata("listMetadata", [query], self.transport.session.api_version)
            names = [str(item.fullName) for item in (answer or [])]
            for d in missing:
                message = f"unknown named credential {d.name} (the tool only sets the endpoint of one that exists)"
                problems.append(Problem(message, hint=suggestion(d.name, names), address=str(d.address)))
        return problems

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        writes: dict[int, Any] = {}
        for index, change in enumerate(changes):
            after = change.after
            if change.action is Action.FORGET:
                results[index] = ChangeResult(address=change.address, ok=True, message="no longer managed")
            elif change.action is not Action.UPDATE or not isinstance(after, NamedCredential):
                message = "the tool only sets the endpoint of an existing named credential"
                results[index] = ChangeResult(address=change.address, ok=False, code="UNSUPPORTED", message=message)
            else:
                writes[index] = after
        unread = [after.name for after in writes.values() if after.name.casefold() not in self.live]
        if unread:
            self.live.update(components.read(self.transport, METADATA_TYPE, unread))
        ready = {i: after for i, after in writes.items() if after.name.casefold() in self.live}
        for index in writes.keys() - ready.keys():
            message = f"no named credential {writes[index].name} in the org"
            results[index] = ChangeResult(address=changes[index].address, ok=False, code="NOT_FOUND", message=message)
        built = [self._component(after) for after in ready.values()]
        outcomes = components.save(self.transport, "updateMetadata", built)
        for (index, after), outcome in zip(ready.items(), outcomes, strict=True):
            address = changes[index].address
            if outcome.ok:
                results[index] = ChangeResult(address=address, ok=True, message="endpoint set", resource=after)
            else:
                results[index] = ChangeResult(address=address, ok=False, code=outcome.code, message=outcome.message)
        return [results[i] for i in range(len(changes))]

    def inventory(self) -> dict[Address, Resource]:
        return components.inventory(self.transport, METADATA_TYPE, "named_credential", _resource)

    def seed(self) -> dict[str, Any]:
        """The ``named_credentials`` section: every credential the org lists, without its login."""
        credentials = []
        for component in components.list_all(self.transport, METADATA_TYPE, self.live).values():
            entry: dict[str, Any] = {"name": str(component.fullName)}
            for key, element in SEED_ELEMENTS:
                value = getattr(component, element, None)
                if value is not None and value != "":
                    entry[key] = str(value)
            credentials.append(entry)
        return {"named_credentials": sorted(credentials, key=lambda e: str(e["name"]).casefold())}

    def _component(self, after: NamedCredential) -> Any:
        component = self.live[after.name.casefold()]
        for element in SECRET_ELEMENTS:
            setattr(component, element, None)
        component.endpoint = after.url
        return component
