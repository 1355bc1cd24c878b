"""``validation_rule``: whether a validation rule of an object is active.

Address: ``validation_rule:Account.Require_Tier`` (the object's API name, a dot, the rule's name).

Ownership: the tool only switches ``active``; it never creates, edits or deletes a rule (its formula
and message belong to the deploy that made it). A rule the org does not have is a preflight error. A
rule leaving the configuration is forgotten: the plan shows ``forget`` and the org keeps the rule as
it is, active or not (switching it back would undo a choice someone may have made since).
"""

from __future__ import annotations

from typing import Literal

from reconcile.kinds.object_rule import ObjectRule, ObjectRuleEntry, ObjectRuleKind, split_rule

__all__ = ["ValidationRule", "ValidationRuleEntry", "ValidationRuleKind", "split_rule"]


class ValidationRuleEntry(ObjectRuleEntry):
    """``[[validation_rule]]``: one validation rule and whether it must be active."""

    DESCRIPTION = (
        "Whether a validation rule is active. Only `active` is switched: the rule itself (formula, "
        "message) is deployed with the metadata, and a rule that leaves the configuration is left as it is."
    )
    KEY_DOCS = {
        "rule": "The rule as `Object.Rule_Name`: the object's API name and the rule's name, "
        "e.g. `Account.Require_Tier` or `Invoice__c.Amount_Positive`.",
        "active": "`true` to activate the rule, `false` to deactivate it.",
    }
    EXAMPLES = {"rule": "Account.Require_Tier", "active": True}

    RULE_EXAMPLE = "Account.Require_Tier"


class ValidationRule(ObjectRule):
    """A validation rule of an object and whether it is active (``ids``: the rule's Tooling record id)."""

    kind: Literal["validation_rule"] = "validation_rule"


class ValidationRuleKind(ObjectRuleKind[ValidationRuleEntry, ValidationRule]):
    name = "validation_rule"
    entry = ValidationRuleEntry
    resource = ValidationRule
    noun = "validation rules"
