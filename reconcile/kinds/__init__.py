"""The registry of resource kinds: the only place that lists them.

Each module of this package defines one kind (see ``reconcile.kinds.base``) and the registry below holds
an instance of each, in the order kinds are applied when nothing else orders them and listed in help and
messages. The engine looks kinds up here by name and never imports a kind module. ``register`` adds a
kind at run time (a plug-in, or a test's toy kind); ``unregister`` removes it again.
"""

from __future__ import annotations

from typing import Any

from reconcile.config.schema import Entry
from reconcile.errors import did_you_mean
from reconcile.kinds.apex import ApexKind
from reconcile.kinds.base import ResourceKind
from reconcile.kinds.check import CheckKind
from reconcile.kinds.custom_metadata import CustomMetadataKind
from reconcile.kinds.custom_setting import CustomSettingKind
from reconcile.kinds.duplicate_rule import DuplicateRuleKind
from reconcile.kinds.flow import FlowKind
from reconcile.kinds.group_membership import GroupMembershipKind
from reconcile.kinds.layout_assignment import LayoutAssignmentKind
from reconcile.kinds.manual_step import ManualStepKind
from reconcile.kinds.named_credential import NamedCredentialKind
from reconcile.kinds.permission_set_grant import PermissionSetGrantKind
from reconcile.kinds.picklist import PicklistKind
from reconcile.kinds.record_type_picklist import RecordTypePicklistKind
from reconcile.kinds.record_type_visibility import RecordTypeVisibilityKind
from reconcile.kinds.remote_site import RemoteSiteKind
from reconcile.kinds.scheduled_job import ScheduledJobKind
from reconcile.kinds.validation_rule import ValidationRuleKind
from reconcile.model import Address, register_resource, unregister_kind

AnyKind = ResourceKind[Any, Any]

_REGISTRY: dict[str, AnyKind] = {}
_ORDER: dict[str, int] = {}  # name -> position in _REGISTRY, rebuilt when the registry changes


def register(kind: AnyKind) -> None:
    """Add ``kind`` (after the kinds already registered); a second kind of the same name replaces it."""
    _REGISTRY[kind.name] = kind
    register_resource(kind.name, kind.resource)
    _ORDER.clear()


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)
    unregister_kind(name)
    _ORDER.clear()


def get(name: str) -> AnyKind:
    """The kind called ``name``; ``KeyError`` naming the kinds there are (with a suggestion) otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown kind '{name}'{did_you_mean(name, _REGISTRY)} (kinds: {', '.join(_REGISTRY)})"
        ) from None


def of(address: Address) -> AnyKind:
    return get(address.kind)


def for_entry(entry: Entry) -> AnyKind:
    """The kind whose TOML entry model ``entry`` is."""
    for kind in _REGISTRY.values():
        if type(entry) is kind.entry:
            return kind
    raise KeyError(f"no kind reads {type(entry).__name__} entries")


def all_kinds() -> tuple[AnyKind, ...]:
    """Every kind, in registry order."""
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def readable() -> tuple[AnyKind, ...]:
    """The kinds an org holds (read, drifted, diffed and imported); actions such as apex are not."""
    return tuple(kind for kind in _REGISTRY.values() if kind.read_from_org)


def order(name: str) -> int:
    """A kind's position in the registry (kinds sort by it); ``ValueError`` for an unknown kind."""
    if not _ORDER:
        _ORDER.update((kind, position) for position, kind in enumerate(_REGISTRY))
    try:
        return _ORDER[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a registered kind") from None


for _kind in (
    PicklistKind(),
    LayoutAssignmentKind(),
    PermissionSetGrantKind(),
    ValidationRuleKind(),
    DuplicateRuleKind(),
    FlowKind(),
    ScheduledJobKind(),
    RemoteSiteKind(),
    NamedCredentialKind(),
    CustomSettingKind(),
    CustomMetadataKind(),
    RecordTypePicklistKind(),
    RecordTypeVisibilityKind(),
    GroupMembershipKind(),
    ApexKind(),
    CheckKind(),
    ManualStepKind(),
):
    register(_kind)
