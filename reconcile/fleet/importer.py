"""Import: an org's live configuration written as configuration entries (TOML), ready to adopt.

``import_org`` lists everything of the chosen kinds in one org (the provider's ``inventory``) and
``build_entries`` turns resources into tidy entries, each limited to that org (``orgs = ["X"]``): each
kind writes its own (``ResourceKind.export``: one ``[[picklist]]`` per field with its active values, one
``[[layout_assignment]]`` per layout with every profile that sees it, one ``[[permission_set_grant]]``
per permission set with its users written without the org's ``username_suffix`` ...). Kinds that are
actions (``[[apex]]``) are not imported: an org does not hold them.

Each kind sorts its entries so importing twice writes the same file. Addresses the configuration already
declares for the org are left out, so the
file can be added to the configuration as it is: ``validate`` accepts it and ``plan`` shows no changes
for that org. Everything left out is reported with its reason, never silently dropped.

What an org cannot list (standard value sets: ``ResourceKind.unlisted_keys``) is read by name when any
entry of the configuration, for any org, declares it, and imported with the rest.

The TOML is tomli-w's, laid out for people: an array of scalars that fits on one line of ``LINE_WIDTH``
characters is written on it (``orgs = ["qa"]``, ``profiles = ["A", "B"]``); longer arrays, and arrays
holding inline tables (picklist values with labels), keep tomli-w's one item per line.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from providers.base import Inventory, Provider
from reconcile import kinds
from reconcile.config.expand import expand
from reconcile.config.loader import Config
from reconcile.config.schema import PLACEHOLDER
from reconcile.errors import ConfigError, ProviderError, did_you_mean
from reconcile.kinds.base import Skipped
from reconcile.model import Address, Kind, Resource, canonical_json

#: The longest line an array of scalars is joined onto.
LINE_WIDTH = 100
#: An array tomli-w wrote at the top level of a table, one item per line, whose items are all scalars: the
#: key line ends in ``= [``, each item is indented once and is no nested array or inline table (those
#: start with ``[`` or ``{``; a string never spans lines), and ``]`` closes it at the start of a line.
_SCALAR_ARRAY = re.compile(r"^(?P<key>.+ = )\[\n(?P<items>(?:    [^\s\[{].*,\n)+)\]$", re.MULTILINE)


def join_short_arrays(toml: str) -> str:
    """``toml`` (as tomli-w writes it) with every array of scalars that fits in ``LINE_WIDTH`` on one line."""

    def join(match: re.Match[str]) -> str:
        # split on newlines only: a string may hold other line separators (U+0085, U+2028) as they are
        items = (line.removeprefix("    ").removesuffix(",") for line in match["items"].rstrip("\n").split("\n"))
        line = f"{match['key']}[{', '.join(items)}]"
        return line if len(line) <= LINE_WIDTH else match[0]

    return _SCALAR_ARRAY.sub(join, toml)


def importable() -> tuple[Kind, ...]:
    """The kinds an org can be asked for, in the order entries are written."""
    return tuple(kind.name for kind in kinds.readable())


@dataclass(frozen=True)
class Entries:
    """Configuration entries by section (``picklist``, ...) and the resources left out."""

    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: tuple[Skipped, ...] = ()

    @property
    def count(self) -> int:
        return sum(len(entries) for entries in self.sections.values())

    def toml(self, header: Sequence[str] = ()) -> str:
        """The entries as TOML (see the module docstring), after ``header`` lines written as comments."""
        comments = "".join(f"# {line}\n" for line in header)
        body = join_short_arrays(tomli_w.dumps({name: entries for name, entries in self.sections.items() if entries}))
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
    chosen: set[Kind] = set()
    readable = importable()
    for name in names:
        if name not in kinds.names():
            raise ConfigError(f"unknown kind '{name}'{did_you_mean(name, readable)} (kinds: {', '.join(readable)})")
        if name not in readable:
            noun = kinds.get(name).noun or f"{name} resources"
            raise ConfigError(f"{noun} are not read from orgs: choose {_choices(readable)}")
        chosen.add(name)
    return tuple(kind for kind in readable if not chosen or kind in chosen)


def _choices(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def unlisted_keys(config: Config, kind: Kind) -> list[str]:
    """Keys of ``kind`` declared by any entry, for any org, that an org cannot list (standard value sets)."""
    declared = {address.key for org in config.orgs for address in expand(config, org).resources if address.kind == kind}
    return sorted(kinds.get(kind).unlisted_keys(declared))


def read_everything(provider: Provider, kind: Kind, known: Collection[str] = ()) -> dict[Address, Resource]:
    """Every live resource of ``kind`` (the provider's inventory) plus those among ``known`` keys."""
    if not isinstance(provider, Inventory):
        raise ProviderError(f"this org's provider cannot list every {kind}")
    found = dict(provider.inventory(kind))
    if known:
        found.update(provider.read(kind, sorted(known)))
    return dict(sorted(found.items()))


def import_org(config: Config, org: str, provider: Provider, kinds: Sequence[Kind]) -> ImportResult:
    """Read ``org`` and build its entries; addresses the config already declares for it are skipped."""
    identity = provider.identity()
    live: dict[Address, Resource] = {}
    for kind in kinds:
        live.update(read_everything(provider, kind, unlisted_keys(config, kind)))
    declared = expand(config, org).resources
    fresh = [resource for address, resource in live.items() if address not in declared]
    entries = build_entries(fresh, org, config.orgs[org].username_suffix)
    already = tuple(
        Skipped(address, f"already declared for {org} by the configuration") for address in live if address in declared
    )
    entries = Entries(entries.sections, already + entries.skipped)
    return ImportResult(org=org, org_id=identity.org_id, org_name=identity.name, entries=entries, read=len(live))


def build_entries(resources: Iterable[Resource], org: str, suffix: str) -> Entries:
    """Entries limited to ``org`` declaring ``resources`` (usernames written without ``suffix``), section
    by section in registry order. A resource holding ``${`` anywhere is left out: configuration would read
    it as a placeholder."""
    items = list(resources)
    skipped = [
        Skipped(r.address, "a name holds '${', which configuration reads as a placeholder")
        for r in items
        if PLACEHOLDER in r.key or PLACEHOLDER in canonical_json(r.attributes())
    ]
    unusable = {item.address for item in skipped}
    sections: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds.all_kinds():
        own = [r for r in items if r.address.kind == kind.name and r.address not in unusable]
        if not own:
            continue
        entries, left_out = kind.export(own, org, suffix)
        if entries:
            sections[kind.name] = entries
        skipped += left_out
    return Entries(sections, tuple(skipped))
