"""The desired configuration of one org, after expansion of the config for that org."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconcile.errors import Location
from reconcile.model import Address, Resource


@dataclass(frozen=True)
class DesiredOrg:
    """What one org must look like.

    ``resources`` are fanned out (one grant per user, usernames with the org's suffix; one layout
    assignment per profile) with variables substituted. ``edges`` are ``(first, then)`` pairs: ``first``
    is applied before ``then``. ``locations`` say where each address was declared. ``exclusive`` lists
    group addresses (``permission_set_grant:Sales_Ops``: see ``ResourceKind.exclusive_groups``) whose
    undeclared live members are removed. ``replace`` lists addresses to act on even when they are in sync
    (``--replace``: a ``once`` script run again on purpose; see ``ResourceKind.replaceable``).
    """

    org: str
    resources: Mapping[Address, Resource] = field(default_factory=dict)
    edges: frozenset[tuple[Address, Address]] = frozenset()
    locations: Mapping[Address, Location] = field(default_factory=dict)
    exclusive: frozenset[Address] = frozenset()
    replace: frozenset[Address] = frozenset()
