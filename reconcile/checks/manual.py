"""Manual steps: which are pending in an org, and how a confirmation is recorded.

A step is confirmed in an org when the org's state holds an entry at ``manual_step:NAME`` whose
``instructions_sha256`` is the sha256 of the step's current instructions; a confirmation of other
instructions does not count (the step is pending again, and says so). ``confirmation_entry`` builds that
state entry; the state file format is unchanged (it is an ordinary resource entry).
"""

from __future__ import annotations

from datetime import datetime

from reconcile.checks.entry import ManualStepEntry
from reconcile.config.schema import Config
from reconcile.errors import ReconcileError, did_you_mean
from reconcile.model import Frozen
from state.base import OrgState, StateEntry

KIND = "manual_step"


class PendingStep(Frozen):
    """A manual step not (or no longer) confirmed in an org; ``reason`` says which."""

    name: str
    instructions: str
    reason: str


class Confirmation(Frozen):
    """Who confirmed a manual step in an org, when, and with what note."""

    name: str
    by: str
    at: str
    note: str = ""
    current: bool = True


def address(name: str) -> str:
    return f"{KIND}:{name}"


def steps_for(config: Config, org: str) -> list[ManualStepEntry]:
    """The manual steps that apply to ``org``, in declaration order."""
    chosen = config.orgs[org]
    return [e for e in config.entries if isinstance(e, ManualStepEntry) and e.applies_to(chosen)]


def confirmation(org_state: OrgState | None, step: ManualStepEntry) -> Confirmation | None:
    entry = org_state.resources.get(address(step.name)) if org_state is not None else None
    if entry is None:
        return None
    attributes = entry.attributes
    return Confirmation(
        name=step.name,
        by=str(attributes.get("confirmed_by", "")),
        at=str(attributes.get("confirmed_at", "")),
        note=str(attributes.get("note", "")),
        current=attributes.get("instructions_sha256") == step.digest,
    )


def pending_steps(config: Config, org: str, org_state: OrgState | None) -> tuple[PendingStep, ...]:
    """The steps of ``org`` still to do, in declaration order."""
    pending: list[PendingStep] = []
    for step in steps_for(config, org):
        done = confirmation(org_state, step)
        if done is not None and done.current:
            continue
        reason = (
            "never confirmed" if done is None else f"instructions changed since {done.by} confirmed it on {done.at}"
        )
        pending.append(PendingStep(name=step.name, instructions=step.instructions, reason=reason))
    return tuple(pending)


def find_step(config: Config, org: str, name: str) -> ManualStepEntry:
    """The step ``manual:NAME`` (or ``manual_step:NAME``) names in ``org``; ``ReconcileError`` otherwise."""
    bare = name.split(":", 1)[1] if name.startswith(("manual:", f"{KIND}:")) else name
    steps = steps_for(config, org)
    for step in steps:
        if step.name == bare:
            return step
    names = [step.name for step in steps]
    listed = ", ".join(names) or "none"
    raise ReconcileError(
        f"org {org} has no manual step '{bare}'{did_you_mean(bare, names)} (its manual steps: {listed})"
    )


def confirmation_entry(step: ManualStepEntry, by: str, note: str, at: datetime) -> StateEntry:
    """The state entry recording that ``by`` did ``step`` at ``at``."""
    attributes = {
        "name": step.name,
        "instructions_sha256": step.digest,
        "confirmed_by": by,
        "confirmed_at": at.isoformat(timespec="seconds"),
        "note": note,
    }
    return StateEntry(kind=KIND, attributes=attributes, applied_at=at)


def confirmations(config: Config, org: str, org_state: OrgState | None) -> list[Confirmation]:
    """The confirmations recorded for ``org``'s current steps (the report shows who confirmed what)."""
    found = [confirmation(org_state, step) for step in steps_for(config, org)]
    return [done for done in found if done is not None]


def org_steps(config: Config, org: str, org_state: OrgState | None) -> list[tuple[str, str, Confirmation | None]]:
    """Every step of ``org``: its name, instructions and current confirmation (None while pending)."""
    found: list[tuple[str, str, Confirmation | None]] = []
    for step in steps_for(config, org):
        done = confirmation(org_state, step)
        found.append((step.name, step.instructions, done if done is not None and done.current else None))
    return found
