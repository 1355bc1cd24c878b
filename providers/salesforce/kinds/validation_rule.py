"""The ``validation_rule`` kind: ``ValidationRule.Active`` through the Tooling API.

Read: one Tooling query for every rule of the objects the keys name,
``SELECT Id, ValidationName, NamespacePrefix, Active, EntityDefinition.QualifiedApiName FROM ValidationRule
WHERE EntityDefinition.QualifiedApiName IN (...)`` (split only when the list would not fit a request URI).
``Metadata`` and ``FullName`` are left out on purpose: Salesforce answers ``MALFORMED_QUERY`` to a
Tooling query selecting them that can return more than one row. Names compare case-insensitively, as
Salesforce compares them; a managed rule is written ``ns__Rule`` (``NamespacePrefix`` joined to
``ValidationName``).

Write: Tooling takes one record per ``Metadata`` update, and ``Metadata`` is written whole
(``errorConditionFormula`` and ``errorMessage`` are required). So each switched rule costs two calls:
``GET tooling/sobjects/ValidationRule/{Id}`` for its ``Metadata``, then ``PATCH`` of the same path with
that ``Metadata`` and ``active`` set (204). Setting ``active`` twice leaves the rule as setting it once,
so the PATCH is replay-safe. ``forget`` touches nothing; the plan never creates or deletes a rule, and
such a change is refused.

Preflight: a declared rule that ``read`` did not find is an error naming it. The objects read tell
whether the object has other rules (the hint then names the closest); otherwise the object's existence is
looked up (``Schema.objects_exist``) and, for an unknown object, the hint names the closest object
among those holding validation rules (one more query, only on this error path).

Inventory: the same query without ``WHERE``: every rule of every object.

Not settled by any public source (checked against the Tooling API reference, jsforce, sfdx-hardis style
scripts and public toggling tools): whether Tooling ``ValidationRule`` may be queried without a ``WHERE``
in very large orgs, and the errorCode of a PATCH whose ``Metadata`` lacks a required key (the emulator
answers ``FIELD_INTEGRITY_EXCEPTION``). Public tools all send the full ``Metadata`` read back by GET, as
done here.

Seed (snapshots): every rule in one Tooling query, and its formula from ``GET`` of the rule (one call a
rule: the Tooling API gives ``Metadata`` only one record at a time).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.names import join_namespace
from providers.salesforce.soql import in_chunks
from reconcile.errors import ApiLimitError, Problem, ProviderError
from reconcile.kinds.validation_rule import ValidationRule, split_rule
from reconcile.model import Action, Address, Change, ChangeResult, Resource

SELECT = "SELECT Id, ValidationName, NamespacePrefix, Active, EntityDefinition.QualifiedApiName FROM ValidationRule"
BY_OBJECT = SELECT + " WHERE EntityDefinition.QualifiedApiName IN "
SOBJECT = "tooling/sobjects/ValidationRule/"
SEED_SELECT = (
    "SELECT Id, ValidationName, NamespacePrefix, Active, ErrorMessage, ErrorDisplayField, Description, "
    "EntityDefinition.QualifiedApiName FROM ValidationRule"
)


class LiveRule:
    """One rule as the org spells it: object, name, whether active, record id."""

    def __init__(self, record: dict[str, Any]) -> None:
        entity = record.get("EntityDefinition") or {}
        self.object = str(entity.get("QualifiedApiName") or "")
        self.name = join_namespace(record.get("NamespacePrefix"), str(record["ValidationName"]))
        self.active = bool(record["Active"])
        self.record_id = str(record["Id"])

    def resource(self, object_name: str, rule: str) -> ValidationRule:
        return ValidationRule(object=object_name, rule=rule, active=self.active, ids={"rule": self.record_id})


class ValidationRuleHandler:
    """Reads, checks, writes and lists ``validation_rule`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.schema = context.schema
        #: object (casefolded) -> rule name (casefolded) -> the live rule, for every object read
        self.rules: dict[str, dict[str, LiveRule]] = {}

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        self._read_objects(split_rule(key)[0] for key in keys)
        result: dict[Address, Resource] = {}
        for key in keys:
            object_name, rule = split_rule(key)
            live = self._live(object_name, rule)
            if live is not None:
                result[Address("validation_rule", key)] = live.resource(object_name, rule)  # keyed as asked
        return result

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, ValidationRule)]
        self._read_objects(d.object for d in wanted)
        missing = [d for d in wanted if self._live(d.object, d.rule) is None]
        if not missing:
            return []
        ruleless = [d.object for d in missing if not self.rules.get(d.object.casefold())]
        exists = self.schema.objects_exist(ruleless)
        holders = self._objects_with_rules() if not all(exists.values()) else []
        return [self._problem(d, exists.get(d.object), holders) for d in missing]

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        return [self._apply_one(change) for change in changes]

    def inventory(self) -> dict[Address, Resource]:
        found: dict[Address, Resource] = {}
        for record in self.transport.query_all(SELECT, tooling=True):
            live = LiveRule(record)
            resource = live.resource(live.object, live.name)
            found[resource.address] = resource
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The ``validation_rules`` seed section: one query for the rules, then one GET per rule for its
        formula (only the rule's ``Metadata`` holds it)."""
        rules = []
        for record in self.transport.query_all(SEED_SELECT, tooling=True):
            live = LiveRule(record)
            metadata = (self.transport.rest("GET", SOBJECT + live.record_id) or {}).get("Metadata") or {}
            entry: dict[str, Any] = {"object": live.object, "name": live.name, "active": live.active}
            entry["error_message"] = record.get("ErrorMessage") or metadata.get("errorMessage") or ""
            entry["formula"] = metadata.get("errorConditionFormula") or "false"
            for key, column in (("description", "Description"), ("error_display_field", "ErrorDisplayField")):
                if record.get(column):
                    entry[key] = record[column]
            rules.append(entry)
        return {"validation_rules": rules}

    def _read_objects(self, objects: Iterable[str]) -> None:
        """Remember every rule of ``objects`` not read yet (one query for all of them)."""
        wanted = [o for o in dict.fromkeys(objects) if o.casefold() not in self.rules]
        for name in wanted:
            self.rules[name.casefold()] = {}
        for query in in_chunks(wanted, lambda values: BY_OBJECT + values):
            for record in self.transport.query_all(query, tooling=True):
                live = LiveRule(record)
                self.rules.setdefault(live.object.casefold(), {})[live.name.casefold()] = live

    def _live(self, object_name: str, rule: str) -> LiveRule | None:
        return self.rules.get(object_name.casefold(), {}).get(rule.casefold())

    def _objects_with_rules(self) -> list[str]:
        query = "SELECT EntityDefinition.QualifiedApiName FROM ValidationRule"
        names = (
            str((r.get("EntityDefinition") or {}).get("QualifiedApiName") or "")
            for r in self.transport.query_all(query, tooling=True)
        )
        return sorted({name for name in names if name})

    def _problem(self, item: ValidationRule, object_exists: bool | None, holders: list[str]) -> Problem:
        address = str(item.address)
        if object_exists is False:
            hint = suggestion(item.object, holders)
            return Problem(f"unknown object {item.object} for validation rule {item.key}", hint=hint, address=address)
        rules = [live.name for live in self.rules.get(item.object.casefold(), {}).values()]
        hint = suggestion(item.rule, rules)
        return Problem(f"unknown validation rule {item.key}", hint=hint, address=address)

    def _apply_one(self, change: Change) -> ChangeResult:
        if change.action is Action.FORGET:
            return ChangeResult(address=change.address, ok=True, message="no longer managed; the org is untouched")
        after = change.after
        if change.action is not Action.UPDATE or not isinstance(after, ValidationRule):
            message = "the tool only switches an existing validation rule on or off"
            return ChangeResult(address=change.address, ok=False, code="UNSUPPORTED", message=message)
        record_id = after.ids.get("rule") or self._record_id(after)
        if not record_id:
            message = f"no validation rule {after.key} in the org"
            return ChangeResult(address=change.address, ok=False, code="NOT_FOUND", message=message)
        try:
            self._switch(record_id, after.active)
        except ApiLimitError:
            raise
        except ProviderError as exc:
            return ChangeResult(address=change.address, ok=False, code=exc.code or "ERROR", message=str(exc))
        ids = {"rule": record_id}
        resource = after.model_copy(update={"ids": ids})
        message = "activated" if after.active else "deactivated"
        return ChangeResult(address=change.address, ok=True, message=message, ids=ids, resource=resource)

    def _record_id(self, rule: ValidationRule) -> str:
        self._read_objects([rule.object])
        live = self._live(rule.object, rule.rule)
        return live.record_id if live is not None else ""

    def _switch(self, record_id: str, active: bool) -> None:
        """Read the rule's whole ``Metadata``, set ``active``, write it back (one record per update)."""
        record = self.transport.rest("GET", SOBJECT + record_id) or {}
        metadata = dict(record.get("Metadata") or {})
        metadata["active"] = active
        self.transport.rest("PATCH", SOBJECT + record_id, body={"Metadata": metadata})
        for rules in self.rules.values():
            for live in rules.values():
                if live.record_id == record_id:
                    live.active = active
