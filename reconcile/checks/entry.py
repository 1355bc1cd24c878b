"""The configuration of verification: ``[[check]]`` and ``[[manual_step]]`` tables (DESIGN.md §4b).

A check is an assertion about an org that changes nothing: exactly one of ``soql`` (with ``expect``),
``apex_tests`` or ``access``. A manual step is something a person does in an org that no API can do; it is
confirmed with ``reconcile confirm``. Both are ordinary entries (``orgs``, ``tags``, ``after``); the kind
modules ``reconcile/kinds/check.py`` and ``kinds/manual_step.py`` register them so that the loader, the JSON
Schema and the reference know them, and the engine in this package evaluates them.

``after`` on a check names other checks (``check:NAME``, run first; a check whose prerequisite did not pass
is skipped) or manual steps (``manual_step:NAME``: skipped while the step is pending in the org); other
addresses mean nothing more (checks run once the org converged). Like every ``after``, each reference
must name something declared for an org the entry applies to (``reconcile.config.expand``): a check or
manual step by its name (``ResourceKind.names``), anything else by its address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from reconcile.config.schema import Bool, Entry, Finding, Name, NonEmpty, SchemaModel, Str, Username, duplicates
from reconcile.model import sha256_hex

_EXPECT = re.compile(r"^\s*(==|!=|>=|<=)\s*(-?\d+(?:\.\d+)?|true|false)\s*$", re.IGNORECASE)
_API_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
OPERATORS = ("==", "!=", ">=", "<=")


@dataclass(frozen=True)
class Expectation:
    """``== 0``: an operator and the number (or boolean, for ``==`` / ``!=``) compared with."""

    operator: str
    value: float | bool

    @classmethod
    def parse(cls, text: str) -> Expectation | None:
        match = _EXPECT.match(text)
        if match is None:
            return None
        raw = match.group(2).lower()
        value: float | bool = raw == "true" if raw in ("true", "false") else float(raw)
        if isinstance(value, bool) and match.group(1) not in ("==", "!="):
            return None
        return cls(match.group(1), value)

    def holds(self, actual: float | bool) -> bool:
        if isinstance(self.value, bool) or isinstance(actual, bool):
            same = bool(actual) == bool(self.value) and isinstance(actual, bool) == isinstance(self.value, bool)
            return same if self.operator == "==" else not same
        compare = {"==": actual == self.value, "!=": actual != self.value}
        compare |= {">=": actual >= self.value, "<=": actual <= self.value}
        return compare[self.operator]

    def __str__(self) -> str:
        shown = str(self.value).lower() if isinstance(self.value, bool) else f"{self.value:g}"
        return f"{self.operator} {shown}"


class AccessSpec(SchemaModel):
    """``access = { user, object, field?, can }``: what a user must be able to do."""

    DESCRIPTION = "What a user must be able to do with an object or a field."
    KEY_DOCS = {
        "user": "The username (the org's `username_suffix` is appended).",
        "object": "The object's API name, e.g. `Account`.",
        "field": "A field of the object, e.g. `Tier__c` (then `can` is `read` or `edit`).",
        "can": "`read`, `edit`, `create` or `delete`.",
    }
    EXAMPLES = {"user": "alice@acme.com", "object": "Account", "field": "Tier__c", "can": "edit"}
    user: Username
    object: Name
    field: Name | None = None
    can: Literal["read", "edit", "create", "delete"]


class CheckEntry(Entry):
    """``[[check]]``: an assertion about an org, evaluated by ``reconcile verify`` and after ``apply``."""

    DESCRIPTION = (
        "An assertion about an org that changes nothing, evaluated by `reconcile verify` and after every "
        "`apply`: a SOQL count or value (`soql` + `expect`), Apex tests that must pass (`apex_tests`), or a "
        "user's effective access (`access`). Set exactly one of them."
    )
    KEY_DOCS = {
        "name": "What the check asserts, in words; it names the check in results (`check:NAME` in `after`).",
        "soql": "A SOQL query: `SELECT COUNT() FROM ...`, or a query returning one row whose first column is compared.",
        "tooling": "`true` to run `soql` on the Tooling API (ValidationRule, FlowDefinition ...).",
        "expect": "How the count or value compares: `== N`, `!= N`, `>= N` or `<= N` (`== true` for a boolean).",
        "apex_tests": "Apex test classes to run; the check passes when every test method passes.",
        "access": "`{ user, object, field?, can }`: the user's effective access from the profile, every "
        "permission set and every permission set group assigned.",
    }
    EXAMPLES = {
        "name": "no inactive user holds Sales_Ops",
        "soql": "SELECT COUNT() FROM PermissionSetAssignment WHERE PermissionSet.Name = 'Sales_Ops' "
        "AND Assignee.IsActive = false",
        "tooling": False,
        "expect": "== 0",
        "apex_tests": ["TierServiceTest"],
        "access": {"user": "alice@acme.com", "object": "Account", "field": "Tier__c", "can": "edit"},
    }
    EXACTLY_ONE = ("soql", "apex_tests", "access")
    SUBTABLES = (AccessSpec,)
    CONSTRAINTS = {"apex_tests": {"items": {"pattern": _API_NAME}}}

    name: NonEmpty
    soql: NonEmpty | None = None
    tooling: Bool = False
    expect: Str | None = None
    apex_tests: tuple[Name, ...] | None = None
    access: AccessSpec | None = None
    after: tuple[Str, ...] = ()

    @property
    def what(self) -> Literal["soql", "apex_tests", "access"]:
        if self.soql is not None:
            return "soql"
        return "apex_tests" if self.apex_tests is not None else "access"

    @property
    def expectation(self) -> Expectation | None:
        return Expectation.parse(self.expect) if self.expect is not None else None

    def findings(self) -> list[Finding]:
        given = [key for key in self.EXACTLY_ONE if getattr(self, key) is not None]
        choose = "set exactly one of `soql`, `apex_tests` or `access`"
        if not given:
            return [((), "needs one of `soql`, `apex_tests` or `access`", choose)]
        if len(given) > 1:
            return [((given[1],), f"sets both `{given[0]}` and `{given[1]}`", choose)]
        found: list[Finding] = []
        if self.soql is not None and self.expect is None:
            found.append((("soql",), "`soql` needs `expect`", 'add expect = "== 0" (or !=, >=, <= a number)'))
        if self.expect is not None and self.soql is None:
            found.append((("expect",), "`expect` is used only with `soql`", "remove `expect`"))
        if self.expect is not None and self.expectation is None:
            hint = "write an operator and a number: `== 0`, `!= 0`, `>= 1`, `<= 5` (or `== true`)"
            found.append((("expect",), f"cannot read expect {self.expect!r}", hint))
        if self.apex_tests is not None:
            found += duplicates(self.apex_tests, "apex_tests", "class")
            if not self.apex_tests:
                found.append((("apex_tests",), "`apex_tests` is empty", "name at least one test class"))
        if self.access is not None and self.access.field is not None and self.access.can in ("create", "delete"):
            hint = 'a field can be "read" or "edit"; drop `field` to check the object'
            found.append((("access", "can"), f'a field cannot be checked for "{self.access.can}"', hint))
        for number, reference in enumerate(self.after):
            if not re.match(r"^[a-z_]+:.+$", reference):
                hint = "name a check (`check:NAME`) or a manual step (`manual_step:NAME`)"
                found.append((("after", number), f"{reference!r} is not an address", hint))
        return found


class ManualStepEntry(Entry):
    """``[[manual_step]]``: something a person does in an org; pending until confirmed."""

    DESCRIPTION = (
        "A step no API can do (re-authenticate a named credential, publish a site). The plan lists it as pending "
        "in every org it applies to until `reconcile confirm manual:NAME --org ORG` records who did it; when its "
        "instructions change, it is pending again."
    )
    KEY_DOCS = {
        "name": "The step's name: `reconcile confirm manual:NAME` confirms it; its address is `manual_step:NAME`.",
        "instructions": "What to do, for the person doing it.",
    }
    EXAMPLES = {"name": "reauthenticate-erp", "instructions": "Setup > Named Credentials > ERP > Authenticate"}
    CONSTRAINTS = {"name": {"pattern": "^[A-Za-z0-9_-]+$"}}

    name: Name
    instructions: NonEmpty

    @property
    def digest(self) -> str:
        """The sha256 of the instructions: a confirmation counts for these instructions only."""
        return sha256_hex(self.instructions)
