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

Picklists compare their active values (name, label) and default; inactive values and the ``sorted``
flag are not compared (an inactive value and a missing one offer users the same choices). Layout
assignments compare the layout, grants their expiry.

``diff_entries`` turns the differences into configuration entries limited to the target, for users to
adopt: what the configuration already declares for the target is left out (``plan`` converges it), and
so is what entries cannot express (something only in the target, a field missing from the target).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

from pydantic import BaseModel, ConfigDict

from providers.base import Provider
from reconcile.config.expand import expand
from reconcile.config.loader import Config
from reconcile.errors import ConfigError
from reconcile.fleet.importer import IMPORTABLE, Entries, Skipped, build_entries, read_everything, standard_value_sets
from reconcile.model import (
    Action,
    Address,
    Change,
    Kind,
    LayoutAssignment,
    PermissionSetGrant,
    Picklist,
    PicklistValue,
    Resource,
    ValueChange,
)

Scope = Literal["managed", "everything"]
Side = dict[Address, Resource]  # canonical address -> the org's resource


class OrgDiff(BaseModel):
    """The changes that would make ``target`` like ``source``, in plan order (kind, then address)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
    chosen = tuple(kinds) or IMPORTABLE
    keys = None if everything else managed_keys(config, (source, target), chosen)
    svs = standard_value_sets(config) if everything else []

    def read(org: str) -> Side:
        providers[org].identity()
        return _read_side(providers[org], chosen, keys, svs, config.orgs[org].username_suffix)

    with ThreadPoolExecutor(max_workers=2) as pool:
        left, right = pool.map(read, (source, target))
    changes = compare(left, right, config.orgs[target].username_suffix, names=(source, target))
    return OrgDiff(source=source, target=target, kinds=chosen, scope="everything" if everything else "managed",
                   compared=len(set(left) | set(right)), changes=tuple(changes))


def managed_keys(config: Config, orgs: Sequence[str], kinds: Sequence[Kind]) -> dict[Kind, set[str]]:
    """Canonical keys (usernames without suffix) the configuration manages in any of ``orgs``; an
    exclusive grant adds ``<assignable>/*``."""
    keys: dict[Kind, set[str]] = {kind: set() for kind in kinds}
    for org in orgs:
        desired = expand(config, org)
        suffix = config.orgs[org].username_suffix
        for address in desired.resources:
            if address.kind in keys:
                keys[address.kind].add(canonical_address(address, suffix).key)
        if Kind.PERMISSION_SET_GRANT in keys:
            keys[Kind.PERMISSION_SET_GRANT].update(f"{assignable}/*" for assignable in desired.exclusive)
    return keys


def canonical_address(address: Address, suffix: str) -> Address:
    """A grant's address with the username's ``suffix`` removed (other addresses are unchanged)."""
    if address.kind is not Kind.PERMISSION_SET_GRANT or not suffix:
        return address
    assignable, _, username = address.key.rpartition("/")
    if username.casefold().endswith(suffix.casefold()) and len(username) > len(suffix):
        username = username[: -len(suffix)]
    return Address(address.kind, f"{assignable}/{username}")


def _org_key(kind: Kind, key: str, suffix: str) -> str:
    if kind is not Kind.PERMISSION_SET_GRANT or key.endswith("/*"):
        return key
    return key + suffix


def _read_side(
    provider: Provider, kinds: Sequence[Kind], keys: Mapping[Kind, set[str]] | None, svs: Sequence[str], suffix: str
) -> Side:
    side: Side = {}
    for kind in kinds:
        if keys is None:
            found = read_everything(provider, kind, svs if kind is Kind.PICKLIST else ())
        elif keys.get(kind):
            found = provider.read(kind, sorted(_org_key(kind, key, suffix) for key in keys[kind]))
        else:
            found = {}
        side.update({canonical_address(address, suffix): resource for address, resource in found.items()})
    return side


# -- comparison (pure) -------------------------------------------------------------------------------


def compare(
    source: Mapping[Address, Resource], target: Mapping[Address, Resource], target_suffix: str, *,
    names: tuple[str, str],
) -> list[Change]:
    """The changes that make ``target`` like ``source``, sorted by kind order then address."""
    changes: list[Change] = []
    for address in sorted(set(source) | set(target), key=lambda a: (IMPORTABLE.index(a.kind), a.key)):
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
        return Change(address=right.address, action=Action.DELETE, before=_known(right), reason=f"only in {names[1]}")
    after = _as_target(left, right, canonical, suffix)
    if right is None:
        return Change(address=after.address, action=Action.CREATE, after=_known(after), reason=f"only in {names[0]}")
    details = _picklist_details(left, right) if isinstance(left, Picklist) and isinstance(right, Picklist) else ()
    if isinstance(left, Picklist):
        if not details:
            return None
        exact = any(d.change in ("deactivate", "undefault") for d in details)
        after = after.model_copy(update={"mode": "exact" if exact else "additive"})
    elif after.attributes() == right.attributes():
        return None
    return Change(address=right.address, action=Action.UPDATE, before=_known(right), after=_known(after),
                  details=details, reason=_reason(left, right, details, names))


def _known(resource: Resource) -> Picklist | LayoutAssignment | PermissionSetGrant:
    """A resource as one of the kinds a diff compares (providers return nothing else)."""
    if isinstance(resource, Picklist | LayoutAssignment | PermissionSetGrant):
        return resource
    raise TypeError(f"a diff does not compare {type(resource).__name__}")


def _as_target(left: Resource, right: Resource | None, canonical: Address, suffix: str) -> Resource:
    """``left`` as the target should hold it: the target's ids and usernames, only active values."""
    ids = right.ids if right is not None else {}
    if isinstance(left, PermissionSetGrant):
        mapped = canonical.key.rpartition("/")[2] + suffix
        username = right.username if isinstance(right, PermissionSetGrant) else mapped
        return left.model_copy(update={"username": username, "ids": ids})
    if isinstance(left, Picklist):
        active = tuple(value for value in left.values if value.active)
        return left.model_copy(update={"values": active, "ids": ids})
    return left.model_copy(update={"ids": ids})


def _picklist_details(left: Picklist, right: Picklist) -> tuple[ValueChange, ...]:
    wanted = {value.name: value for value in left.values if value.active}
    held = {value.name: value for value in right.values}
    details: list[ValueChange] = []
    for name, value in wanted.items():
        details += _value_changes(value, held.get(name))
    details += [ValueChange(value=value.name, change="deactivate")
                for value in right.values if value.active and value.name not in wanted]
    left_default = next((v.name for v in wanted.values() if v.default), None)
    right_default = next((v.name for v in right.values if v.active and v.default), None)
    if left_default is not None and left_default != right_default:
        details.append(ValueChange(value=left_default, change="default", before=right_default))
    elif left_default is None and right_default is not None:
        details.append(ValueChange(value=right_default, change="undefault"))
    return tuple(details)


def _value_changes(value: PicklistValue, held: PicklistValue | None) -> list[ValueChange]:
    if held is None:
        return [ValueChange(value=value.name, change="add", after=value.label)]
    changes: list[ValueChange] = []
    if not held.active:
        changes.append(ValueChange(value=value.name, change="reactivate"))
    if held.label != value.label:
        changes.append(ValueChange(value=value.name, change="relabel", before=held.label, after=value.label))
    return changes


def _reason(left: Resource, right: Resource, details: Sequence[ValueChange], names: tuple[str, str]) -> str:
    if details:
        return f"{len(details)} value difference{'' if len(details) == 1 else 's'}"
    if isinstance(left, LayoutAssignment) and isinstance(right, LayoutAssignment):
        return f"{names[1]} shows {right.layout!r}"
    if isinstance(left, PermissionSetGrant) and isinstance(right, PermissionSetGrant):
        return f"expires {right.expires or 'never'} in {names[1]}, {left.expires or 'never'} in {names[0]}"
    return "different"


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
    after = change.after
    if change.action is Action.CREATE and isinstance(after, Picklist) and after.target_type != "global_value_set":
        return f"{after.target_name} does not exist in {target}; reconcile does not create fields or value sets"
    return ""
