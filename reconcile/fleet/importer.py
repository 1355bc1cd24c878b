"""Import: an org's live configuration written as configuration entries (TOML), ready to adopt.

``import_org`` lists everything of the chosen kinds in one org (the provider's ``inventory``) and
``build_entries`` turns resources into tidy entries, each limited to that org (``orgs = ["X"]``):

- ``[[picklist]]``: one per field or value set, its active values in org order (a value whose label
  differs from its name as ``{ name, label }``) and its ``default``. Inactive values are left out: the
  default ``additive`` mode leaves them inactive. A set with no active value cannot be declared.
- ``[[layout_assignment]]``: one per (object, record type, layout) with every profile that sees it.
- ``[[permission_set_grant]]``: one per permission set (or group) and expiry date, ``users`` sorted and
  written without the org's ``username_suffix``. A username that does not end with the suffix cannot be
  written (expansion would append the suffix to it) and is left out.
- No ``[[apex]]``: scripts are actions, not something an org holds.

Entries are sorted (by target, by object/record type/layout, by permission set) so importing twice
writes the same file. Addresses the configuration already declares for the org are left out, so the
file can be added to the configuration as it is: ``validate`` accepts it and ``plan`` shows no changes
for that org. Everything left out is reported with its reason, never silently dropped.

Standard value sets cannot be listed (see ``providers.salesforce.inventory``): those named by any
entry of the configuration, for any org, are read by name and imported with the rest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import tomli_w

from providers.base import Inventory, Provider
from reconcile.config.expand import expand
from reconcile.config.loader import Config
from reconcile.config.schema import PLACEHOLDER
from reconcile.errors import ConfigError, ProviderError
from reconcile.model import (
    KIND_ORDER,
    Address,
    Kind,
    LayoutAssignment,
    PermissionSetGrant,
    Picklist,
    Resource,
)

#: The kinds an org can be asked for, in the order entries are written.
IMPORTABLE: tuple[Kind, ...] = tuple(kind for kind in KIND_ORDER if kind is not Kind.APEX)


@dataclass(frozen=True)
class Skipped:
    """A live resource that was not written, and why."""

    address: Address
    reason: str


@dataclass(frozen=True)
class Entries:
    """Configuration entries by section (``picklist``, ...) and the resources left out."""

    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()

    @property
    def count(self) -> int:
        return sum(len(entries) for entries in self.sections.values())

    def toml(self, header: Sequence[str] = ()) -> str:
        """The entries as TOML (tomli-w), after ``header`` lines written as comments."""
        comments = "".join(f"# {line}\n" for line in header)
        body = tomli_w.dumps({name: entries for name, entries in self.sections.items() if entries})
        return comments + ("\n" if comments and body else "") + body


@dataclass(frozen=True)
class ImportResult:
    """What ``import_org`` read and wrote: the entries and the org's identity for the file header."""

    org: str
    org_id: str
    org_name: str
    entries: Entries
    read: int


def parse_kinds(names: Iterable[str]) -> tuple[Kind, ...]:
    """``--kind`` values as kinds in apply order (all importable kinds when none); unknown kinds and
    ``apex`` are a ``ConfigError``."""
    kinds: set[Kind] = set()
    for name in names:
        try:
            kind = Kind(name)
        except ValueError:
            raise ConfigError(f"unknown kind '{name}' (kinds: {', '.join(k.value for k in IMPORTABLE)})") from None
        if kind not in IMPORTABLE:
            raise ConfigError("apex scripts are not read from orgs: choose picklist, layout_assignment or "
                              "permission_set_grant")
        kinds.add(kind)
    return tuple(kind for kind in IMPORTABLE if not kinds or kind in kinds)


def standard_value_sets(config: Config) -> list[str]:
    """``svs:NAME`` keys declared by any entry, for any org (the only standard value sets read)."""
    keys = {address.key for org in config.orgs for address in expand(config, org).resources
            if address.kind is Kind.PICKLIST and address.key.startswith("svs:")}
    return sorted(keys)


def read_everything(provider: Provider, kind: Kind, known: Collection[str] = ()) -> dict[Address, Resource]:
    """Every live resource of ``kind`` (the provider's inventory) plus those among ``known`` keys."""
    if not isinstance(provider, Inventory):
        raise ProviderError(f"this org's provider cannot list every {kind.value}")
    found = dict(provider.inventory(kind))
    if known:
        found.update(provider.read(kind, sorted(known)))
    return dict(sorted(found.items()))


def import_org(config: Config, org: str, provider: Provider, kinds: Sequence[Kind]) -> ImportResult:
    """Read ``org`` and build its entries; addresses the config already declares for it are skipped."""
    identity = provider.identity()
    live: dict[Address, Resource] = {}
    for kind in kinds:
        known = standard_value_sets(config) if kind is Kind.PICKLIST else ()
        live.update(read_everything(provider, kind, known))
    declared = expand(config, org).resources
    fresh = [resource for address, resource in live.items() if address not in declared]
    entries = build_entries(fresh, org, config.orgs[org].username_suffix)
    already = tuple(Skipped(address, f"already declared for {org} by the configuration")
                    for address in live if address in declared)
    entries = Entries(entries.sections, already + entries.skipped)
    return ImportResult(org=org, org_id=identity.org_id, org_name=identity.name, entries=entries, read=len(live))


