"""Expansion: the configuration, seen from one org, as the resources that org must have.

``expand(config, org)`` asks each entry's kind to fan it out (``ResourceKind.expand``: one grant per
user with the org's ``username_suffix``, one layout assignment per profile ...) with ``${var.NAME}``
substituted from ``[orgs.NAME.vars]``, and turns ``after``/``before`` references into ``(first, then)``
edges. A reference names an address exactly, or what the kind resolves it to
(``ResourceKind.resolve_reference``: ``permission_set_grant:Sales_Ops`` means every grant of that
permission set in the org). References to addresses absent from this org are dropped: they may exist in
other orgs. A pair that would order an address after itself is dropped too.

``check_expansion(config)`` expands every org and reports what only expansion can see: unknown
variables, one address declared by two entries for the same org, references that name nothing in
any org the entry applies to, and dependency cycles. Checks and manual steps declare no resource; an
entry of theirs is known by its name (``ResourceKind.names``: ``check:NAME``, ``manual_step:NAME``),
which the ``after`` of another check or manual step may name (ordering nothing among resources).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from reconcile import kinds
from reconcile.config.desired import DesiredOrg
from reconcile.config.schema import Config, Entry, OrgConfig
from reconcile.errors import ConfigError, CycleError, Location, Problem, did_you_mean
from reconcile.graph import check_cycles
from reconcile.kinds.base import Expansion
from reconcile.model import Address, Resource

__all__ = ["check_expansion", "expand", "resolve_targets"]

#: How many resources, all orgs together, the expansions kept from the check may hold (``check_expansion``).
KEEP_RESOURCES = 100_000

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_VARIABLE = re.compile(r"^var\.([A-Za-z0-9_-]+)$")


def expand(config: Config, org: str) -> DesiredOrg:
    """The desired state of ``org``. Raises ``ConfigError`` for an unknown org (a loaded config has
    already been checked, so nothing else fails)."""
    if org not in config.orgs:
        raise ConfigError(
            Problem(
                f"unknown org '{org}'" + did_you_mean(org, config.orgs), hint="orgs: " + ", ".join(sorted(config.orgs))
            )
        )
    kept = config._expanded.pop(org, None)
    if kept is not None and kept[0] is config.orgs[org] and kept[1] is config.entries:
        return cast(DesiredOrg, kept[2])
    expansion = _OrgExpansion(config.orgs[org], config.entries)
    if expansion.problems:
        raise ConfigError(expansion.problems)
    return expansion.desired()


def check_expansion(
    config: Config, *, check_references: bool = True, orgs: Collection[str] | None = None
) -> list[Problem]:
    """Every problem expansion finds across all orgs (or only ``orgs``), each reported once; dependency
    cycles included, so a configuration that loads can be planned (no command meets a cycle after taking
    the state lock). The expansion of each org without problems is kept in the configuration for the
    first ``expand`` of that org, as long as those kept hold at most ``KEEP_RESOURCES`` resources in all
    (beyond, an org is expanded again when it is planned: memory then follows the orgs in flight)."""
    report = _Report()
    cycles: dict[str, Problem] = {}
    kept = 0
    for name in sorted(config.orgs if orgs is None else set(orgs) & config.orgs.keys()):
        expansion = _OrgExpansion(config.orgs[name], config.entries)
        report.add(expansion)
        if not expansion.problems:
            desired = expansion.desired()
            try:
                check_cycles(desired)
            except CycleError as error:
                cycles.update((problem.message, problem) for problem in error.problems)
            else:
                kept += len(desired.resources)
                if kept <= KEEP_RESOURCES:
                    config._expanded[name] = (config.orgs[name], config.entries, desired)
    found = report.problems(check_references) + list(cycles.values())
    return sorted(found, key=lambda problem: _order_key(problem.location))


def resolve_targets(
    config: Config,
    desired: Mapping[str, DesiredOrg],
    managed: Mapping[str, Collection[Address]],
    texts: Sequence[str],
) -> dict[str, frozenset[Address]]:
    """The addresses ``--target`` names in each org of ``desired``, read like ``after`` references: an
    exact address (declared, or managed in state: ``managed``), or what its kind resolves it to (a
    permission set names every grant of it; a username without the org's suffix). An address of a kind
    with an exclusive group in the org is kept as written (the plan may revoke it once the org is read).
    A target that names nothing in any of these orgs is a ``ConfigError`` with a suggestion."""
    problems: list[Problem] = []
    chosen: dict[str, set[Address]] = {org: set() for org in desired}
    for text in texts:
        try:
            address = Address.parse(text)
        except ValueError as exc:
            problems.append(Problem(f"--target {text}: {exc}"))
            continue
        found = False
        for org, want in desired.items():
            hits = _target_hits(address, want, managed.get(org, ()), config.orgs[org])
            chosen[org].update(hits)
            found = found or bool(hits)
        if not found:
            problems.append(_unmatched_target(text, desired, managed))
    if problems:
        raise ConfigError(problems)
    return {org: frozenset(addresses) for org, addresses in chosen.items()}


def _target_hits(address: Address, want: DesiredOrg, managed: Collection[Address], org: OrgConfig) -> list[Address]:
    if address in want.resources or address in managed:
        return [address]
    hits = kinds.of(address).resolve_reference(address.key, want.resources, org)
    if address in want.exclusive:
        hits.append(address)  # the group itself: its undeclared members the plan revokes
    elif not hits and any(group.kind == address.kind for group in want.exclusive):
        return [address]
    return hits


def _unmatched_target(
    text: str, desired: Mapping[str, DesiredOrg], managed: Mapping[str, Collection[Address]]
) -> Problem:
    known = {str(address) for want in desired.values() for address in want.resources}
    known |= {str(address) for addresses in managed.values() for address in addresses}
    orgs = ", ".join(sorted(desired)) or "(none)"
    return Problem(
        f"--target {text} names nothing in the selected orgs ({orgs}){did_you_mean(text, known)}",
        hint="targets are addresses as the plan prints them (kind:key), or a permission set for all its grants",
    )


class _Substitution:
    """``${var.NAME}`` → the org's value; records unknown or malformed placeholders."""

    def __init__(self, org: OrgConfig) -> None:
        self.org = org
        self.unknown: list[str] = []

    def __call__(self, text: str) -> str:
        return _PLACEHOLDER.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        variable = _VARIABLE.match(match.group(1))
        if variable is None or variable.group(1) not in self.org.vars:
            self.unknown.append(match.group(0))
            return match.group(0)
        return self.org.vars[variable.group(1)]


@dataclass
class _Declared:
    """The addresses one entry expanded to in one org."""

    entry: Entry
    addresses: list[Address]


@dataclass
class _OrgExpansion:
    """One org's resources, edges and problems, computed on construction."""

    org: OrgConfig
    entries: tuple[Entry, ...]
    resources: dict[Address, Resource] = field(default_factory=dict)
    locations: dict[Address, Location] = field(default_factory=dict)
    declared: list[_Declared] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[tuple[Address, Location, Location]] = field(default_factory=list)
    unknown_variables: list[tuple[Entry, str]] = field(default_factory=list)
    references: list[tuple[Entry, str, str, bool]] = field(default_factory=list)
    clashes: list[Problem] = field(default_factory=list)
    misreferences: list[tuple[Entry, str, str, str]] = field(default_factory=list)
    edges: set[tuple[Address, Address]] = field(default_factory=set)
    named: set[Address] = field(default_factory=set)

    def __post_init__(self) -> None:
        for entry in self.entries:
            if entry.applies_to(self.org):
                self._declare(entry)
        for declared in self.declared:
            self._order(declared)
        self.problems = [
            _duplicate_problem(address, first, second, [self.org.name]) for address, first, second in self.duplicates
        ]
        self.problems += [_variable_problem(entry, text, [self.org.name]) for entry, text in self.unknown_variables]
        self.problems += [_misreference_problem(*found) for found in self.misreferences]
        self.clashes = self._clashes()
        self.problems += self.clashes

    def _clashes(self) -> list[Problem]:
        """What each kind says cannot hold together among its resources (``ResourceKind.clashes``)."""
        found: list[Problem] = []
        by_kind: dict[str, list[Resource]] = {}
        for address, resource in self.resources.items():
            by_kind.setdefault(address.kind, []).append(resource)
        for kind in kinds.all_kinds():
            own = by_kind.get(kind.name)
            for first, second, why in kind.clashes(own) if own else []:
                where = (self.locations[first.address], self.locations[second.address])
                message = f"`{first.address}` and `{second.address}`: {why} (declared at {where[0]} and at {where[1]})"
                found.append(Problem(message, where[1], "keep one of them"))
        return found

    def _declare(self, entry: Entry) -> None:
        substitute = _Substitution(self.org)
        resources = kinds.for_entry(entry).expand(entry, Expansion(self.org, substitute))
        self.named.update(kinds.for_entry(entry).names(entry))
        self.unknown_variables += [(entry, text) for text in dict.fromkeys(substitute.unknown)]
        for resource in resources:
            address = resource.address
            if address in self.resources:
                self.duplicates.append((address, self.locations[address], entry.location))
                continue
            self.resources[address] = resource
            self.locations[address] = entry.location
        self.declared.append(_Declared(entry, [resource.address for resource in resources]))

    def _order(self, declared: _Declared) -> None:
        """Edges for the entry's references: ``after`` and ``disable`` targets come first, ``before``
        targets after; the entry's kind keeps what it needs of them (``bind_references``)."""
        substitute = _Substitution(self.org)
        kind = kinds.for_entry(declared.entry)
        by_name = bool(kind.names(declared.entry))
        for key, reference in declared.entry.references():
            targets = self.resolve(substitute(reference))
            named = by_name and self.names(substitute(reference))
            self.references.append((declared.entry, key, reference, bool(targets) or named))
            for problem in dict.fromkeys(kind.reference_problem(key, kinds.of(target)) for target in targets):
                if problem:
                    self.misreferences.append((declared.entry, key, reference, problem))
            for own in declared.addresses:
                self.resources[own] = kind.bind_references(self.resources[own], key, targets)
            for target in targets:
                for own in declared.addresses:
                    pair = (own, target) if key == "before" else (target, own)
                    if target != own:
                        self.edges.add(pair)
        self.unknown_variables += [(declared.entry, text) for text in dict.fromkeys(substitute.unknown)]

    def resolve(self, text: str) -> list[Address]:
        """The addresses of this org a reference names (none if it names nothing here)."""
        try:
            address = Address.parse(text)
        except ValueError:
            return []
        if address in self.resources:
            return [address]
        return kinds.of(address).resolve_reference(address.key, self.resources, self.org)

    def names(self, text: str) -> bool:
        """Whether a reference names a check or manual step of this org (``ResourceKind.names``)."""
        try:
            return Address.parse(text) in self.named
        except ValueError:
            return False

    def desired(self) -> DesiredOrg:
        exclusive: set[Address] = set()
        for declared in self.declared:
            own = [resource for address in declared.addresses if (resource := self.resources.get(address))]
            exclusive |= kinds.for_entry(declared.entry).exclusive_groups(declared.entry, own)
        return DesiredOrg(
            org=self.org.name,
            resources=dict(self.resources),
            edges=frozenset(self.edges),
            locations=dict(self.locations),
            exclusive=frozenset(exclusive),
        )


def _orgs_text(orgs: list[str]) -> str:
    return ("org " if len(orgs) == 1 else "orgs ") + ", ".join(orgs)


def _duplicate_problem(address: Address, first: Location, second: Location, orgs: list[str]) -> Problem:
    where = "twice by this entry" if first == second else f"twice: at {first} and at {second}"
    return Problem(
        f"`{address}` is declared {where} (for {_orgs_text(orgs)})",
        second,
        "declare each address once per org: merge the entries or limit them with `orgs`/`tags`",
    )


def _misreference_problem(entry: Entry, key: str, reference: str, problem: str) -> Problem:
    return Problem(
        f"{entry.title}: `{key}` names `{reference}`: {problem}",
        entry.location,
        "name a resource of a kind that can be switched off (validation_rule, flow, ...)",
    )


def _variable_problem(entry: Entry, text: str, orgs: list[str]) -> Problem:
    variable = _VARIABLE.match(text[2:-1])
    if variable is None:
        return Problem(
            f"{entry.title}: malformed placeholder `{text}`", entry.location, "write placeholders as ${var.NAME}"
        )
    name = variable.group(1)
    tables = ", ".join(f"[orgs.{org}.vars]" for org in orgs)
    return Problem(
        f"{entry.title}: unknown variable `{text}` for {_orgs_text(orgs)}",
        entry.location,
        f"define {name} in {tables}, or limit the entry with `orgs`/`tags`",
    )


class _Report:
    """Merges the findings of every org so each problem is reported once, naming all its orgs."""

    def __init__(self) -> None:
        self.duplicates: dict[tuple[Location, Location], tuple[Address, list[str]]] = {}
        self.variables: dict[tuple[Location, str], tuple[Entry, list[str]]] = {}
        self.references: dict[tuple[Location, str, str], tuple[Entry, list[str], bool]] = {}
        self.misreferences: dict[tuple[Location, str, str], tuple[Entry, str, str, str]] = {}
        self.known: dict[Location, set[str]] = {}
        self.clashes: dict[tuple[Location | None, str], Problem] = {}

    def add(self, expansion: _OrgExpansion) -> None:
        org = expansion.org.name
        for address, first, second in expansion.duplicates:
            self.duplicates.setdefault((first, second), (address, []))[1].append(org)
        for entry, text in expansion.unknown_variables:
            self.variables.setdefault((entry.location, text), (entry, []))[1].append(org)
        for clash in expansion.clashes:
            self.clashes.setdefault((clash.location, clash.message), clash)
        for entry, key, reference, problem in expansion.misreferences:
            self.misreferences[(entry.location, key, reference)] = (entry, key, reference, problem)
        for entry, key, reference, found in expansion.references:
            _, orgs, seen = self.references.get((entry.location, key, reference), (entry, [], False))
            self.references[(entry.location, key, reference)] = (entry, [*orgs, org], seen or found)
            known = self.known.setdefault(entry.location, set())
            known.update(str(address) for address in [*expansion.resources, *expansion.named])

    def problems(self, check_references: bool) -> list[Problem]:
        found = [
            _duplicate_problem(address, first, second, orgs)
            for (first, second), (address, orgs) in self.duplicates.items()
        ]
        found += [_variable_problem(entry, text, orgs) for (_, text), (entry, orgs) in self.variables.items()]
        found += [_misreference_problem(*item) for item in self.misreferences.values()]
        found += list(self.clashes.values())
        if check_references:
            found += [
                self._dangling(entry, key, reference, orgs)
                for (_, key, reference), (entry, orgs, seen) in self.references.items()
                if not seen
            ]
        return sorted(found, key=lambda problem: _order_key(problem.location))

    def _dangling(self, entry: Entry, key: str, reference: str, orgs: list[str]) -> Problem:
        own = {str(address) for address in kinds.for_entry(entry).names(entry)}
        close = did_you_mean(reference, self.known.get(entry.location, set()) - own)
        return Problem(
            f"{entry.title}: `{key}` names `{reference}`, which is declared for none of the orgs "
            f"this entry applies to ({', '.join(orgs)}){close}",
            entry.location,
            "declare it, fix the address, or limit the entry with `orgs`/`tags`",
        )


def _order_key(location: Location | None) -> tuple[str, int, int]:
    return (location.file, location.line, location.col) if location else ("", 0, 0)
