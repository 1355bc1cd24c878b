"""Expansion: the configuration, seen from one org, as the resources that org must have.

``expand(config, org)`` fans entries out (one grant per user with the org's ``username_suffix``, one
layout assignment per profile), substitutes ``${var.NAME}`` from ``[orgs.NAME.vars]``, and turns
``after``/``before`` references into ``(first, then)`` edges. A reference to a grant's assignable
(``permission_set_grant:Sales_Ops``) means every grant of that assignable in the org; a grant reference
naming a configured username (``.../alice@acme.com``) also matches it with the org's suffix. References
to addresses absent from this org are dropped: they may exist in other orgs. A pair that would order an
address after itself is dropped too.

``check_expansion(config)`` expands every org and reports what only expansion can see: unknown
variables, one address declared by two entries for the same org, references that name nothing in
any org the entry applies to, and dependency cycles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reconcile.config.desired import DesiredOrg
from reconcile.config.loader import Config
from reconcile.config.schema import (
    AnyEntry,
    ApexEntry,
    LayoutAssignmentEntry,
    OrgConfig,
    PermissionSetGrantEntry,
    PicklistEntry,
)
from reconcile.errors import ConfigError, CycleError, Location, Problem, did_you_mean
from reconcile.graph import check_cycles
from reconcile.model import (
    Address,
    ApexScript,
    Kind,
    LayoutAssignment,
    PermissionSetGrant,
    Picklist,
    PicklistValue,
    Resource,
)

__all__ = ["check_expansion", "expand"]

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_VARIABLE = re.compile(r"^var\.([A-Za-z0-9_-]+)$")


def expand(config: Config, org: str) -> DesiredOrg:
    """The desired state of ``org``. Raises ``ConfigError`` for an unknown org (a loaded config has
    already been checked, so nothing else fails)."""
    if org not in config.orgs:
        raise ConfigError(Problem(f"unknown org '{org}'" + did_you_mean(org, config.orgs),
                                  hint="orgs: " + ", ".join(sorted(config.orgs))))
    expansion = _OrgExpansion(config.orgs[org], config.entries)
    if expansion.problems:
        raise ConfigError(expansion.problems)
    return expansion.desired()


def check_expansion(config: Config, *, check_references: bool = True) -> list[Problem]:
    """Every problem expansion finds across all orgs, each reported once; dependency cycles included,
    so a configuration that loads can be planned (no command meets a cycle after taking the state lock)."""
    report = _Report()
    cycles: dict[str, Problem] = {}
    for name in sorted(config.orgs):
        expansion = _OrgExpansion(config.orgs[name], config.entries)
        report.add(expansion)
        if not expansion.problems:
            try:
                check_cycles(expansion.desired())
            except CycleError as error:
                cycles.update((problem.message, problem) for problem in error.problems)
    found = report.problems(check_references) + list(cycles.values())
    return sorted(found, key=lambda problem: _order_key(problem.location))


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

    entry: AnyEntry
    addresses: list[Address]


@dataclass
class _OrgExpansion:
    """One org's resources, edges and problems, computed on construction."""

    org: OrgConfig
    entries: tuple[AnyEntry, ...]
    resources: dict[Address, Resource] = field(default_factory=dict)
    locations: dict[Address, Location] = field(default_factory=dict)
    declared: list[_Declared] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[tuple[Address, Location, Location]] = field(default_factory=list)
    unknown_variables: list[tuple[AnyEntry, str]] = field(default_factory=list)
    references: list[tuple[AnyEntry, str, str, bool]] = field(default_factory=list)
    edges: set[tuple[Address, Address]] = field(default_factory=set)

    def __post_init__(self) -> None:
        for entry in self.entries:
            if entry.applies_to(self.org):
                self._declare(entry)
        for declared in self.declared:
            self._order(declared)
        self.problems = [_duplicate_problem(address, first, second, [self.org.name])
                         for address, first, second in self.duplicates]
        self.problems += [_variable_problem(entry, text, [self.org.name])
                          for entry, text in self.unknown_variables]

    def _declare(self, entry: AnyEntry) -> None:
        substitute = _Substitution(self.org)
        resources = _resources(entry, substitute, self.org.username_suffix)
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
        substitute = _Substitution(self.org)
        for key, reference in declared.entry.references():
            targets = self.resolve(substitute(reference))
            self.references.append((declared.entry, key, reference, bool(targets)))
            for target in targets:
                for own in declared.addresses:
                    pair = (target, own) if key == "after" else (own, target)
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
        if address.kind is not Kind.PERMISSION_SET_GRANT:
            return []
        if "/" in address.key:
            suffixed = Address(address.kind, address.key + self.org.username_suffix)
            return [suffixed] if self.org.username_suffix and suffixed in self.resources else []
        return [candidate for candidate, resource in self.resources.items()
                if isinstance(resource, PermissionSetGrant) and resource.assignable == address.key]

    def desired(self) -> DesiredOrg:
        exclusive = frozenset(
            resource.assignable for declared in self.declared
            if isinstance(declared.entry, PermissionSetGrantEntry) and declared.entry.exclusive
            for address in declared.addresses
            if isinstance(resource := self.resources.get(address), PermissionSetGrant))
        return DesiredOrg(org=self.org.name, resources=dict(self.resources), edges=frozenset(self.edges),
                          locations=dict(self.locations), exclusive=exclusive)