def build_entries(resources: Iterable[Resource], org: str, suffix: str) -> Entries:
    """Entries limited to ``org`` declaring ``resources`` (usernames written without ``suffix``)."""
    items = list(resources)
    skipped = [Skipped(r.address, "a name holds '${', which configuration reads as a placeholder")
               for r in items if PLACEHOLDER in r.key or PLACEHOLDER in _names(r)]
    unusable = {item.address for item in skipped}
    usable = [r for r in items if r.address not in unusable]
    picklists, picklist_skips = _picklist_entries([r for r in usable if isinstance(r, Picklist)], org)
    layouts, layout_skips = _layout_entries([r for r in usable if isinstance(r, LayoutAssignment)], org)
    grants, grant_skips = _grant_entries([r for r in usable if isinstance(r, PermissionSetGrant)], org, suffix)
    sections = {"picklist": picklists, "layout_assignment": layouts, "permission_set_grant": grants}
    return Entries({k: v for k, v in sections.items() if v},
                   tuple(skipped + picklist_skips + layout_skips + grant_skips))


def _names(resource: Resource) -> str:
    if isinstance(resource, Picklist):
        return " ".join(f"{v.name} {v.label}" for v in resource.values)
    if isinstance(resource, LayoutAssignment):
        return resource.layout
    return ""


# -- picklists ---------------------------------------------------------------------------------------

_TARGET_ORDER = {"field": 0, "global_value_set": 1, "standard_value_set": 2}


def _picklist_entries(picklists: list[Picklist], org: str) -> tuple[list[dict[str, Any]], list[Skipped]]:
    entries: list[dict[str, Any]] = []
    skipped: list[Skipped] = []
    for picklist in sorted(picklists, key=lambda p: (_TARGET_ORDER[p.target_type], p.target_name.casefold())):
        active = [value for value in picklist.values if value.active]
        if not active:
            skipped.append(Skipped(picklist.address, "it has no active value"))
            continue
        entry: dict[str, Any] = {picklist.target_type: picklist.target_name}
        entry["values"] = [v.name if v.label == v.name else {"name": v.name, "label": v.label} for v in active]
        default = next((v.name for v in active if v.default), None)
        if default is not None:
            entry["default"] = default
        if picklist.mode == "exact":
            entry["mode"] = "exact"
        entry["orgs"] = [org]
        entries.append(entry)
    return entries, skipped


# -- layout assignments ------------------------------------------------------------------------------


def _layout_entries(assignments: list[LayoutAssignment], org: str) -> tuple[list[dict[str, Any]], list[Skipped]]:
    skipped = [Skipped(a.address, "a profile name holding '/' cannot be written in a layout_assignment entry")
               for a in assignments if "/" in a.profile]
    groups: dict[tuple[str, str, str], list[str]] = {}
    for item in assignments:
        if "/" not in item.profile:
            groups.setdefault((item.object, item.record_type, item.layout), []).append(item.profile)
    entries: list[dict[str, Any]] = []
    for (object_name, record_type, layout), profiles in sorted(groups.items(), key=_casefolded_key):
        entry: dict[str, Any] = {"profiles": sorted(profiles, key=str.casefold), "object": object_name}
        if record_type:
            entry["record_type"] = record_type
        entry.update({"layout": layout, "orgs": [org]})
        entries.append(entry)
    return entries, skipped


def _casefolded_key(item: tuple[tuple[str, str, str], list[str]]) -> tuple[str, ...]:
    return tuple(part.casefold() for part in item[0])


# -- permission set grants ---------------------------------------------------------------------------


def _grant_entries(
    grants: list[PermissionSetGrant], org: str, suffix: str
) -> tuple[list[dict[str, Any]], list[Skipped]]:
    skipped: list[Skipped] = []
    groups: dict[tuple[str, date | None], list[str]] = {}
    for grant in grants:
        user = strip_suffix(grant.username, suffix)
        if user is None:
            skipped.append(Skipped(grant.address, f"the username does not end with the org's suffix {suffix!r}"))
            continue
        groups.setdefault((grant.assignable, grant.expires), []).append(user)
    entries: list[dict[str, Any]] = []
    for (assignable, expires), users in sorted(groups.items(), key=_grant_order):
        entry: dict[str, Any] = ({"permission_set_group": assignable.removeprefix("group:")}
                                 if assignable.startswith("group:") else {"permission_set": assignable})
        entry["users"] = sorted(users, key=str.casefold)
        if expires is not None:
            entry["expires"] = expires
        entry["orgs"] = [org]
        entries.append(entry)
    return entries, skipped


def _grant_order(item: tuple[tuple[str, date | None], list[str]]) -> tuple[bool, str, date]:
    (assignable, expires), _ = item
    return assignable.startswith("group:"), assignable.casefold(), expires or date.max


def strip_suffix(username: str, suffix: str) -> str | None:
    """``alice@acme.com.uat`` without ``.uat``; None when the username does not carry the suffix."""
    if not suffix:
        return username
    if not username.casefold().endswith(suffix.casefold()) or len(username) == len(suffix):
        return None
    return username[: -len(suffix)]
