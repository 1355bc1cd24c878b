"""The ``duplicate_rule`` kind: ``DuplicateRule.isActive`` through the Metadata API.

Find: one SOQL query over the ``DuplicateRule`` sObject for every rule of the objects the keys name,
``SELECT Id, DeveloperName, NamespacePrefix, SobjectType, IsActive FROM DuplicateRule WHERE SobjectType
IN (...)`` (split only when the list would not fit a request URI). The sObject is read-only (its
``IsActive`` cannot be written), but it names every rule cheaply: the Metadata API fullName is
``SobjectType.DeveloperName`` (``ns__DeveloperName`` for a managed rule). Names compare
case-insensitively, as Salesforce compares them.

Read: that query alone (``IsActive`` as the sObject reports it), so reading any number of rules costs one
query and a plan in sync makes no Metadata API call.

Write: ``updateMetadata`` replaces the whole component (``actionOnInsert``, ``actionOnUpdate``,
``isActive``, ``masterLabel``, ``securityOption`` and ``sortOrder`` are required by the WSDL), so the
rules to write are read first with ``readMetadata`` (10 a call) and written back as they were with only
``isActive`` changed, at most 10 a call. Setting ``isActive`` twice leaves the rule as
setting it once, so the call is replay-safe. Every SaveResult maps back to its change by fullName.
``forget`` touches nothing; the plan never creates or deletes a rule, and such a change is refused.

Preflight: a declared rule that ``read`` did not find is an error naming it. When the object has other
rules the hint names the closest; otherwise the object's existence is looked up
(``Schema.objects_exist``) and, for an unknown object, the hint names the closest object among those
holding duplicate rules (one more query, only on this error path).

Inventory: the sObject query without ``WHERE`` (``IsActive`` as the sObject reports it; no Metadata API
call).

Not settled by any public source (checked against the Metadata API and object references, the bundled
metadata WSDL, CumulusCI's ``set_duplicate_rule_status`` and public deploy notes): whether an
updateMetadata that leaves out a required-but-nillable element (``duplicateRuleFilter``) is accepted;
zeep sends it as ``xsi:nil="true"``, as deploy files must. Whether a standard rule of a package or a
rule whose matching rule is inactive can be activated this way, and the errorCode of a refused
activation, are not documented; such a failure comes back as the SaveResult's own statusCode.
CumulusCI retrieves the whole component, sets ``isActive`` and deploys it back, as done here.

Seed (snapshots): every rule's object, name, label and whether it is active, in one query; the rest
of its Metadata API component is left to the emulator's default shape.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.names import join_namespace
from providers.salesforce.schema import zeep_list
from providers.salesforce.soql import in_chunks
from reconcile.errors import Problem
from reconcile.kinds.duplicate_rule import DuplicateRule, split_rule
from reconcile.model import Action, Address, Change, ChangeResult, Resource

BATCH = 10
METADATA_TYPE = "DuplicateRule"
SELECT = "SELECT Id, DeveloperName, NamespacePrefix, SobjectType, IsActive FROM DuplicateRule"
SEED_SELECT = "SELECT Id, DeveloperName, NamespacePrefix, SobjectType, IsActive, MasterLabel FROM DuplicateRule"
BY_OBJECT = SELECT + " WHERE SobjectType IN "


class LiveRule:
    """One rule as the org spells it: object, name, record id, whether active, and (once read) its
    whole Metadata API component."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.object = str(record.get("SobjectType") or "")
        self.name = join_namespace(record.get("NamespacePrefix"), str(record["DeveloperName"]))
        self.active = bool(record["IsActive"])
        self.record_id = str(record["Id"])
        self.component: Any = None

    @property
    def full_name(self) -> str:
        return f"{self.object}.{self.name}"

    def resource(self, object_name: str, rule: str) -> DuplicateRule:
        return DuplicateRule(object=object_name, rule=rule, active=self.active, ids={"rule": self.record_id})


