"""What a resource kind is, to the engine: the one class a kind module subclasses.

The engine (config loader, expansion, planner, executor, renderers, drift, diff, import, JSON Schema)
names no kind. It asks the registry (``reconcile.kinds``) for the ``ResourceKind`` of an address or an
entry and calls the hooks below. A kind module defines its TOML entry model (a ``config.schema.Entry``),
its resource model (a ``model.Resource``) and a ``ResourceKind`` subclass, and registers an instance.

Contract of the hooks (each has a default that fits a plain "one record, set its attributes" kind):

- They are pure: no I/O, no printing, no state writes. Reads and writes of the org are the provider's
  (``providers/salesforce/kinds/<kind>.py``); the engine batches them.
- ``expand`` turns one validated entry into the resources it declares in one org (fan-out, variables,
  username suffix). It never fails: the entry model's ``findings`` already said what is wrong.
- ``plan`` returns the change that makes ``live`` like ``desired`` (None when in sync), ``plan_removal``
  what happens when a managed resource leaves the configuration. This is the kind's ownership rule.
  ``conflict`` says when a declared resource must not be applied over what the org holds (something
  the tool does not manage stands in the way): the plan shows it as an error on the entry.
- ``warning_reads`` and ``plan_warnings`` add warnings to an org's plan about what its changes leave
  undone (a picklist value no record type offers).
- ``detail_lines`` are ``(symbol, text)`` pairs shown under a change when it carries no value-level
  ``details``.
- ``export`` writes live resources as configuration entries (``import``, ``diff --out``) and says what
  it cannot write; ``compare`` says how two orgs' resources differ (``diff``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from providers.base import ApexResult, Provider
from reconcile.config.schema import Entry, OrgConfig
from reconcile.errors import Problem
from reconcile.model import Action, Address, Change, Resource
from state.base import OrgState, StateEntry

E = TypeVar("E", bound=Entry)
R = TypeVar("R", bound=Resource)

#: One line under a change in a plan: a symbol (``+``, ``-``, ``~`` or a space) and the text.
DetailLine = tuple[str, str]


def value_added(name: str, label: str) -> str:
    """How an added value reads in a plan: ``value Bronze (label "Bronze tier")``."""
    return f'value {name} (label "{label}")' if label and label != name else f"value {name}"


@dataclass(frozen=True)
class Expansion:
    """What ``expand`` knows of the org an entry is expanded for: ``sub`` fills ``${var.NAME}``."""

    org: OrgConfig
    sub: Callable[[str], str]


@dataclass(frozen=True)
class PlanContext:
    """What ``plan`` may consult beyond the resource: the org's whole prior state, and whether that state
    was recorded for the org being planned (False for a refreshed sandbox adopted with a new org id), and
    the addresses ``--replace`` names (``ResourceKind.replaceable``)."""

    prior: OrgState = field(default_factory=OrgState)
    same_org: bool = True
    replace: frozenset[Address] = frozenset()


@dataclass(frozen=True)
class Skipped:
    """A live resource that was not written as an entry, and why."""

    address: Address
    reason: str


#: Configuration entries (TOML tables as dicts) and the resources left out.
Exported = tuple[list[dict[str, Any]], list[Skipped]]


def strip_suffix(username: str, suffix: str) -> str | None:
    """``alice@acme.com.uat`` without ``.uat``; None when the username does not carry the suffix."""
    if not suffix:
        return username
    if not username.casefold().endswith(suffix.casefold()) or len(username) == len(suffix):
        return None
    return username[: -len(suffix)]


class ResourceKind(ABC, Generic[E, R]):
    """One kind of resource; see the module docstring for the contract of each hook.

    ``name`` is the kind (address prefix and TOML section ``[[name]]``), ``entry`` and ``resource`` its
    models. ``read_from_org`` is False for kinds that are actions, not something an org holds (apex):
    they are never read, drifted, diffed or imported. ``batched`` is False for kinds whose changes run
    one at a time (``run`` executes them).
    """

    name: ClassVar[str]
    entry: ClassVar[type[Entry]]
    resource: ClassVar[type[Resource]]
    read_from_org: ClassVar[bool] = True
    batched: ClassVar[bool] = True
    #: What resources of this kind are called in a sentence ("apex scripts"); the name when empty.
    noun: ClassVar[str] = ""
    #: Whether ``switched_off`` can switch a resource of this kind off (``[[apex]] disable`` may name it).
    switchable: ClassVar[bool] = False
    #: Whether ``--replace`` may name a resource of this kind: ``plan`` then finds its address in
    #: ``PlanContext.replace`` and must return a change even when the resource is in sync.
    replaceable: ClassVar[bool] = False

    # -- configuration -------------------------------------------------------------------------------

    @abstractmethod
    def expand(self, entry: E, org: Expansion) -> Sequence[Resource]:
        """The resources ``entry`` declares in one org (every kind defines this); usually of this kind, but
        an entry may also declare resources of another kind (a picklist's ``record_types``)."""

    def declares(self, entry: E) -> tuple[str, ...]:
        """The kinds ``entry`` declares resources of, without expanding it (drift's columns): this kind,
        and any other ``expand`` may return for it."""
        return (self.name,)

    def names(self, entry: E) -> list[Address]:
        """The addresses ``entry`` is known by in an org without declaring a resource there (a check, a
        manual step): the ``after`` of another such entry may name them. None by default."""
        return []

    def resolve_reference(self, key: str, resources: Mapping[Address, Resource], org: OrgConfig) -> list[Address]:
        """The addresses an ``after`` reference ``<name>:key`` names when no resource has that exact key
        (e.g. every grant of a permission set). None by default."""
        return []

    def clashes(self, resources: Sequence[R]) -> list[tuple[R, R, str]]:
        """Pairs of this kind's resources declared for one org that cannot both hold (two default record
        types for one profile and object), each with why; validation reports them at both entries."""
        return []

    def exclusive_groups(self, entry: E, resources: Sequence[R]) -> set[Address]:
        """Group addresses (``kind:group``) whose undeclared live members the plan removes."""
        return set()

    # -- planning ------------------------------------------------------------------------------------

    def plan(self, desired: R, live: R | None, entry: StateEntry | None, context: PlanContext) -> Change | None:
        """By default: create what is missing, update what differs (keeping the live ids)."""
        if live is None:
            return Change(address=desired.address, action=Action.CREATE, after=desired, reason="missing")
        if desired.attributes() == live.attributes():
            return None
        after = desired.model_copy(update={"ids": live.ids})
        return Change(address=desired.address, action=Action.UPDATE, before=live, after=after, reason="differs")

    def conflict(self, desired: R, live: R | None, entry: StateEntry | None) -> Problem | None:
        """Why ``desired`` must not be applied over ``live`` (``entry``: its state, None when unmanaged), as
        an error of the org's plan placed at the entry; None (the default) when nothing stands in the way.
        ``plan`` should then return no change for it."""
        return None

    def warning_reads(self, changes: Sequence[Change]) -> dict[str, set[str]]:
        """Keys of any kind (``{kind: keys}``) that ``plan_warnings`` needs read from the org, asked only when
        this kind has ``changes`` in an org's plan; none by default (no calls)."""
        return {}

    def plan_warnings(
        self, changes: Sequence[Change], desired: Mapping[Address, Resource], read: Mapping[Address, Resource]
    ) -> list[str]:
        """Warnings about this kind's ``changes`` in an org's plan (``desired``: every declared resource of
        the org; ``read``: what was read, including ``warning_reads``). They never stop an apply."""
        return []

    def plan_removal(self, address: Address, live: R | None, entry: StateEntry) -> Change:
        """By default: delete what is still live, forget what is already gone."""
        if live is None:
            return Change(address=address, action=Action.FORGET, reason="no longer in the org")
        return Change(address=address, action=Action.DELETE, before=live, reason="no longer declared")

    def switched_off(self, live: R) -> R | None:
        """``live`` as it is when switched off (a rule inactive, a flow with no active version), for
        ``[[apex]] disable``; None for kinds that cannot be switched off (the default)."""
        return None

    def bind_references(self, resource: R, key: str, addresses: Sequence[Address]) -> R:
        """``resource`` once its entry's reference ``key`` is resolved in the org (``[[apex]] disable``
        keeps the addresses it switches off); unchanged by default."""
        return resource

    def reference_problem(self, key: str, target: ResourceKind[Any, Any]) -> str:
        """Why this kind's entry may not name a resource of ``target``'s kind under ``key`` ("" when it may)."""
        return ""

    def switched_off_during(self, change: Change) -> tuple[Address, ...]:
        """The addresses switched off while a ``run`` change runs and switched back after."""
        return ()

    def group_of(self, resource: R) -> str | None:
        """The group (see ``exclusive_groups``) a live resource belongs to, if any."""
        return None

    def wildcard_key(self, group: str) -> str:
        """The read key that returns every live member of ``group``."""
        return f"{group}/*"

    def state_attributes(self, change: Change, previous: StateEntry | None) -> dict[str, Any]:
        """What state records for a successful create or update (the ``after`` attributes by default); the
        executor calls it only for changes that have an ``after``."""
        return change.after.attributes() if change.after is not None else {}

    # -- actions (kinds that are not batched) --------------------------------------------------------

    def run(self, provider: Provider, change: Change) -> ApexResult | None:
        """Execute one ``run`` change and return its outcome; None when the change holds nothing to run (the
        executor records that as a failed change). Only kinds with ``batched = False`` are asked. A failure
        of the script is an outcome, not an error."""
        return None

    def record_run(self, org_state: OrgState, change: Change, ok: bool, at: datetime) -> None:
        """Record a ``run`` change's outcome in the org's state (failed runs too)."""

    # -- rendering -----------------------------------------------------------------------------------

    def detail_lines(self, change: Change) -> list[DetailLine]:
        return []

    # -- fleet: drift, diff, import ------------------------------------------------------------------

    def comparable(self, resource: R) -> Any:
        """What a hand change would alter (drift compares this between the applied and the live)."""
        return resource.attributes()

    def unlisted_keys(self, keys: Iterable[str]) -> set[str]:
        """Among declared ``keys``, those an org cannot list (import and ``diff --all`` read them by key)."""
        return set()

    def canonical_key(self, key: str, suffix: str) -> str:
        """``key`` as it reads in an org without ``suffix`` (usernames), to compare two orgs."""
        return key

    def org_key(self, key: str, suffix: str) -> str:
        """A canonical key as the org with ``suffix`` spells it (the inverse of ``canonical_key``)."""
        return key

    def as_target(self, source: R, target: R | None, key: str, suffix: str) -> R:
        """``source`` as the target org should hold it (its ids and spelling); ``key`` is canonical."""
        ids = target.ids if target is not None else {}
        return source.model_copy(update={"ids": ids})

    def compare(self, source: R, target: R, after: R, names: tuple[str, str]) -> Change | None:
        """The update that makes ``target`` like ``source`` (``after``), or None when they match."""
        if after.attributes() == target.attributes():
            return None
        return Change(
            address=target.address,
            action=Action.UPDATE,
            before=target,
            after=after,
            reason=self.diff_reason(source, target, names),
        )

    def diff_reason(self, source: R, target: R, names: tuple[str, str]) -> str:
        return "different"

    def adoption_problem(self, change: Change, target: str) -> str:
        """Why a diff's change cannot be written as an entry for ``target`` ("" when it can)."""
        return ""

    def export(self, resources: Sequence[R], org: str, suffix: str) -> Exported:
        """Entries limited to ``org`` declaring ``resources``, sorted so that exporting twice writes the
        same file, and what could not be written."""
        return [], [
            Skipped(resource.address, f"{self.name} cannot be written as configuration") for resource in resources
        ]
