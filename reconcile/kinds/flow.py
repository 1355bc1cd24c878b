"""``flow``: which version of a flow is active.

Address: ``flow:Lead_Routing`` (a managed flow: ``flow:ns__Lead_Routing``).

Salesforce deploys flows to production inactive; this kind activates the wanted version after the deploy.
``active_version`` is ``"latest"`` (the flow's newest version, resolved against the org when planning),
a version number, or ``"none"`` (no version active). A live resource carries the active and the latest
version numbers as the org reports them; a planned change's ``after`` carries the resolved number (or
``"none"``), which is what the provider writes.

Ownership: only the active version is set. A flow cannot be created or deleted here (a deploy creates
it), so one leaving the configuration is forgotten: the plan shows ``forget`` and the org is left as it
is. A flow the org does not hold is a preflight error, not something the plan creates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Strict

from reconcile.config.schema import PLACEHOLDER, Entry
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

#: What ``active_version`` holds: a version number, ``"latest"`` or ``"none"``.
Version = int | Literal["latest", "none"]
#: A version as an org reports it: a number, or ``"none"`` when no version is active.
LiveVersion = int | Literal["none"]

_FLOW_NAME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*__)?[A-Za-z][A-Za-z0-9_]*$")


def _flow_name(value: str) -> str:
    if PLACEHOLDER not in value and not _FLOW_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a flow API name (letters, digits and '_', e.g. Lead_Routing; "
            "a managed flow: ns__Lead_Routing)"
        )
    return value


def _active_version(value: Any) -> Any:
    if value in ("latest", "none") or (type(value) is int and value > 0):
        return value
    raise ValueError('must be "latest", "none" or a version number (1, 2, ...)')


FlowName = Annotated[str, Strict(), AfterValidator(_flow_name)]
ActiveVersion = Annotated[Version, BeforeValidator(_active_version)]


class FlowEntry(Entry):
    """``[[flow]]``: the version of a flow that is active."""

    DESCRIPTION = (
        "Which version of a flow is active. Salesforce deploys flows to production inactive; this activates "
        "the wanted version (only the active version is managed; the flow itself comes from a deploy)."
    )
    KEY_DOCS = {
        "name": "The flow's API name (its developer name), e.g. `Lead_Routing`; a managed flow's with its "
        "namespace, e.g. `ns__Lead_Routing`.",
        "active_version": 'The version to activate: `"latest"` (the newest version in the org when planning), '
        'a version number such as `4`, or `"none"` to deactivate the flow.',
    }
    EXAMPLES = {"name": "Lead_Routing", "active_version": "latest"}

    name: FlowName
    active_version: ActiveVersion


class Flow(Resource):
    """A flow's active version. ``active_version`` is the wanted version (a number, ``"latest"`` or
    ``"none"``; in a live resource, the active one); ``active`` and ``latest`` are the version numbers the
    org reports (None when not read from the org, or no version is active)."""

    kind: Literal["flow"] = "flow"
    name: str
    active_version: Version
    active: int | None = None
    latest: int | None = None

    @property
    def key(self) -> str:
        return self.name

    @property
    def live_version(self) -> LiveVersion:
        """The version the org has active, as ``active_version`` spells it."""
        return self.active if self.active is not None else "none"


def resolve(wanted: Version, latest: int | None) -> LiveVersion:
    """The version number ``wanted`` means in an org whose newest version is ``latest``."""
    if wanted == "latest":
        return latest if latest is not None else "none"
    return wanted


def describe(version: Version, latest: int | None = None) -> str:
    """How a version reads in a plan: ``4``, ``4 (latest)`` (it is the org's newest) or ``none``."""
    return f"{version} (latest)" if version == latest else str(version)


class FlowKind(ResourceKind[FlowEntry, Flow]):
    name = "flow"
    entry = FlowEntry
    resource = Flow
    switchable = True

    def switched_off(self, live: Flow) -> Flow:
        """No version active (``[[apex]] disable``); switched back on, the version that was active."""
        return live.model_copy(update={"active_version": "none", "active": None})

    def expand(self, entry: FlowEntry, org: Expansion) -> list[Flow]:
        return [Flow(name=org.sub(entry.name), active_version=entry.active_version)]

    def plan(self, desired: Flow, live: Flow | None, entry: StateEntry | None, context: PlanContext) -> Change | None:
        if live is None:
            return Change(address=desired.address, action=Action.CREATE, after=desired, reason="not in the org")
        wanted = resolve(desired.active_version, live.latest)
        if wanted == live.live_version:
            return None
        after = live.model_copy(update={"active_version": wanted, "active": None if wanted == "none" else wanted})
        reason = f"active version {live.live_version} -> {describe(wanted, live.latest)}"
        return Change(address=desired.address, action=Action.UPDATE, before=live, after=after, reason=reason)

    def plan_removal(self, address: Address, live: Flow | None, entry: StateEntry) -> Change:
        reason = "no longer declared: the flow stays as it is in the org, no longer managed"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before if isinstance(change.before, Flow) else None
        after = change.after if isinstance(change.after, Flow) else None
        if before is not None and after is not None:
            return [("~", f"active version: {before.live_version} -> {describe(after.active_version, before.latest)}")]
        if after is not None:
            return [("+", f"active version: {describe(after.active_version)} (the flow is not in the org)")]
        if change.action is Action.FORGET and before is not None:
            return [(" ", f"active version: {before.live_version} (stays in the org, no longer managed)")]
        return []

    def comparable(self, resource: Flow) -> Any:
        return resolve(resource.active_version, resource.latest)

    def compare(self, source: Flow, target: Flow, after: Flow, names: tuple[str, str]) -> Change | None:
        if source.live_version == target.live_version:
            return None
        update = {"active_version": source.live_version, "active": source.active}
        return Change(
            address=target.address,
            action=Action.UPDATE,
            before=target,
            after=target.model_copy(update=update),
            reason=self.diff_reason(source, target, names),
        )

    def diff_reason(self, source: Flow, target: Flow, names: tuple[str, str]) -> str:
        return f"active version {source.live_version} in {names[0]}, {target.live_version} in {names[1]}"

    def export(self, resources: Sequence[Flow], org: str, suffix: str) -> Exported:
        """One entry per flow with the version the org has active (a number, or "none"), by name."""
        ordered = sorted(resources, key=lambda flow: flow.name.casefold())
        entries = [{"name": f.name, "active_version": f.live_version, "orgs": [org]} for f in ordered]
        return entries, []
