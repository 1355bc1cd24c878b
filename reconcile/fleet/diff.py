"""Diff: two orgs' live configuration compared, as the changes that would make the second like the first.

``diff_orgs(config, source, target, providers)`` reads both orgs (in parallel) and returns an
``OrgDiff``: plain frozen data whose changes are addressed in the target's terms (``+`` only in the
source, ``~`` different, ``-`` only in the target). What is compared:

- by default, the keys the configuration manages in either org (the expansion of both, ``exclusive``
  grants with every assignment of their permission set);
- with ``everything``, everything the providers can list of the chosen kinds (their ``inventory``;
  standard value sets only when an entry names them, see ``reconcile.fleet.importer``).

Usernames are compared without each org's ``username_suffix``: ``alice@acme.com.uat`` in an org with
suffix ``.uat`` is the same user as ``alice@acme.com`` in an org without one. A username that does not
carry its org's suffix is compared as it is.

Each kind says what it compares (``ResourceKind.compare``): picklists their active values (name, label)
and default, layout assignments the layout, grants their expiry.

``diff_entries`` turns the differences into configuration entries limited to the target, for users to
adopt: what the configuration already declares for the target is left out (``plan`` converges it), and
so is what entries cannot express (something only in the target, or what the kind cannot adopt:
``ResourceKind.adoption_problem``, e.g. a field missing from the target).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from providers.base import Provider
from reconcile import kinds as registry
from reconcile.config.expand import expand
from reconcile.config.loader import Config
from reconcile.errors import ConfigError
from reconcile.fleet.importer import Entries, build_entries, importable, read_everything, unlisted_keys
from reconcile.kinds.base import Skipped
from reconcile.model import Action, Address, Change, Frozen, Kind, Resource

Scope = Literal["managed", "everything"]
Side = dict[Address, Resource]  # canonical address -> the org's resource


class OrgDiff(Frozen):
    """The changes that would make ``target`` like ``source``, in plan order (kind, then address)."""

    source: str
    target: str
    kinds: tuple[Kind, ...]
    scope: Scope
    compared: int
    changes: tuple[Change, ...] = ()

    @property
    def has_differences(self) -> bool:
        return bool(self.changes)


def diff_orgs(
    config: Config,
    source: str,
    target: str,
    providers: Mapping[str, Provider],
    *,
    kinds: Sequence[Kind] = (),
    everything: bool = False,
) -> OrgDiff:
    """Compare ``source`` and ``target`` (see the module docstring). Raises ``ConfigError`` for the same
    org twice and ``ProviderError`` when an org cannot be read."""
    if source == target:
        raise ConfigError(f"--from and --to name the same org '{source}'")
    chosen = tuple(kinds) or importable()
    keys = None if everything else managed_keys(config, (source, target), chosen)
    unlisted = {kind: unlisted_keys(config, kind) for kind in chosen} if everything else {}

    def read(org: str) -> Side:
        providers[org].identity()
        return _read_side(providers[org], chosen, keys, unlisted, config.orgs[org].username_suffix)

    with ThreadPoolExecutor(max_workers=2) as pool:
        left, right = pool.map(read, (source, target))
    changes = compare(left, right, config.orgs[target].username_suffix, names=(source, target))
    return OrgDiff(
        source=source,
        target=target,
        kinds=chosen,
        scope="everything" if everything else "managed",
        compared=len(set(left) | set(right)),
        changes=tuple(changes),
    )


def managed_keys(config: Config, orgs: Sequence[str], kinds: Sequence[Kind]) -> dict[Kind, set[str]]:
    """Canonical keys (usernames without suffix) the configuration manages in any of ``orgs``; an
    exclusive group adds its wildcard (``Sales_Ops/*``)."""
    keys: dict[Kind, set[str]] = {kind: set() for kind in kinds}
    for org in orgs:
        desired = expand(config, org)
        suffix = config.orgs[org].username_suffix
        for address in desired.resources:
            if address.kind in keys:
                keys[address.kind].add(canonical_address(address, suffix).key)
        for group in desired.exclusive:
            if group.kind in keys:
                keys[group.kind].add(registry.of(group).wildcard_key(group.key))
    return keys


def canonical_address(address: Address, suffix: str) -> Address:
    """``address`` as it reads in an org without ``suffix`` (a grant's username without it)."""
    return Address(address.kind, registry.of(address).canonical_key(address.key, suffix))


def _read_side(
    provider: Provider,
    kinds: Sequence[Kind],
    keys: Mapping[Kind, set[str]] | None,
    unlisted: Mapping[Kind, Sequence[str]],
    suffix: str,
) -> Side:
    side: Side = {}
    for kind in kinds:
        if keys is None:
            found = read_everything(provider, kind, unlisted.get(kind, ()))
        elif keys.get(kind):
            plugin = registry.get(kind)
            found = provider.read(kind, sorted(plugin.org_key(key, suffix) for key in keys[kind]))
        else:
            found = {}
        side.update({canonical_address(address, suffix): resource for address, resource in found.items()})
    return side


# -- comparison (pure) -------------------------------------------------------------------------------


def compare(
    source: Mapping[Address, Resource],
    target: Mapping[Address, Resource],
    target_suffix: str,
    *,
    names: tuple[str, str],
) -> list[Change]:
    """The changes that make ``target`` like ``source``, sorted by kind order then address."""
    changes: list[Change] = []
    for address in sorted(set(source) | set(target), key=lambda a: (registry.order(a.kind), a.key)):
        change = _compare_one(source.get(address), target.get(address), address, target_suffix, names)
        if change is not None:
            changes.append(change)
    return changes


def _compare_one(
    left: Resource | None, right: Resource | None, canonical: Address, suffix: str, names: tuple[str, str]
) -> Change | None:
    if left is None:
        if right is None:
            return None
        return Change(address=right.address, action=Action.DELETE, before=right, reason=f"only in {names[1]}")
    kind = registry.of(canonical)
    after = kind.as_target(left, right, canonical.key, suffix)
    if right is None:
        return Change(address=after.address, action=Action.CREATE, after=after, reason=f"only in {names[0]}")
    return kind.compare(left, right, after, names)


# -- adoption ----------------------------------------------------------------------------------------


def diff_entries(diff: OrgDiff, config: Config) -> Entries:
    """Entries limited to the target declaring what the source has (see the module docstring)."""
    declared = expand(config, diff.target).resources
    resources: list[Resource] = []
    skipped: list[Skipped] = []
    for change in diff.changes:
        reason = _not_writable(change, declared, diff.target)
        if reason:
            skipped.append(Skipped(change.address, reason))
        elif change.after is not None:
            resources.append(change.after)
    entries = build_entries(resources, diff.target, config.orgs[diff.target].username_suffix)
    return Entries(entries.sections, tuple(skipped) + entries.skipped)


def _not_writable(change: Change, declared: Mapping[Address, Resource], target: str) -> str:
    if change.address in declared:
        return f"already declared for {target} by the configuration (plan converges it)"
    if change.action is Action.DELETE:
        return f"only in {target}; an entry cannot declare that something is absent"
    return registry.of(change.address).adoption_problem(change, target)