def _resources(entry: AnyEntry, sub: Callable[[str], str], suffix: str) -> list[Resource]:
    if isinstance(entry, PicklistEntry):
        return [_picklist(entry, sub)]
    if isinstance(entry, LayoutAssignmentEntry):
        return [LayoutAssignment(profile=sub(profile), object=sub(entry.object),
                                 record_type=sub(entry.record_type), layout=sub(entry.layout))
                for profile in entry.profile_names]
    if isinstance(entry, PermissionSetGrantEntry):
        return [PermissionSetGrant(permission_set=sub(entry.permission_set or ""),
                                   permission_set_group=sub(entry.permission_set_group or ""),
                                   username=sub(user) + suffix, expires=entry.expires)
                for user in entry.users]
    return [_apex(entry)]


def _picklist(entry: PicklistEntry, sub: Callable[[str], str]) -> Picklist:
    values = tuple(
        PicklistValue(name=sub(value.name), label=sub(value.label or value.name),
                      default=value.default or value.name == entry.default, active=value.active)
        for value in entry.values)
    return Picklist(target=sub(entry.target), values=values, sorted=entry.sorted, mode=entry.mode)


def _apex(entry: ApexEntry) -> ApexScript:
    return ApexScript(name=entry.name, file=entry.file, sha256=entry.sha256, run=entry.run, body=entry.body)


def _orgs_text(orgs: list[str]) -> str:
    return ("org " if len(orgs) == 1 else "orgs ") + ", ".join(orgs)


def _duplicate_problem(address: Address, first: Location, second: Location, orgs: list[str]) -> Problem:
    where = "twice by this entry" if first == second else f"twice: at {first} and at {second}"
    return Problem(f"`{address}` is declared {where} (for {_orgs_text(orgs)})", second,
                   "declare each address once per org: merge the entries or limit them with `orgs`/`tags`")


def _variable_problem(entry: AnyEntry, text: str, orgs: list[str]) -> Problem:
    variable = _VARIABLE.match(text[2:-1])
    if variable is None:
        return Problem(f"{entry.title}: malformed placeholder `{text}`", entry.location,
                       "write placeholders as ${var.NAME}")
    name = variable.group(1)
    tables = ", ".join(f"[orgs.{org}.vars]" for org in orgs)
    return Problem(f"{entry.title}: unknown variable `{text}` for {_orgs_text(orgs)}", entry.location,
                   f"define {name} in {tables}, or limit the entry with `orgs`/`tags`")


class _Report:
    """Merges the findings of every org so each problem is reported once, naming all its orgs."""

    def __init__(self) -> None:
        self.duplicates: dict[tuple[Location, Location], tuple[Address, list[str]]] = {}
        self.variables: dict[tuple[Location, str], tuple[AnyEntry, list[str]]] = {}
        self.references: dict[tuple[Location, str, str], tuple[AnyEntry, list[str], bool]] = {}
        self.known: dict[Location, set[str]] = {}

    def add(self, expansion: _OrgExpansion) -> None:
        org = expansion.org.name
        for address, first, second in expansion.duplicates:
            self.duplicates.setdefault((first, second), (address, []))[1].append(org)
        for entry, text in expansion.unknown_variables:
            self.variables.setdefault((entry.location, text), (entry, []))[1].append(org)
        for entry, key, reference, found in expansion.references:
            _, orgs, seen = self.references.get((entry.location, key, reference), (entry, [], False))
            self.references[(entry.location, key, reference)] = (entry, [*orgs, org], seen or found)
            known = self.known.setdefault(entry.location, set())
            known.update(str(address) for address in expansion.resources)

    def problems(self, check_references: bool) -> list[Problem]:
        found = [_duplicate_problem(address, first, second, orgs)
                 for (first, second), (address, orgs) in self.duplicates.items()]
        found += [_variable_problem(entry, text, orgs) for (_, text), (entry, orgs) in self.variables.items()]
        if check_references:
            found += [self._dangling(entry, key, reference, orgs)
                      for (_, key, reference), (entry, orgs, seen) in self.references.items() if not seen]
        return sorted(found, key=lambda problem: _order_key(problem.location))

    def _dangling(self, entry: AnyEntry, key: str, reference: str, orgs: list[str]) -> Problem:
        close = did_you_mean(reference, self.known.get(entry.location, set()))
        return Problem(f"{entry.title}: `{key}` names `{reference}`, which is declared for none of the orgs "
                       f"this entry applies to ({', '.join(orgs)}){close}", entry.location,
                       "declare it, fix the address, or limit the entry with `orgs`/`tags`")


def _order_key(location: Location | None) -> tuple[str, int, int]:
    return (location.file, location.line, location.col) if location else ("", 0, 0)
