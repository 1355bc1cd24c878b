"""``duplicate_rule``: whether a duplicate rule of an object is active.

Address: ``duplicate_rule:Account.Standard_Account_Duplicate_Rule`` (the object's API name, a dot, the
rule's developer name: the rule's Metadata API fullName).

Ownership: the tool only switches ``active``; it never creates, edits or deletes a rule (its matching
rules, actions and alert text belong to the deploy or the admin that made it). A rule the org does not
have is a preflight error. A rule leaving the configuration is forgotten: the plan shows ``forget`` and
the org keeps the rule as it is, active or not (switching it back would undo a choice someone may have
made since).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Strict

from reconcile.config.schema import PLACEHOLDER, Bool, Entry
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

_RULE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$")


def _rule_name(value: str) -> str:
    if PLACEHOLDER not in value and not _RULE.match(value):
        raise ValueError(f"{value!r} must look like Object.Rule_Name, e.g. Account.Standard_Account_Duplicate_Rule")
    return value


RuleName = Annotated[str, Strict(), AfterValidator(_rule_name)]


class DuplicateRuleEntry(Entry):
    """``[[duplicate_rule]]``: one duplicate rule and whether it must be active."""

    DESCRIPTION = (
        "Whether a duplicate rule is active. Only `active` is switched: the rule itself (matching rules, "
        "actions, alert text) is deployed with the metadata, and a rule that leaves the configuration is left "
        "as it is."
    )
    KEY_DOCS = {
        "rule": "The rule as `Object.Rule_Name`: the object's API name and the rule's developer name, "
        "e.g. `Account.Standard_Account_Duplicate_Rule` or `Lead.Standard_Lead_Duplicate_Rule`.",
        "active": "`true` to activate the rule, `false` to deactivate it.",
    }
    EXAMPLES = {"rule": "Account.Standard_Account_Duplicate_Rule", "active": True}
    CONSTRAINTS = {"rule": {"pattern": _RULE.pattern}}

    rule: RuleName
    active: Bool


class DuplicateRule(Resource):
    """A duplicate rule of an object and whether it is active (``ids``: the rule's record id)."""

    kind: Literal["duplicate_rule"] = "duplicate_rule"
    object: str
    rule: str
    active: bool

    @property
    def key(self) -> str:
        return f"{self.object}.{self.rule}"


def split_rule(key: str) -> tuple[str, str]:
    """``Account.Standard_Account_Duplicate_Rule`` -> ``("Account", "Standard_Account_Duplicate_Rule")``."""
    object_name, _, rule = key.partition(".")
    return object_name, rule


def _state(active: bool) -> str:
    return "true" if active else "false"


class DuplicateRuleKind(ResourceKind[DuplicateRuleEntry, DuplicateRule]):
    name = "duplicate_rule"
    entry = DuplicateRuleEntry
    resource = DuplicateRule
    noun = "duplicate rules"
    switchable = True

    def switched_off(self, live: DuplicateRule) -> DuplicateRule:
        return live.model_copy(update={"active": False})

    def expand(self, entry: DuplicateRuleEntry, org: Expansion) -> list[DuplicateRule]:
        object_name, rule = split_rule(org.sub(entry.rule))
        return [DuplicateRule(object=object_name, rule=rule, active=entry.active)]

    def plan(
        self, desired: DuplicateRule, live: DuplicateRule | None, entry: StateEntry | None, context: PlanContext
    ) -> Change | None:
        if live is None:
            return None  # the tool never creates a rule: the provider's preflight reports it missing
        if live.active == desired.active:
            return None
        return Change(
            address=desired.address,
            action=Action.UPDATE,
            before=live,
            after=desired.model_copy(update={"ids": live.ids}),
            reason=f"active {_state(live.active)} -> {_state(desired.active)}",
        )

    def plan_removal(self, address: Address, live: DuplicateRule | None, entry: StateEntry) -> Change:
        reason = "no longer declared: the rule stays as it is in the org, no longer managed"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before.active if isinstance(change.before, DuplicateRule) else None
        after = change.after.active if isinstance(change.after, DuplicateRule) else None
        if before is not None and after is not None:
            return [("~", f"active: {_state(before)} -> {_state(after)}")]
        if after is not None:
            return [("+", f"active: {_state(after)}")]
        if before is not None:
            return [(" ", f"active: {_state(before)} (stays in the org, no longer managed)")]
        return []

    def diff_reason(self, source: DuplicateRule, target: DuplicateRule, names: tuple[str, str]) -> str:
        return f"{names[1]} has it {'active' if target.active else 'inactive'}"

    def export(self, resources: Sequence[DuplicateRule], org: str, suffix: str) -> Exported:
        """One entry per rule, sorted by object and rule name."""
        ordered = sorted(resources, key=lambda r: (r.object.casefold(), r.rule.casefold()))
        entries: list[dict[str, Any]] = [{"rule": rule.key, "active": rule.active, "orgs": [org]} for rule in ordered]
        return entries, []
