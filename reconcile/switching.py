"""Switching resources off while a script runs, and back on after (``[[apex]] disable``).

Data backfills trip validation rules and flows, so a script may name resources to switch off while it
runs. The contract, kept by the executor with these helpers:

1. read the named resources (one read per kind); what is not in the org, or cannot be switched off, stops
   the script before anything changes;
2. record in state what each one was (``OrgState.restore``) before switching anything off, so a process
   killed half-way leaves the next plan what to switch back (``restore_changes``);
3. switch them off (one write per kind), run the script, and switch them back on whatever the script did;
   a resource switched back drops its ``restore`` entry, one that could not be stays for the next plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from providers.base import Provider
from reconcile import kinds
from reconcile.errors import ProviderError
from reconcile.model import Action, Address, Change, Resource, resource_type
from state.base import OrgState, StateEntry

RESTORE_REASON = "switched back on: a script that switched it off was interrupted"


@dataclass(frozen=True)
class Switched:
    """One resource a script switches off: as it was (``live``) and as it is while the script runs."""

    address: Address
    live: Resource
    off: Resource

    def change(self, *, switching_off: bool) -> Change:
        before, after = (self.live, self.off) if switching_off else (self.off, self.live)
        reason = "switched off while a script runs" if switching_off else "switched back on after the script"
        return Change(address=self.address, action=Action.UPDATE, before=before, after=after, reason=reason)

    def restore_entry(self) -> StateEntry:
        return StateEntry(kind=self.address.kind, ids=dict(self.live.ids), attributes=self.live.attributes())


class Switcher:
    """Switches resources off around one script run (``label``, its address) for the executor: ``commit``
    applies an update to the org's state and persists it, ``report`` shows progress."""

    def __init__(
        self,
        provider: Provider,
        commit: Callable[[Callable[[OrgState], None]], None],
        report: Callable[[str], None],
        label: str,
    ) -> None:
        self.provider = provider
        self.commit = commit
        self.report = report
        self.label = label

    def note(self, text: str) -> None:
        self.report(f"{self.label}: {text}")

    def off(self, addresses: Sequence[Address]) -> tuple[list[Switched], str]:
        """Switch ``addresses`` off once state records what to switch back; or say why the script must not
        run (then nothing is left switched off)."""
        if not addresses:
            return [], ""
        try:
            switched, problem = plan_switch(self.provider, addresses)
        except ProviderError as exc:
            return [], f"not run: cannot read what the script switches off: {exc}"
        if problem or not switched:
            return [], f"not run: {problem}" if problem else ""
        entries = {str(item.address): item.restore_entry() for item in switched}

        def remember(state: OrgState) -> None:
            state.restore.update(entries)

        self.commit(remember)
        problems = apply_switch(self.provider, switched, switching_off=True)
        if problems:
            self.back(switched)
            return [], "not run: could not switch off " + "; ".join(problems)
        self.note("switched off " + ", ".join(str(item.address) for item in switched))
        return switched, ""

    def back(self, switched: Sequence[Switched]) -> str:
        """Switch back on; "" when all are back, else the org-level error (they stay in ``restore``)."""
        if not switched:
            return ""
        problems = apply_switch(self.provider, switched, switching_off=False)
        failed = {problem.split(": ", 1)[0] for problem in problems}
        back = [str(item.address) for item in switched if str(item.address) not in failed]

        def forget(state: OrgState) -> None:
            for key in back:
                state.restore.pop(key, None)

        self.commit(forget)
        if problems:
            return "could not switch back on " + "; ".join(problems) + " (the next plan switches them back)"
        self.note("switched back on " + ", ".join(back))
        return ""


def plan_switch(provider: Provider, addresses: Sequence[Address]) -> tuple[list[Switched], str]:
    """What switching ``addresses`` off means in this org (those already off are left out), or why it
    cannot be done (a resource missing from the org)."""
    live: dict[Address, Resource] = {}
    for kind, keys in _by_kind(addresses).items():
        live.update(provider.read(kind, keys))
    missing = [str(address) for address in addresses if address not in live]
    if missing:
        return [], f"cannot switch off {', '.join(missing)}: not in the org"
    switched: list[Switched] = []
    for address in addresses:
        off = kinds.of(address).switched_off(live[address])
        if off is None:
            return [], f"cannot switch off {address}: {address.kind} cannot be switched off"
        if off.attributes() != live[address].attributes():
            switched.append(Switched(address, live[address], off))
    return switched, ""


def apply_switch(provider: Provider, items: Iterable[Switched], *, switching_off: bool) -> list[str]:
    """Write the items off (or back on), one write per kind; the problems, each naming its address."""
    grouped: dict[str, list[Change]] = {}
    for item in items:
        grouped.setdefault(item.address.kind, []).append(item.change(switching_off=switching_off))
    problems: list[str] = []
    for kind, changes in grouped.items():
        try:
            results = provider.apply(kind, changes)
        except ProviderError as exc:
            problems += [f"{change.address}: {exc}" for change in changes]
            continue
        problems += [f"{result.address}: {result.message}" for result in results if not result.ok]
    return problems


def restore_changes(prior: OrgState, current: Mapping[Address, Resource]) -> list[Change]:
    """The changes that switch back what an interrupted script left switched off (state ``restore``)."""
    changes: list[Change] = []
    for text, entry in sorted(prior.restore.items()):
        address = Address.parse(text)
        live = current.get(address)
        stored = resource_type(entry.kind).model_validate({**entry.attributes, "kind": entry.kind})
        if live is None or live.attributes() == stored.attributes():
            continue
        after = stored.model_copy(update={"ids": live.ids})
        changes.append(Change(address=address, action=Action.UPDATE, before=live, after=after, reason=RESTORE_REASON))
    return changes


def restore_addresses(prior: OrgState) -> list[Address]:
    return [Address.parse(text) for text in sorted(prior.restore)]


def _by_kind(addresses: Iterable[Address]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for address in addresses:
        grouped.setdefault(address.kind, []).append(address.key)
    return grouped
