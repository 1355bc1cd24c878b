"""The ``permission_set_grant`` kind: PermissionSetAssignment records, read and written in batches.

Reads make a fixed number of queries however many grants are asked for: users by username, permission
sets by name, groups by developer name (each ``IN`` list split only to keep the URI under 16 KB), then
the assignments of those sets and groups (``query_all`` paging). Profile-owned permission sets are
excluded by ``PermissionSet.IsOwnedByProfile = false`` and never touched.

Spelling: usernames and names compare case-insensitively, as Salesforce compares them. A result is keyed
with the spelling the caller asked for (``Sales_Ops/Alice@Acme.com`` stays so), so the addresses match the
desired ones; a wildcard key (``Sales_Ops/*``) returns the usernames as the org spells them. A group
assignment's ``PermissionSetId`` is the group's aggregate permission set; it is keyed by the group.

Preflight reports unknown users, permission sets and groups (with a "did you mean" hint), a group whose
recalculation failed (Status ``Failed``), and an expiry on a permission set or group holding Manage Users,
Assign Permission Sets or Manage Profiles and Permission Sets (Salesforce refuses one).
A group is assignable only while its Status is ``Updated``: before creating grants of an ``Outdated`` or
``Updating`` group the provider re-reads its Status, with backoff, at most ``GROUP_CHECKS`` times, and
reports the grants as not done (``GROUP_NOT_UPDATED``) if it is still not Updated (``grant_rules``).

An inactive user is not a problem: Salesforce accepts assignments to inactive users and they survive deactivation, so
refusing would block a plan for something the org allows; the create result says "the user is inactive".

Writes: creates go 200 a call through ``POST composite/sobjects`` (PermissionSetAssignment only,
``allOrNone`` false); ``DUPLICATE_VALUE`` means the grant is already there and its id is fetched. Deletes
go 200 a call through ``DELETE composite/sobjects``; ``ENTITY_IS_DELETED`` and
``INVALID_CROSS_REFERENCE_KEY`` mean already gone. Expiration changes are ``PATCH composite/sobjects``;
``ExpirationDate`` is sent as a dateTime (the date at midnight UTC).
A create or delete whose answer was lost is never replayed blindly: the assignments are re-read first.

Inventory: every assignment of a permission set that no profile owns, with one paged query. An
assignment made through a group is keyed by the group (``group:Sales_Bundle/alice@...``).
Seed (snapshots): the inventory as ``permission_set_assignments``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from providers.salesforce.collections import Item, Outcome, outcome_of, run_rounds
from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.kinds.grant_rows import (
    EVERY_ASSIGNMENT,
    FIELDS,
    Assignment,
    expiration_datetime,
    grant_from_row,
    grant_of,
    named,
    split_key,
)
from providers.salesforce.kinds.grant_rules import assignment_problems, await_groups
from providers.salesforce.lookups import GROUP, Assignable, UserRecord
from providers.salesforce.soql import in_chunks
from reconcile.errors import Problem
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.model import Action, Address, Change, ChangeResult, Resource

PSA = "PermissionSetAssignment"
_GONE = ("ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY")


class PermissionSetGrantHandler:
    """Reads, checks, writes and lists ``permission_set_grant`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.directory = context.directory
        self.assignments: dict[tuple[str, str], Assignment] = {}

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        parsed = [split_key(k) for k in keys]
        self.directory.lookup_users([u for _, u in parsed if u != "*"])
        self.directory.lookup_assignables([a for a, _ in parsed])
        targets = [t for t in (self.directory.assignable(a) for a, _ in parsed) if t is not None]
        self._read_assignments(targets)
        result: dict[Address, Resource] = {}
        for assignable, username in parsed:
            for found in self._matching(assignable, username):
                grant = self._grant(assignable, username if username != "*" else found.username, found)
                result.setdefault(grant.address, grant)
        return result

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        grants = [g for g in desired if isinstance(g, PermissionSetGrant)]
        self.directory.lookup_users([g.username for g in grants])
        self.directory.lookup_assignables([g.assignable for g in grants])
        expiring = [self.directory.assignable(g.assignable) for g in grants if g.expires is not None]
        self.directory.lookup_group_permissions(a for a in expiring if a is not None)
        self._lookup_license_holders(grants)
        problems: list[Problem] = []
        for grant in grants:
            problems.extend(self._problems(grant))
        return problems

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        grants = [grant_of(c) for c in changes]
        unresolved = [g for c, g in zip(changes, grants, strict=True) if not self._assignment_id(g, c)]
        self.directory.lookup_users([g.username for g in unresolved])
        self.directory.lookup_assignables([g.assignable for g in unresolved])
        items = {a: [Item(i, g) for i, g in enumerate(grants) if changes[i].action is a] for a in Action}
        outcomes: dict[int, Outcome] = {}
        outcomes.update(self._create(items[Action.CREATE]))
        outcomes.update(self._delete(items[Action.DELETE], changes))
        outcomes.update(self._update(items[Action.UPDATE], changes))
        return [self._result(change, grants[i], outcomes.get(i)) for i, change in enumerate(changes)]

    def inventory(self) -> dict[Address, Resource]:
        found: dict[Address, Resource] = {}
        for record in self.transport.query_all(EVERY_ASSIGNMENT):
            grant = grant_from_row(record)
            if grant is not None:
                found.setdefault(grant.address, grant)
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The ``permission_set_assignments`` seed section: the inventory, without ids."""
        entries = []
        for grant in self.inventory().values():
            if isinstance(grant, PermissionSetGrant):
                entry: dict[str, Any] = {"username": grant.username}
                entry.update(named(grant))
                if grant.expires is not None:
                    entry["expiration_date"] = grant.expires.isoformat()
                entries.append(entry)
        return {"permission_set_assignments": entries}

    # reads

    def _read_assignments(self, targets: list[Assignable]) -> None:
        fresh = {t.key.casefold() for t in targets}
        self.assignments = {k: v for k, v in self.assignments.items() if k[0] not in fresh}
        set_ids = sorted({t.record_id for t in targets if not t.is_group})
        group_ids = sorted({t.record_id for t in targets if t.is_group})
        base = f"SELECT {FIELDS} FROM {PSA} WHERE PermissionSet.IsOwnedByProfile = false AND "
        queries: list[str] = []
        if set_ids and group_ids and len(set_ids) + len(group_ids) <= 400:
            queries.append(
                base + f"(PermissionSetId IN ({_ids(set_ids)}) OR PermissionSetGroupId IN ({_ids(group_ids)}))"
            )
        else:
            queries += in_chunks(set_ids, lambda lst: base + f"PermissionSetId IN {lst}")
            queries += in_chunks(group_ids, lambda lst: base + f"PermissionSetGroupId IN {lst}")
        for record in (r for q in queries for r in self.transport.query_all(q)):
            self._remember(record)

    def _remember(self, record: dict[str, Any]) -> None:
        target = self.directory.assignable_by_id(
            record.get("PermissionSetGroupId") or record.get("PermissionSetId") or ""
        )
        username = str((record.get("Assignee") or {}).get("Username") or "")
        if target is None or not username:
            return
        expires = record.get("ExpirationDate")
        found = Assignment(
            str(record["Id"]),
            str(record.get("AssigneeId") or ""),
            username,
            target.key,
            date.fromisoformat(str(expires)[:10]) if expires else None,
        )
        self.assignments[(target.key.casefold(), username.casefold())] = found

    def _matching(self, assignable: str, username: str) -> Iterable[Assignment]:
        target = self.directory.assignable(assignable)
        if target is None:
            return []
        if username != "*":
            found = self.assignments.get((target.key.casefold(), username.casefold()))
            return [found] if found else []
        return [a for (key, _), a in sorted(self.assignments.items()) if key == target.key.casefold()]

    def _grant(self, assignable: str, username: str, found: Assignment) -> PermissionSetGrant:
        target = self.directory.assignable(assignable)
        assert target is not None
        ids = {"assignment": found.record_id, "user": found.user_id, target.id_key: target.record_id}
        if target.is_group:
            return PermissionSetGrant(
                permission_set_group=target.name, username=username, expires=found.expires, ids=ids
            )
        return PermissionSetGrant(permission_set=target.name, username=username, expires=found.expires, ids=ids)

    # checks

    def _problems(self, grant: PermissionSetGrant) -> list[Problem]:
        problems: list[Problem] = []
        address = str(grant.address)
        if self.directory.user(grant.username) is None:
            hint = suggestion(grant.username, self.directory.all_names("users"))
            problems.append(Problem(f"unknown user {grant.username}", hint=hint, address=address))
        if self.directory.assignable(grant.assignable) is None:
            group = grant.assignable.startswith(GROUP)
            name = grant.assignable.removeprefix(GROUP)
            hint = suggestion(name, self.directory.all_names("groups" if group else "sets"))
            problems.append(Problem(f"unknown {_what(grant.assignable)} {name}", hint=hint, address=address))
        target, user = self.directory.assignable(grant.assignable), self.directory.user(grant.username)
        holds = self.directory.holds_license(user, target.psl_id) if user and target and target.psl_id else None
        problems.extend(assignment_problems(target, user, grant, address, holds))
        return problems

    def _lookup_license_holders(self, grants: list[PermissionSetGrant]) -> None:
        """One query for the permission set licences of the users granted a set that requires one."""
        users = []
        for grant in grants:
            target, user = self.directory.assignable(grant.assignable), self.directory.user(grant.username)
            if target is not None and target.psl_id and user is not None:
                users.append(user)
        if users:
            self.directory.lookup_license_holders(users)

    def _missing_for(self, grant: PermissionSetGrant) -> str:
        """Why ``grant`` cannot be created ("" when user and assignable are known)."""
        if self.directory.user(grant.username) is None:
            return f"no user {grant.username} in the org"
        if self.directory.assignable(grant.assignable) is None:
            return f"no {_what(grant.assignable)} {grant.assignable.removeprefix(GROUP)} in the org"
        return ""

    # writes

    def _create(self, items: list[Item[PermissionSetGrant]]) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        ready: list[Item[PermissionSetGrant]] = []
        for item in items:
            missing = self._missing_for(item.payload)
            if missing:
                outcomes[item.index] = Outcome(False, code="NOT_FOUND", message=missing)
            else:
                ready.append(item)
        unsettled = await_groups(self.transport, self.directory, [i.payload.assignable for i in ready])
        for item in ready:
            target = self.directory.assignable(item.payload.assignable)
            if target is not None and target.key.casefold() in unsettled:
                outcomes[item.index] = Outcome(
                    False, code="GROUP_NOT_UPDATED", message=unsettled[target.key.casefold()]
                )
        ready = [item for item in ready if item.index not in outcomes]

        def send(batch: list[Item[PermissionSetGrant]]) -> list[dict[str, Any]]:
            records = [self._psa_record(item.payload) for item in batch]
            body = {"allOrNone": False, "records": records}
            return list(self.transport.rest("POST", "composite/sobjects", body=body) or [])

        sent = run_rounds(self.transport, ready, send, self._already_there)
        duplicates = [item for item in ready if sent[item.index].code == "DUPLICATE_VALUE"]
        sent.update(self._already_there(duplicates))
        outcomes.update(sent)
        return outcomes

    def _psa_record(self, grant: PermissionSetGrant) -> dict[str, Any]:
        user = self.directory.user(grant.username)
        target = self.directory.assignable(grant.assignable)
        assert user is not None and target is not None
        record: dict[str, Any] = {"attributes": {"type": PSA}, "AssigneeId": user.record_id}
        record["PermissionSetGroupId" if target.is_group else "PermissionSetId"] = target.record_id
        if grant.expires is not None:
            record["ExpirationDate"] = expiration_datetime(grant.expires)
        return record

    def _already_there(self, items: list[Item[PermissionSetGrant]]) -> dict[int, Outcome]:
        """Re-read the assignments of these users; the grants found count as created."""
        users = [u for u in (self.directory.user(i.payload.username) for i in items) if u is not None]
        live: dict[tuple[str, str], str] = {}
        soql = f"SELECT Id, AssigneeId, PermissionSetId, PermissionSetGroupId FROM {PSA} WHERE AssigneeId IN "
        for query in in_chunks([u.record_id for u in users], lambda lst: soql + lst):
            for record in self.transport.query_all(query):
                assignable = record.get("PermissionSetGroupId") or record.get("PermissionSetId") or ""
                live[(str(record["AssigneeId"])[:15], str(assignable)[:15])] = str(record["Id"])
        found: dict[int, Outcome] = {}
        for item in items:
            user = self.directory.user(item.payload.username)
            target = self.directory.assignable(item.payload.assignable)
            if user and target and (record_id := live.get((user.record_id[:15], target.record_id[:15]))):
                found[item.index] = Outcome(True, record_id, message="already assigned")
        return found

    def _delete(self, items: list[Item[PermissionSetGrant]], changes: Sequence[Change]) -> dict[int, Outcome]:
        unknown = [i for i in items if not self._assignment_id(i.payload, changes[i.index])]
        located = self._already_there(unknown)
        outcomes = {i.index: Outcome(True, message="already gone") for i in unknown if i.index not in located}
        pending = [
            Item(i.index, self._assignment_id(i.payload, changes[i.index]) or located[i.index].record_id)
            for i in items
            if i.index not in outcomes
        ]

        def send(batch: list[Item[str]]) -> list[dict[str, Any]]:
            params = {"ids": ",".join(i.payload for i in batch), "allOrNone": "false"}
            answers = list(self.transport.rest("DELETE", "composite/sobjects", params=params) or [])
            return [_gone_is_success(a) for a in answers]

        outcomes.update(run_rounds(self.transport, pending, send, self._deleted_since))
        return outcomes

    def _assignment_id(self, grant: PermissionSetGrant, change: Change) -> str:
        if change.before is not None and change.before.ids.get("assignment"):
            return change.before.ids["assignment"]
        found = self.assignments.get((grant.assignable.casefold(), grant.username.casefold()))
        return found.record_id if found else ""

    def _deleted_since(self, items: list[Item[str]]) -> dict[int, Outcome]:
        """Re-check which of these assignment ids still exist; the others are deleted."""
        still: set[str] = set()
        for query in in_chunks([i.payload for i in items], lambda lst: f"SELECT Id FROM {PSA} WHERE Id IN {lst}"):
            still.update(str(r["Id"])[:15] for r in self.transport.query_all(query))
        return {i.index: Outcome(True, i.payload) for i in items if i.payload[:15] not in still}

    def _update(self, items: list[Item[PermissionSetGrant]], changes: Sequence[Change]) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        ready: list[Item[dict[str, Any]]] = []
        for item in items:
            record_id = self._assignment_id(item.payload, changes[item.index])
            if not record_id:
                outcomes[item.index] = Outcome(False, code="NOT_FOUND", message="the assignment does not exist")
                continue
            expires = expiration_datetime(item.payload.expires) if item.payload.expires else None
            ready.append(Item(item.index, {"attributes": {"type": PSA}, "id": record_id, "ExpirationDate": expires}))

        def send(batch: list[Item[dict[str, Any]]]) -> list[dict[str, Any]]:
            body = {"allOrNone": False, "records": [i.payload for i in batch]}
            return list(self.transport.rest("PATCH", "composite/sobjects", body=body) or [])

        outcomes.update(run_rounds(self.transport, ready, send, lambda _items: {}))
        return outcomes

    def _result(self, change: Change, grant: PermissionSetGrant, outcome: Outcome | None) -> ChangeResult:
        if outcome is None:
            return ChangeResult(address=change.address, ok=False, code="UNSUPPORTED", message="nothing to do")
        if not outcome.ok:
            return ChangeResult(address=change.address, ok=False, code=outcome.code, message=outcome.message)
        if change.action is Action.DELETE:
            return ChangeResult(address=change.address, ok=True, message=outcome.message or "revoked")
        ids = self._ids(grant, outcome.record_id or grant.ids.get("assignment", ""))
        user = self.directory.user(grant.username)
        message = outcome.message or ("assigned" if change.action is Action.CREATE else "updated")
        if user is not None and not user.active:
            message += " (the user is inactive)"
        resource = grant.model_copy(update={"ids": ids})
        return ChangeResult(address=change.address, ok=True, message=message, ids=ids, resource=resource)

    def _ids(self, grant: PermissionSetGrant, record_id: str) -> dict[str, str]:
        user: UserRecord | None = self.directory.user(grant.username)
        target = self.directory.assignable(grant.assignable)
        ids = {"assignment": record_id}
        if user is not None:
            ids["user"] = user.record_id
        if target is not None:
            ids[target.id_key] = target.record_id
        return ids


def _what(assignable: str) -> str:
    return "permission set group" if assignable.startswith(GROUP) else "permission set"


def _gone_is_success(answer: dict[str, Any]) -> dict[str, Any]:
    outcome = outcome_of(answer)
    if not outcome.ok and outcome.code in _GONE:
        return {"id": outcome.record_id, "success": True, "errors": []}
    return answer


def _ids(values: Iterable[str]) -> str:
    return ",".join(f"'{v}'" for v in values)
