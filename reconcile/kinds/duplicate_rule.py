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

from typing import Literal

from reconcile.kinds.object_rule import ObjectRule, ObjectRuleEntry, ObjectRuleKind, split_rule

__all__ = ["DuplicateRule", "DuplicateRuleEntry", "DuplicateRuleKind", "split_rule"]


class DuplicateRuleEntry(ObjectRuleEntry):
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

    RULE_EXAMPLE = "Account.Standard_Account_Duplicate_Rule"


class DuplicateRule(ObjectRule):
    """A duplicate rule of an object and whether it is active (``ids``: the rule's record id)."""

    kind: Literal["duplicate_rule"] = "duplicate_rule"


class DuplicateRuleKind(ObjectRuleKind[DuplicateRuleEntry, DuplicateRule]):
    name = "duplicate_rule"
    entry = DuplicateRuleEntry
    resource = DuplicateRule
    noun = "duplicate rules"
