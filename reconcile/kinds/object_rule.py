"""What validation rules and duplicate rules share: a rule of an object that the tool switches on or off.

Such a kind is addressed ``<kind>:Object.Rule_Name``, its entry is ``rule = "Object.Rule_Name"`` and
``active``, and its ownership rule is the same: the tool only switches ``active``, never creates, edits or
deletes a rule (a rule the org does not have is left to the provider's preflight), and a rule leaving the
configuration is forgotten (the org keeps it as it is). A kind module subclasses the three classes below
and adds its name, documentation and examples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar, cast

from pydantic import field_validator

from reconcile.config.schema import PLACEHOLDER, Bool, Entry, Str
from reconcile.kinds.base import DetailLine, Expansion, Exported, PlanContext, ResourceKind
from reconcile.model import Action, Address, Change, Resource
from state.base import StateEntry

RULE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$")


class ObjectRuleEntry(Entry):
    """``rule`` (``Object.Rule_Name``; ``RULE_EXAMPLE`` shows one in the error) and whether it must be
    ``active``."""

    CONSTRAINTS = {"rule": {"pattern": RULE_PATTERN.pattern}}
    RULE_EXAMPLE: ClassVar[str] = "Account.Require_Tier"

    rule: Str
    active: Bool

    @field_validator("rule")
    @classmethod
    def _rule_name(cls, value: str) -> str:
        if PLACEHOLDER not in value and not RULE_PATTERN.match(value):
            raise ValueError(f"{value!r} must look like Object.Rule_Name, e.g. {cls.RULE_EXAMPLE}")
        return value


class ObjectRule(Resource):
    """A rule of an object and whether it is active (``ids``: the rule's record id)."""

    object: str
    rule: str
    active: bool

    @property
    def key(self) -> str:
        return f"{self.object}.{self.rule}"


def split_rule(key: str) -> tuple[str, str]:
    """``Account.Require_Tier`` -> ``("Account", "Require_Tier")`` (names hold no dot)."""
    object_name, _, rule = key.partition(".")
    return object_name, rule


def _state(active: bool) -> str:
    return "true" if active else "false"


E = TypeVar("E", bound=ObjectRuleEntry)
R = TypeVar("R", bound=ObjectRule)


class ObjectRuleKind(ResourceKind[E, R]):
    """The hooks of a switch-on-or-off rule kind (see the module docstring)."""

    switchable = True

    def switched_off(self, live: R) -> R:
        return live.model_copy(update={"active": False})

    def expand(self, entry: E, org: Expansion) -> list[R]:
        object_name, rule = split_rule(org.sub(entry.rule))
        fields = {"object": object_name, "rule": rule, "active": entry.active}
        return [cast(R, self.resource.model_validate(fields))]

    def plan(self, desired: R, live: R | None, entry: StateEntry | None, context: PlanContext) -> Change | None:
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

    def plan_removal(self, address: Address, live: R | None, entry: StateEntry) -> Change:
        reason = "no longer declared: the rule stays as it is in the org, no longer managed"
        return Change(address=address, action=Action.FORGET, before=live, reason=reason)

    def detail_lines(self, change: Change) -> list[DetailLine]:
        before = change.before.active if isinstance(change.before, ObjectRule) else None
        after = change.after.active if isinstance(change.after, ObjectRule) else None
        if before is not None and after is not None:
            return [("~", f"active: {_state(before)} -> {_state(after)}")]
        if after is not None:
            return [("+", f"active: {_state(after)}")]
        if before is not None:
            return [(" ", f"active: {_state(before)} (stays in the org, no longer managed)")]
        return []

    def diff_reason(self, source: R, target: R, names: tuple[str, str]) -> str:
        return f"{names[1]} has it {'active' if target.active else 'inactive'}"

    def export(self, resources: Sequence[R], org: str, suffix: str) -> Exported:
        """One entry per rule, sorted by object and rule name."""
        ordered = sorted(resources, key=lambda r: (r.object.casefold(), r.rule.casefold()))
        entries: list[dict[str, Any]] = [{"rule": rule.key, "active": rule.active, "orgs": [org]} for rule in ordered]
        return entries, []
