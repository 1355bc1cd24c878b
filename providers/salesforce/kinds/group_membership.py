"""The ``group_membership`` kind: GroupMember rows of public groups and queues, through REST.

Read: the groups the keys name (``SELECT Id, DeveloperName, Type FROM Group WHERE DeveloperName IN (...)
AND Type IN ('Regular', 'Queue')``), their members (``SELECT Id, GroupId, UserOrGroupId FROM GroupMember
WHERE GroupId IN (...)``), then the member users by Id and the member groups by Id: four queries for any
number of keys, chunked only by URI length. A key ``EMEA_Support/*`` yields every member of the group (what
``exclusive`` needs). Members are users (005…) or groups (00G…); other members (roles) are left out.

Preflight: an unknown group or user is a problem with a "did you mean" hint. An inactive user is not a
problem (as for permission set grants, Salesforce keeps memberships of inactive users); the create
result says "the user is inactive".

Write: creates through sObject Collections (``POST composite/sobjects``, 200 records a call, no mixing with
other types), deletes through ``DELETE composite/sobjects?ids=…`` (200 ids a call). A DUPLICATE_VALUE
answer (the member is already there) counts as created. Inventory: every member of every public group and
queue.

Seed (snapshots): the ``groups`` section, every public group and queue with its label, type and members
(users by username, nested groups as ``group:NAME``): one query for the groups, then the member reads
above for the groups not read yet.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from providers.salesforce.collections import Item, Outcome, run_rounds
from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.lookups import Directory
from providers.salesforce.soql import in_chunks
from reconcile.errors import Problem
from reconcile.kinds.group_membership import GROUP, GroupMembership
from reconcile.model import Action, Address, Change, ChangeResult, Resource

KIND = "group_membership"
PUBLIC = "Type IN ('Regular', 'Queue')"


class GroupMembershipHandler:
    """Reads, checks, writes and lists ``group_membership`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.directory: Directory = context.directory
        self.groups: dict[str, str] = {}  # developer name (casefolded) -> Id
        self.names: dict[str, str] = {}  # Id (15) -> developer name
        self.missing: set[str] = set()
        self.members: dict[str, dict[str, str]] = {}  # group (casefolded) -> member key -> GroupMember Id
        self._all_groups: list[str] | None = None

    # -- reading ---------------------------------------------------------------------------------------

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        wanted = {key.partition("/")[0] for key in keys}
        self._lookup_groups(wanted)
        self._read_members([g for g in wanted if g.casefold() in self.groups])
        result: dict[Address, Resource] = {}
        for key in keys:
            group, _, member = key.partition("/")
            held = self.members.get(group.casefold(), {})
            spelled = self._spelling(group)
            if member == "*":
                for name, record_id in held.items():
                    found = GroupMembership(group=spelled, member=name, ids={"member": record_id})
                    result[found.address] = found
            elif (match := next((m for m in held if m.casefold() == member.casefold()), None)) is not None:
                found = GroupMembership(group=spelled, member=match, ids={"member": held[match]})
                result[Address(KIND, key)] = found
        return result

    def _spelling(self, group: str) -> str:
        record_id = self.groups.get(group.casefold())
        return self.names.get(record_id[:15], group) if record_id else group

    def _lookup_groups(self, names: Iterable[str]) -> None:
        wanted = [
            n for n in dict.fromkeys(names) if n.casefold() not in self.groups and n.casefold() not in self.missing
        ]
        soql = f"SELECT Id, DeveloperName FROM Group WHERE {PUBLIC} AND DeveloperName IN "
        for query in in_chunks(wanted, lambda lst: soql + lst):
            for record in self.transport.query_all(query):
                self._remember_group(str(record["Id"]), str(record["DeveloperName"]))
        self.missing.update(n.casefold() for n in wanted if n.casefold() not in self.groups)

    def _remember_group(self, record_id: str, name: str) -> None:
        self.groups[name.casefold()] = record_id
        self.names[record_id[:15]] = name

    def _read_members(self, groups: list[str]) -> None:
        unread = [g for g in dict.fromkeys(groups) if g.casefold() not in self.members]
        if not unread:
            return
        rows: list[dict[str, Any]] = []
        ids = [self.groups[g.casefold()] for g in unread]
        for query in in_chunks(
            ids, lambda lst: f"SELECT Id, GroupId, UserOrGroupId FROM GroupMember WHERE GroupId IN {lst}"
        ):
            rows += self.transport.query_all(query)
        users = self._usernames([str(r["UserOrGroupId"]) for r in rows if str(r["UserOrGroupId"]).startswith("005")])
        self._group_names([str(r["UserOrGroupId"]) for r in rows if str(r["UserOrGroupId"]).startswith("00G")])
        for group in unread:
            self.members[group.casefold()] = {}
        for row in rows:
            group_name = self.names.get(str(row["GroupId"])[:15], "")
            member_id = str(row["UserOrGroupId"])[:15]
            member = users.get(member_id) or (GROUP + self.names[member_id] if member_id in self.names else "")
            if group_name and member:
                self.members.setdefault(group_name.casefold(), {})[member] = str(row["Id"])

    def _usernames(self, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for query in in_chunks(sorted(set(ids)), lambda lst: f"SELECT Id, Username FROM User WHERE Id IN {lst}"):
            found.update({str(r["Id"])[:15]: str(r["Username"]) for r in self.transport.query_all(query)})
        return found

    def _group_names(self, ids: list[str]) -> None:
        wanted = sorted({i for i in ids if i[:15] not in self.names})
        for query in in_chunks(wanted, lambda lst: f"SELECT Id, DeveloperName FROM Group WHERE Id IN {lst}"):
            for record in self.transport.query_all(query):
                self.names[str(record["Id"])[:15]] = str(record["DeveloperName"])

    # -- checking --------------------------------------------------------------------------------------

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, GroupMembership)]
        nested = [d.member.removeprefix(GROUP) for d in wanted if d.member.startswith(GROUP)]
        self._lookup_groups([d.group for d in wanted] + nested)
        self.directory.lookup_users(d.member for d in wanted if not d.member.startswith(GROUP))
        problems: list[Problem] = []
        for item in wanted:
            address = str(item.address)
            for name in (item.group, *([item.member.removeprefix(GROUP)] if item.member.startswith(GROUP) else [])):
                if name.casefold() not in self.groups:
                    hint = suggestion(name, self._all_group_names())
                    problems.append(Problem(f"unknown public group or queue {name}", hint=hint, address=address))
            if not item.member.startswith(GROUP) and self.directory.user(item.member) is None:
                hint = suggestion(item.member, self.directory.all_names("users"))
                problems.append(Problem(f"unknown user {item.member}", hint=hint, address=address))
        return problems

    def _all_group_names(self) -> list[str]:
        if self._all_groups is None:
            records = self.transport.query_all(f"SELECT DeveloperName FROM Group WHERE {PUBLIC}")
            self._all_groups = [str(r["DeveloperName"]) for r in records]
        return self._all_groups

    # -- writing ---------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        creates = [Item(i, c.after) for i, c in enumerate(changes) if isinstance(c.after, GroupMembership)]
        deletes = [Item(i, c) for i, c in enumerate(changes) if c.action is Action.DELETE]
        outcomes = self._create(creates) if creates else {}
        outcomes.update(self._delete(deletes) if deletes else {})
        results = []
        for index, change in enumerate(changes):
            outcome = outcomes.get(index, Outcome(True, message="no longer managed"))
            ids = {"member": outcome.record_id} if outcome.ok and outcome.record_id else {}
            resource = change.after.model_copy(update={"ids": ids}) if outcome.ok and change.after else None
            results.append(
                ChangeResult(
                    address=change.address,
                    ok=outcome.ok,
                    code=outcome.code,
                    message=outcome.message or ("added" if change.after else "removed"),
                    ids=ids,
                    resource=resource,
                )
            )
        return results

    def _create(self, items: list[Item[Any]]) -> dict[int, Outcome]:
        nested = [i.payload.member.removeprefix(GROUP) for i in items if i.payload.member.startswith(GROUP)]
        self._lookup_groups([i.payload.group for i in items] + nested)
        self.directory.lookup_users(i.payload.member for i in items if not i.payload.member.startswith(GROUP))
        outcomes: dict[int, Outcome] = {}
        ready: list[Item[dict[str, Any]]] = []
        for item in items:
            record, problem = self._record(item.payload)
            if record is None:
                outcomes[item.index] = Outcome(False, code="NOT_FOUND", message=problem)
            else:
                ready.append(Item(item.index, record))

        def send(batch: list[Item[dict[str, Any]]]) -> list[dict[str, Any]]:
            body = {"allOrNone": False, "records": [i.payload for i in batch]}
            return list(self.transport.rest("POST", "composite/sobjects", body=body) or [])

        sent = run_rounds(self.transport, ready, send, lambda _items: {})
        for index, outcome in sent.items():
            duplicate = outcome.code == "DUPLICATE_VALUE"
            outcomes[index] = Outcome(True, message="already a member") if duplicate else outcome
        inactive = {i.index for i in items if self._inactive(i.payload)}
        for index in inactive & {i for i, o in outcomes.items() if o.ok}:
            outcomes[index] = Outcome(True, outcomes[index].record_id, message="added (the user is inactive)")
        return outcomes

    def _inactive(self, membership: GroupMembership) -> bool:
        user = None if membership.member.startswith(GROUP) else self.directory.user(membership.member)
        return user is not None and not user.active

    def _record(self, membership: GroupMembership) -> tuple[dict[str, Any] | None, str]:
        group_id = self.groups.get(membership.group.casefold())
        if membership.member.startswith(GROUP):
            member_id = self.groups.get(membership.member.removeprefix(GROUP).casefold())
        else:
            user = self.directory.user(membership.member)
            member_id = user.record_id if user else None
        if group_id is None or member_id is None:
            return None, f"no group {membership.group} or member {membership.member} in the org"
        return {"attributes": {"type": "GroupMember"}, "GroupId": group_id, "UserOrGroupId": member_id}, ""

    def _delete(self, items: list[Item[Change]]) -> dict[int, Outcome]:
        pending = [Item(i.index, (i.payload.before.ids if i.payload.before else {}).get("member", "")) for i in items]
        outcomes = {i.index: Outcome(True, message="already gone") for i in pending if not i.payload}

        def send(batch: list[Item[str]]) -> list[dict[str, Any]]:
            params = {"ids": ",".join(i.payload for i in batch), "allOrNone": "false"}
            answers = list(self.transport.rest("DELETE", "composite/sobjects", params=params) or [])
            gone = ("ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY")
            return [
                {"success": True, "id": a.get("id")}
                if any(e.get("statusCode") in gone for e in a.get("errors") or [])
                else a
                for a in answers
            ]

        outcomes.update(run_rounds(self.transport, [i for i in pending if i.payload], send, lambda _items: {}))
        return outcomes

    # -- listing ---------------------------------------------------------------------------------------

    def seed(self) -> dict[str, Any]:
        """The ``groups`` section: every public group and queue, and its members."""
        records = self.transport.query_all(f"SELECT Id, Name, DeveloperName, Type FROM Group WHERE {PUBLIC}")
        for record in records:
            self._remember_group(str(record["Id"]), str(record["DeveloperName"]))
        self._read_members([str(r["DeveloperName"]) for r in records])
        groups = []
        for record in sorted(records, key=lambda r: str(r["DeveloperName"]).casefold()):
            name = str(record["DeveloperName"])
            entry: dict[str, Any] = {"name": name, "type": str(record["Type"])}
            if record.get("Name") and record["Name"] != name:
                entry["label"] = str(record["Name"])
            entry["members"] = sorted(self.members.get(name.casefold(), {}), key=str.casefold)
            groups.append(entry)
        return {"groups": groups}

    def inventory(self) -> dict[Address, Resource]:
        for record in self.transport.query_all(f"SELECT Id, DeveloperName FROM Group WHERE {PUBLIC}"):
            self._remember_group(str(record["Id"]), str(record["DeveloperName"]))
        names = sorted({self.names[i[:15]] for i in self.groups.values()})
        return dict(sorted(self.read([f"{name}/*" for name in names]).items()))
