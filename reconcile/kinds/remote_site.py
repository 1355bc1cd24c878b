"""``remote_site``: a remote site setting (the URLs Apex may call out to), its URL and flags.

Address: ``remote_site:ERP`` (the setting's name, its Metadata API fullName). TOML: ``[[remote_site]]
name = "ERP" url = "${var.erp_url}"``, ``active`` (default true) and ``disable_protocol_security``
(default false) optional. A ``url`` that is not ``http(s)://host...`` is a configuration error at its key
(after ``${var.NAME}`` substitution, the provider's preflight checks the same).

Ownership:
- missing: create; differing URL or flags: update;
- leaving the configuration: a site this tool created (state records ``created``) is deleted; one it
  only updated is forgotten (the org keeps it as it is, since others may call out through it); one
  already gone is forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Strict

from reconcile.config.schema import PLACEHOLDER, Bool, Entry
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

URL_PATTERN = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _url(value: str) -> str:
    if PLACEHOLDER not in value and not URL_PATTERN.match(value):
        raise ValueError(f"{value!r} must be an http(s) URL, e.g. https://erp.example.com")
    return value


def _name(value: str) -> str:
    if PLACEHOLDER not in value and not NAME_PATTERN.match(value):
        raise ValueError(f"{value!r} must begin with a letter and use only letters, digits and _, e.g. ERP_Staging")
    return value


Url = Annotated[str, Strict(), AfterValidator(_url)]
ComponentName = Annotated[str, Strict(), AfterValidator(_name)]


class RemoteSiteEntry(Entry):
    """``[[remote_site]]``: one remote site setting, its URL and flags."""

    DESCRIPTION = (
        "A remote site setting: a URL Apex callouts may reach. Created when missing; a site this tool created "
        "is deleted when its entry leaves the configuration, one it only updated is left in the org."
    )
    KEY_DOCS = {
        "name": "The remote site's name (its API name); its address is `remote_site:NAME`.",
        "url": "The site's URL, e.g. `https://erp.example.com`; usually `${var.erp_url}` so that each org "
        "points at its own endpoint.",
        "active": "`false` to keep the site but block callouts to it.",
        "disable_protocol_security": "`true` to allow calls from an https page to this http site.",
    }
    EXAMPLES = {"name": "ERP", "url": "https://erp.example.com", "active": True, "disable_protocol_security": False}
    CONSTRAINTS = {"name": {"pattern": NAME_PATTERN.pattern}, "url": {"pattern": URL_PATTERN.pattern}}

    name: ComponentName
    url: Url
    active: Bool = True
    disable_protocol_security: Bool = False


class RemoteSite(Resource):
    """A remote site setting (``ids``: ``site``, the component's id when the org reports it)."""

    kind: Literal["remote_site"] = "remote_site"
    name: str
    url: str
    active: bool = True
    disable_protocol_security: bool = False

    @property
    def key(self) -> str:
        return self.name


def _flags(site: RemoteSite) -> str:
    flags = ["active" if site.active else "inactive"]
    if site.disable_protocol_security:
        flags.append("protocol security disabled")
    return ", ".join(flags)


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def differences(before: RemoteSite, after: RemoteSite) -> list[str]:
    """What differs between two sites, as ``url A -> B`` texts."""
    found = []
    if before.url != after.url:
        found.append(f"url {before.url} -> {after.url}")
    if before.active != after.active:
        found.append(f"active {str(before.active).lower()} -> {str(after.active).lower()}")
    if before.disable_protocol_security != after.disable_protocol_security:
        was, now = str(before.disable_protocol_security).lower(), str(after.disable_protocol_security).lower()
        found.append(f"disable_protocol_security {was} -> {now}")
    return found


class RemoteSiteKind(ResourceKind[RemoteSiteEntry, RemoteSite]):
    name = "remote_site"
    entry = RemoteSiteEntry
    resource = RemoteSite
    noun = "remote sites"

    def expand(self, entry: RemoteSiteEntry, org: Expansion) -> list[RemoteSite]:
        return [
            RemoteSite(
                name=org.sub(entry.name),
                url=org.sub(entry.url),
                active=entry.active,
                disable_protocol_security=entry.disable_protocol_security,
            )
        ]

    def plan(
        self, desired: RemoteSite, live: RemoteSite | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        if live is None:
            return Change(address=desired.address, action=Action.CREATE, after=desired, reason="missing")
        changed = differences(live, desired)
        if not changed:
            return None
        after = desired.model_copy(update={"ids": live.ids})
        reason = ", ".join(changed)
        return Change(address=desired.address, action=Action.UPDATE, before=live, after=after, reason=reason)

    def plan_removal(self, address: Address, live: RemoteSite | None, entry: StateEntry) -> Change:
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="no longer in the org")
        if not entry.attributes.get("created"):
            reason = "no longer declared: the site stays in the org as it is (this tool did not create it)"
            return Change(address=address, action=Action.FORGET, before=live, reason=reason)
        return Change(address=address, action=Action.DELETE, before=live, reason="no longer declared: delete")

    def state_attributes(self, change: Change, previous: StateEntry | None) -> dict[str, Any]:
        created = change.action is Action.CREATE or bool(previous is not None and previous.attributes.get("created"))
        return {**super().state_attributes(change, previous), "created": created}

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before if isinstance(change.before, RemoteSite) else None
        after = change.after if isinstance(change.after, RemoteSite) else None
        if before is not None and after is not None:
            return [("~", text) for text in differences(before, after)]
        if after is not None:
            return [("+", f"url: {after.url} ({_flags(after)})")]
        if before is not None:
            symbol = "-" if change.action is Action.DELETE else " "
            return [(symbol, f"url: {before.url} ({_flags(before)})")]
        return []

    def diff_reason(self, source: RemoteSite, target: RemoteSite, names: tuple[str, str]) -> str:
        fields = ("url", "active", "disable_protocol_security")
        return "; ".join(
            f"{name} {_text(getattr(source, name))} in {names[0]}, {_text(getattr(target, name))} in {names[1]}"
            for name in fields
            if getattr(source, name) != getattr(target, name)
        )

    def export(self, resources: Sequence[RemoteSite], org: str, suffix: str) -> Exported:
        """One entry per site, sorted by name; default flags left out."""
        entries: list[dict[str, Any]] = []
        for site in sorted(resources, key=lambda s: s.name.casefold()):
            entry: dict[str, Any] = {"name": site.name, "url": site.url}
            if not site.active:
                entry["active"] = False
            if site.disable_protocol_security:
                entry["disable_protocol_security"] = True
            entries.append({**entry, "orgs": [org]})
        return entries, []