class DuplicateRuleHandler:
    """Reads, checks, writes and lists ``duplicate_rule`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.schema = context.schema
        #: object (casefolded) -> rule name (casefolded) -> the live rule, for every object queried
        self.rules: dict[str, dict[str, LiveRule]] = {}

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        self._find(split_rule(key)[0] for key in keys)
        found = {key: self._live(*split_rule(key)) for key in keys}
        result: dict[Address, Resource] = {}
        for key, live in found.items():
            if live is not None:
                result[Address("duplicate_rule", key)] = live.resource(*split_rule(key))  # keyed as asked
        return result

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, DuplicateRule)]
        self._find(d.object for d in wanted)
        missing = [d for d in wanted if self._live(d.object, d.rule) is None]
        if not missing:
            return []
        ruleless = [d.object for d in missing if not self.rules.get(d.object.casefold())]
        exists = self.schema.objects_exist(ruleless)
        holders = self._objects_with_rules() if not all(exists.values()) else []
        return [self._problem(d, exists.get(d.object), holders) for d in missing]

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        writes: dict[int, LiveRule] = {}
        self._find(c.after.object for c in changes if isinstance(c.after, DuplicateRule))
        for index, change in enumerate(changes):
            early = _without_write(change)
            if early is not None:
                results[index] = early
                continue
            assert isinstance(change.after, DuplicateRule)
            live = self._live(change.after.object, change.after.rule)
            if live is None:
                results[index] = _failed(change, "NOT_FOUND", f"no duplicate rule {change.after.key} in the org")
                continue
            writes[index] = live
        self._read_components(writes.values())
        ready = {i: live for i, live in writes.items() if live.component is not None}
        for index in writes.keys() - ready.keys():
            message = f"the Metadata API returned no DuplicateRule {writes[index].full_name}"
            results[index] = _failed(changes[index], "NOT_FOUND", message)
        indexes = sorted(ready)
        for start in range(0, len(indexes), BATCH):
            chunk = indexes[start : start + BATCH]
            results.update(self._write({i: ready[i] for i in chunk}, changes))
        return [results[i] for i in range(len(changes))]

    def inventory(self) -> dict[Address, Resource]:
        found: dict[Address, Resource] = {}
        for record in self.transport.query_all(SELECT):
            live = LiveRule(record)
            resource = live.resource(live.object, live.name)
            found[resource.address] = resource
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The ``duplicate_rules`` seed section: every rule, one query (the default component shape)."""
        rules = []
        for record in self.transport.query_all(SEED_SELECT):
            live = LiveRule(record)
            entry: dict[str, Any] = {"object": live.object, "name": live.name, "active": live.active}
            if record.get("MasterLabel"):
                entry["label"] = record["MasterLabel"]
            rules.append(entry)
        return {"duplicate_rules": rules}

    def _find(self, objects: Iterable[str]) -> None:
        """Remember every rule of ``objects`` not queried yet (one query for all of them)."""
        wanted = [o for o in dict.fromkeys(objects) if o.casefold() not in self.rules]
        for name in wanted:
            self.rules[name.casefold()] = {}
        for query in in_chunks(wanted, lambda values: BY_OBJECT + values):
            for record in self.transport.query_all(query):
                live = LiveRule(record)
                self.rules.setdefault(live.object.casefold(), {})[live.name.casefold()] = live

    def _live(self, object_name: str, rule: str) -> LiveRule | None:
        return self.rules.get(object_name.casefold(), {}).get(rule.casefold())

    def _read_components(self, rules: Iterable[LiveRule]) -> None:
        """readMetadata of the rules whose component is not known yet, 10 a call."""
        unread = list({live.full_name.casefold(): live for live in rules if live.component is None}.values())
        for start in range(0, len(unread), BATCH):
            chunk = unread[start : start + BATCH]
            answer = self.transport.metadata("readMetadata", METADATA_TYPE, [live.full_name for live in chunk])
            by_name = {live.full_name.casefold(): live for live in chunk}
            for record in _records(answer):
                live = by_name.get(str(record.fullName).casefold())
                if live is not None:
                    live.component = record
                    live.active = _is_true(record.isActive)

    def _write(self, chunk: dict[int, LiveRule], changes: Sequence[Change]) -> dict[int, ChangeResult]:
        components = []
        for index, live in chunk.items():
            after = changes[index].after
            assert isinstance(after, DuplicateRule)
            live.component.isActive = after.active
            components.append(live.component)
        saved = zeep_list(self.transport.metadata("updateMetadata", components))
        results: dict[int, ChangeResult] = {}
        for position, (index, live) in enumerate(chunk.items()):
            ok, code, message = _save_result(saved, position, live.full_name)
            after = changes[index].after
            assert isinstance(after, DuplicateRule)
            if ok:
                live.active = after.active
                results[index] = self._done(changes[index], after, live)
            else:
                live.component.isActive = live.active  # the org kept the rule as it was
                results[index] = _failed(changes[index], code, message)
        return results

    def _done(self, change: Change, after: DuplicateRule, live: LiveRule) -> ChangeResult:
        ids = {"rule": live.record_id}
        resource = after.model_copy(update={"ids": ids})
        message = "activated" if after.active else "deactivated"
        return ChangeResult(address=change.address, ok=True, message=message, ids=ids, resource=resource)

    def _objects_with_rules(self) -> list[str]:
        records = self.transport.query_all("SELECT SobjectType FROM DuplicateRule")
        return sorted({str(r.get("SobjectType") or "") for r in records} - {""})

    def _problem(self, item: DuplicateRule, object_exists: bool | None, holders: list[str]) -> Problem:
        address = str(item.address)
        if object_exists is False:
            hint = suggestion(item.object, holders)
            return Problem(f"unknown object {item.object} for duplicate rule {item.key}", hint=hint, address=address)
        rules = [live.name for live in self.rules.get(item.object.casefold(), {}).values()]
        hint = suggestion(item.rule, rules)
        return Problem(f"unknown duplicate rule {item.key}", hint=hint, address=address)


def _is_true(value: Any) -> bool:
    return value in (True, "true")


def _records(answer: Any) -> list[Any]:
    records = getattr(answer, "records", answer)
    return [r for r in zeep_list(records) if r is not None and getattr(r, "fullName", None)]


def _save_result(saved: list[Any], position: int, full_name: str) -> tuple[bool, str, str]:
    match = next((s for s in saved if str(s.fullName or "").casefold() == full_name.casefold()), None)
    if match is None and position < len(saved):
        match = saved[position]
    if match is None:
        return False, "NO_RESULT", "the Metadata API returned no result for this duplicate rule"
    if _is_true(match.success):
        return True, "", ""
    errors = zeep_list(match.errors)
    first = errors[0] if errors else None
    return (
        False,
        str(getattr(first, "statusCode", "") or "UNKNOWN_ERROR"),
        str(getattr(first, "message", "") or ""),
    )


def _without_write(change: Change) -> ChangeResult | None:
    """The result of a change that needs no Metadata API call (forget) or cannot be done (create, delete)."""
    if change.action is Action.FORGET:
        return ChangeResult(address=change.address, ok=True, message="no longer managed; the org is untouched")
    if change.action is not Action.UPDATE or not isinstance(change.after, DuplicateRule):
        return _failed(change, "UNSUPPORTED", "the tool only switches an existing duplicate rule on or off")
    return None


def _failed(change: Change, code: str, message: str) -> ChangeResult:
    return ChangeResult(address=change.address, ok=False, code=code, message=message)
