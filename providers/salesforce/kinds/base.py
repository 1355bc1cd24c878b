"""The contract between ``SalesforceProvider`` and the handler of one resource kind.

A handler serves one kind in one org. When the provider connects it builds one handler of every kind in
the registry (``providers.salesforce.kinds.KINDS``), each from the same ``KindContext``, and dispatches
``read``, ``preflight``, ``apply`` and ``inventory`` of a kind to its handler by the kind's name. The
provider answers empty batches itself: a handler's ``read``, ``preflight`` and ``apply`` always get at
least one item.

What a handler must do (``providers/base.py`` states the same contract for the provider as a whole):

- ``read(keys)``: the live resources among ``keys``, each under the address of the key as it was asked
  (the caller's spelling), keys the org does not have left out; a fixed number of calls per batch,
  never one per key. Live resources carry their Salesforce record ids in ``ids``.
- ``preflight(desired)``: one ``Problem`` per thing that cannot work, with its address and, when a close
  name exists, the hint ``suggestion`` words; it reuses what ``read`` learned and calls as little as it can.
- ``apply(changes)``: one ``ChangeResult`` per change, in order. One bad record is a failed result, never
  an exception; only an org that is unusable as a whole raises (the transport raises ``ProviderError``
  or ``ApiLimitError`` then, and the handler lets it through).
- ``inventory()``: every live resource of the kind, keyed and shaped as ``read`` returns them, sorted by
  address, with the org's spelling of every name; ``{}`` for a kind an org does not hold.

What a handler must not do:

- call the org other than through ``context.transport`` (usage accounting, re-authentication and the
  retry rules live there), or import simple-salesforce;
- import the provider or another kind's module: what several kinds share (transport, session, schema,
  the user and permission-set ``Directory``, names, sObject Collections, SOQL quoting) lives beside
  ``provider.py`` and reaches a handler through the context;
- name a kind by anything but its plain string name (``"picklist"``), as addresses spell it.

A handler may also add its part to snapshots (``reconcile emulator snapshot``, ``providers/salesforce/
snapshot``): a ``seed()`` method (the ``SeedSource`` protocol) returns the seed sections of what the kind
reads, in the shape docs/emulator-seeds.md gives; it reads configuration only, never record data or
secrets, with a fixed number of calls where it can. A handler without ``seed()`` adds nothing.

A handler may remember what it read (ids, live records) for the preflight and apply of the same run;
it lives as long as its provider.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from providers.base import ApexResult
from providers.salesforce.lookups import Directory
from providers.salesforce.schema import Schema
from providers.salesforce.transport import Transport
from reconcile.errors import Problem, closest
from reconcile.model import Address, Change, ChangeResult, Resource


@dataclass(frozen=True)
class KindContext:
    """What the handlers of one org share: its transport, the schema and directory lookups (each fetched
    once and remembered for every kind), and anonymous Apex through the provider (which knows the org id)."""

    transport: Transport
    schema: Schema
    directory: Directory
    run_apex: Callable[[str], ApexResult]


class KindHandler(Protocol):
    """Reads, checks and writes the resources of one kind in one org (see the module docstring)."""

    def read(self, keys: Collection[str]) -> dict[Address, Resource]: ...

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]: ...

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]: ...

    def inventory(self) -> dict[Address, Resource]: ...


#: Seed sections (``{"validation_rules": [...], "objects": [...]}``) a handler adds to a snapshot.
SeedPart = dict[str, Any]


@runtime_checkable
class SeedSource(Protocol):
    """A handler that adds its part to snapshots (see the module docstring)."""

    def seed(self) -> SeedPart: ...


#: How the registry makes a handler: a handler class, called with the org's context.
HandlerFactory = Callable[[KindContext], KindHandler]


def suggestion(name: str, choices: Collection[str]) -> str:
    """The hint ``did you mean X?`` for the choice closest to ``name``, compared case-insensitively as
    Salesforce compares names (``X`` as the org spells it); empty when none is close."""
    match = closest(name, choices, ignore_case=True)
    return f"did you mean {match}?" if match is not None else ""
