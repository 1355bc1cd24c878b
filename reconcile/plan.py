"""The plan: plain frozen data. Rendering (reconcile/render_*) and saving (reconcile/planfile) are separate.

A plan holds, per org, the org's identity, its ordered changes, how many managed resources are already
in sync, warnings and errors (problems that stop that org from being applied). It embeds the config
digest and the state lineage/serial it was computed from, and each change carries the fingerprint of the
live resource it was computed from, so a saved plan can be checked for staleness before it is applied.
"""

from __future__ import annotations

from datetime import datetime

from reconcile.checks.manual import PendingStep
from reconcile.model import Action, Change, Frozen

FORMAT_VERSION = 1


class Summary(Frozen):
    create: int = 0
    update: int = 0
    delete: int = 0
    forget: int = 0
    run: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return self.create + self.update + self.delete + self.forget + self.run


class OrgPlan(Frozen):
    """One org's part of a plan. ``errors`` non-empty means this org must not be applied. ``is_sandbox`` is
    None when the org could not be read (its identity is unknown); ``protected`` orgs are applied only
    when named with ``--org``."""

    org: str
    org_id: str = ""
    org_name: str = ""
    is_sandbox: bool | None = None
    protected: bool = False
    changes: tuple[Change, ...] = ()
    unchanged: int = 0
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    api_calls: int = 0
    api_remaining: int | None = None
    #: Manual steps not confirmed in this org (``reconcile confirm``); they change nothing when applied.
    manual_steps: tuple[PendingStep, ...] = ()

    @property
    def summary(self) -> Summary:
        counts = {action: 0 for action in Action}
        for change in self.changes:
            counts[change.action] += 1
        return Summary(
            create=counts[Action.CREATE],
            update=counts[Action.UPDATE],
            delete=counts[Action.DELETE],
            forget=counts[Action.FORGET],
            run=counts[Action.RUN],
            unchanged=self.unchanged,
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


class Plan(Frozen):
    """A whole plan across the selected orgs, orgs sorted by name."""

    format_version: int = FORMAT_VERSION
    created_at: datetime
    config_digest: str
    state_lineage: str
    state_serial: int
    orgs: tuple[OrgPlan, ...] = ()

    @property
    def has_changes(self) -> bool:
        return any(org.has_changes for org in self.orgs)

    @property
    def has_pending_steps(self) -> bool:
        """Whether a manual step is pending in some org (``--detailed-exitcode`` counts it as a change)."""
        return any(org.manual_steps for org in self.orgs)

    @property
    def has_errors(self) -> bool:
        return any(org.errors for org in self.orgs)

    def org(self, name: str) -> OrgPlan:
        for org_plan in self.orgs:
            if org_plan.org == name:
                return org_plan
        raise KeyError(name)
