"""``apex``: an anonymous Apex script and its run policy.

Address: ``apex:backfill-tiers``. A script is an action, not something an org holds: it is never read
from the org, drifted, diffed or imported. It runs per its policy against the org's run ledger in state
(``once`` until a run succeeds, ``on_change`` again when the file's sha256 changed since the last
successful run, ``always``). A ledger recorded for another org id (a refreshed sandbox adopted with
--allow-org-change) does not count: that is a new org. Runs happen one at a time, in dependency order;
every run, failed ones too, joins the ledger.

``disable`` lists resources (validation rules, flows: kinds that can be switched off) to switch off while
the script runs — data backfills trip validation rules and flows — and back on after, also when the script
fails. What must be switched back is recorded in state before anything is switched off, so a run killed
half-way is restored by the next plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from providers.base import APEX_MAX_CHARS, ApexResult, Provider
from reconcile.config.schema import Entry, EntryFiles, Name, NonEmpty, Reference
from reconcile.kinds.base import DetailLine, Expansion, PlanContext, ResourceKind
from reconcile.model import Action, Address, Change, Resource, sha256_hex
from state.base import ApexRun, OrgState, StateEntry

#: How many lines of a script a ``run`` change shows.
SCRIPT_PREVIEW_LINES = 3


class ApexEntry(Entry):
    """``[[apex]]``: an anonymous Apex script and when it runs. Once loaded, ``file`` is relative to the
    config directory (posix form), ``body`` is the script and ``sha256`` the hash of ``body``."""

    INTERNAL = frozenset({"location", "title", "body", "sha256"})
    DESCRIPTION = "An anonymous Apex script and when it runs."
    KEY_DOCS = {
        "name": "The script's name: its address is `apex:NAME` and its runs are recorded under it.",
        "file": "The script, relative to the configuration directory (it must stay inside it): UTF-8, at "
        "most 32,000 characters.",
        "run": "`once`: until a run succeeds in the org. `on_change`: again whenever the file's content "
        "changed since the last successful run. `always`: on every apply.",
        "before": "Addresses to apply after this script (the reverse of `after`).",
        "disable": "Addresses switched off while the script runs and switched back after, also when it fails "
        "(validation rules, flows: e.g. `validation_rule:Account.Require_Tier`). They are applied before the "
        "script; what must be switched back is kept in state, so an interrupted run is restored by the next "
        "plan.",
    }
    EXAMPLES = {
        "name": "backfill-tiers",
        "file": "scripts/backfill_tiers.apex",
        "run": "on_change",
        "before": ["permission_set_grant:Sales_Ops"],
        "disable": ["validation_rule:Account.Require_Tier"],
    }
    CONSTRAINTS = {"name": {"pattern": "^[A-Za-z0-9_-]+$"}}

    name: Name
    file: NonEmpty
    run: Literal["once", "on_change", "always"] = "once"
    before: tuple[Reference, ...] = ()
    disable: tuple[Reference, ...] = ()
    body: str = ""
    sha256: str = ""

    def references(self) -> list[tuple[str, str]]:
        return (
            super().references()
            + [("before", reference) for reference in self.before]
            + [("disable", reference) for reference in self.disable]
        )

    def load_files(self, files: EntryFiles) -> ApexEntry | None:
        """Read the script: inside the configuration directory, UTF-8, at most ``APEX_MAX_CHARS``."""
        read = files.read("file", self.file)
        if read is None:
            return None
        relative, body = read
        if len(body) > APEX_MAX_CHARS:
            message = (
                f"apex file {self.file} has {len(body):,} characters; executeAnonymous accepts "
                f"at most {APEX_MAX_CHARS:,}"
            )
            files.problem("file", message, "split the script into several [[apex]] entries")
            return None
        return self.model_copy(update={"file": relative, "body": body, "sha256": sha256_hex(body)})


class ApexScript(Resource):
    """An anonymous Apex script and its run policy. ``body`` is not compared or stored in state."""

    kind: Literal["apex"] = "apex"
    name: str
    file: str
    sha256: str
    run: Literal["once", "on_change", "always"] = "once"
    disable: tuple[Address, ...] = ()
    body: str = ""

    @property
    def key(self) -> str:
        return self.name

    def attributes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"ids", "kind", "body"})


class ApexKind(ResourceKind[ApexEntry, ApexScript]):
    name = "apex"
    entry = ApexEntry
    resource = ApexScript
    read_from_org = False
    batched = False
    noun = "apex scripts"
    replaceable = True

    def expand(self, entry: ApexEntry, org: Expansion) -> list[ApexScript]:
        return [ApexScript(name=entry.name, file=entry.file, sha256=entry.sha256, run=entry.run, body=entry.body)]

    def plan(
        self, desired: ApexScript, live: ApexScript | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        runs = context.prior.apex_runs.get(desired.name, []) if context.same_org else []
        if desired.run == "always":
            reason = "run = always"
        else:
            succeeded = [run for run in runs if run.success]
            if not succeeded:
                reason = "last run failed" if runs else "never ran in this org"
            elif desired.address in context.replace:
                reason = "ran before; run again on request (--replace)"
            elif desired.run == "once" or any(run.sha256 == desired.sha256 for run in succeeded):
                return None
            else:
                reason = "file changed since last successful run"
        return Change(address=desired.address, action=Action.RUN, after=desired, reason=reason)

    def bind_references(self, resource: ApexScript, key: str, addresses: Sequence[Address]) -> ApexScript:
        if key != "disable":
            return resource
        return resource.model_copy(update={"disable": tuple(dict.fromkeys((*resource.disable, *addresses)))})

    def reference_problem(self, key: str, target: ResourceKind[Any, Any]) -> str:
        if key == "disable" and not target.switchable:
            return f"{target.name} cannot be switched off while a script runs"
        return ""

    def switched_off_during(self, change: Change) -> tuple[Address, ...]:
        return change.after.disable if isinstance(change.after, ApexScript) else ()

    def run(self, provider: Provider, change: Change) -> ApexResult | None:
        script = change.after
        if not isinstance(script, ApexScript):
            return None
        return provider.run_apex(script.body)

    def record_run(self, org_state: OrgState, change: Change, ok: bool, at: datetime) -> None:
        script = change.after
        if isinstance(script, ApexScript):
            org_state.apex_runs.setdefault(script.name, []).append(ApexRun(sha256=script.sha256, at=at, success=ok))

    def detail_lines(self, change: Change) -> list[DetailLine]:
        """The file, its run policy, the full sha256 and the first lines of the script (when known)."""
        script = change.after
        if not isinstance(script, ApexScript):
            return []
        lines: list[DetailLine] = [
            (" ", f"file: {script.file} (run {script.run})"),
            (" ", f"sha256: {script.sha256}"),
        ]
        body = script.body.splitlines()
        lines += [(" ", f"| {line}".rstrip()) for line in body[:SCRIPT_PREVIEW_LINES]]
        hidden = len(body) - SCRIPT_PREVIEW_LINES
        if hidden > 0:
            lines.append((" ", f"| ... {hidden} more line{'' if hidden == 1 else 's'}"))
        if script.disable:
            switched = ", ".join(str(address) for address in script.disable)
            lines.append((" ", f"switched off while it runs, then back on: {switched}"))
        return lines
