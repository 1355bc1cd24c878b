"""The ``custom_setting`` kind: rows of custom setting objects, through REST and sObject Collections.

Read: per object named by the keys, one describe (``GET sobjects/X/describe``: whether it is a custom
setting, hierarchy or list, and its custom fields' types) and one query of every row with every custom
field. A hierarchy row's ``SetupOwnerId`` becomes its level: an Organization id (``00D``) is ``org``; the
profile and user owners of all rows read are named with at most one ``Profile`` and one ``User`` query
per batch. Rows are keyed as asked (names compare case-insensitively).

Write: creates ``POST composite/sobjects``, updates ``PATCH`` (the declared fields only), deletes
``DELETE``, 200 records a call (``providers.salesforce.collections``); ``allOrNone`` false, so a bad row
fails alone. A hierarchy row is created with the ``SetupOwnerId`` of its level: the Organization id (one
``SELECT Id FROM Organization``, only when an org-level row is created), a profile's or a user's id.
Salesforce cannot upsert on ``SetupOwnerId``. A create whose answer was lost is sent again; if the first
one did run, the org's one-row-per-owner (or per-name) rule refuses the second with ``DUPLICATE_VALUE``,
reported on that change, and the next plan finds the row and compares it like any other.

Preflight: an object that does not exist or is not a custom setting, a ``level`` on a list setting or a
``name`` on a hierarchy setting, an unknown field (with the closest field as a hint), a value of the wrong
type for its field (``providers.salesforce.field_values``), an unknown profile or user: each is an
error naming the entry. The value sent is the one typed here.

Seed (snapshots): the objects read (the ones the configuration names; no more calls), each as an
``objects`` entry with ``custom_setting``, its custom fields and its rows (a hierarchy row's ``owner``
its level; encrypted fields left out, ``providers.salesforce.seed_objects``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from providers.salesforce import field_values
from providers.salesforce.collections import Item, Outcome, outcome_of, run_rounds
from providers.salesforce.kinds.base import KindContext, suggestion
from providers.salesforce.seed_objects import object_entry
from providers.salesforce.soql import in_chunks
from reconcile.errors import Problem, ProviderError
from reconcile.kinds.custom_setting import USER, CustomSetting, split_key
from reconcile.model import Action, Address, Change, ChangeResult, Resource

PROFILE = "profile:"
_UNKNOWN_OBJECT = ("NOT_FOUND", "INVALID_TYPE")


class SettingObject:
    """One custom setting object as the org describes it, and its rows by row key (casefolded)."""

    def __init__(self, describe: dict[str, Any]) -> None:
        self.name = str(describe["name"])
        self.label = str(describe.get("label") or "")
        fields = {str(f["name"]): str(f["type"]) for f in describe.get("fields", [])}
        self.hierarchy = "SetupOwnerId" in fields
        self.fields = {name.casefold(): (name, kind) for name, kind in fields.items() if name.endswith("__c")}
        self.rows: dict[str, tuple[str, dict[str, Any]]] = {}

    def resource(self, row: str, record: dict[str, Any]) -> CustomSetting:
        values = {name: record.get(name) for name, _ in self.fields.values()}
        return CustomSetting(
            object=self.name, row=row, hierarchy=self.hierarchy, values=values, ids={"record": str(record["Id"])}
        )


class CustomSettingHandler:
    """Reads, checks, writes and lists ``custom_setting`` resources of one org."""

    def __init__(self, context: KindContext) -> None:
        self.transport = context.transport
        self.directory = context.directory
        #: object (casefolded) -> its describe and rows; None when the org has no such custom setting
        self.objects: dict[str, SettingObject | None] = {}
        self.profiles: dict[str, str] = {}  # profile name (casefolded) -> id
        self.org_id = ""

    # -- read ------------------------------------------------------------------------------------------

    def read(self, keys: Collection[str]) -> dict[Address, Resource]:
        self._load(split_key(key)[0] for key in keys)
        found: dict[Address, Resource] = {}
        for key in keys:
            object_name, row = split_key(key)
            setting = self.objects.get(object_name.casefold())
            hit = setting.rows.get(row.casefold()) if setting is not None else None
            if setting is not None and hit is not None:
                found[Address("custom_setting", key)] = setting.resource(row, hit[1])
        return found

    def inventory(self) -> dict[Address, Resource]:
        described = self.transport.rest("GET", "sobjects") or {}
        names = [str(s["name"]) for s in described.get("sobjects", []) if s.get("customSetting")]
        self._load(names)
        found: dict[Address, Resource] = {}
        for name in names:
            setting = self.objects.get(name.casefold())
            for row, record in setting.rows.values() if setting is not None else []:
                resource = setting.resource(row, record) if setting is not None else None
                if resource is not None:
                    found[resource.address] = resource
        return dict(sorted(found.items()))

    def seed(self) -> dict[str, Any]:
        """The custom setting objects read, with their rows, as ``objects`` entries."""
        entries = []
        for setting in self.objects.values():
            if setting is None:
                continue
            fields = dict(setting.fields.values())
            key = "owner" if setting.hierarchy else "Name"
            records = [{key: row, **{api: record.get(api) for api in fields}} for row, record in setting.rows.values()]
            kind = "hierarchy" if setting.hierarchy else "list"
            entries.append(object_entry(setting.name, setting.label, fields, records, custom_setting=kind))
        return {"objects": entries}

    def _load(self, objects: Iterable[str]) -> None:
        unique = {o.casefold(): o for o in reversed(list(objects))}  # the first spelling of each name
        wanted = [o for folded, o in reversed(unique.items()) if folded not in self.objects]
        loaded: list[tuple[SettingObject, list[dict[str, Any]]]] = []
        for name in wanted:
            setting = self._describe(name)
            self.objects[name.casefold()] = setting
            if setting is not None:
                fields = ["Id", "Name", *(["SetupOwnerId"] if setting.hierarchy else [])]
                fields += [api for api, _ in setting.fields.values()]
                loaded.append((setting, self.transport.query_all(f"SELECT {', '.join(fields)} FROM {setting.name}")))
        owners = self._owner_names(
            [str(r["SetupOwnerId"]) for s, records in loaded if s.hierarchy for r in records if r.get("SetupOwnerId")]
        )
        for setting, records in loaded:
            for record in records:
                row = (
                    owners.get(str(record.get("SetupOwnerId") or "")[:15], "") if setting.hierarchy else record["Name"]
                )
                if row:
                    setting.rows[str(row).casefold()] = (str(row), record)

    def _describe(self, name: str) -> SettingObject | None:
        try:
            describe = self.transport.rest("GET", f"sobjects/{name}/describe")
        except ProviderError as error:
            if error.code in _UNKNOWN_OBJECT:
                return None
            raise
        return SettingObject(describe) if describe and describe.get("customSetting") else None

    def _owner_names(self, owner_ids: list[str]) -> dict[str, str]:
        """15-character owner id -> level (``org``, ``profile:Name``, ``user:username``)."""
        names = {i[:15]: "org" for i in owner_ids if i.startswith("00D")}
        self.org_id = self.org_id or next((i for i in owner_ids if i.startswith("00D")), "")
        profiles = sorted({i for i in owner_ids if i.startswith("00e")})
        users = sorted({i for i in owner_ids if i.startswith("005")})
        for query in in_chunks(profiles, lambda ids: "SELECT Id, Name FROM Profile WHERE Id IN " + ids):
            for record in self.transport.query_all(query):
                names[str(record["Id"])[:15]] = PROFILE + str(record["Name"])
                self.profiles[str(record["Name"]).casefold()] = str(record["Id"])
        for query in in_chunks(users, lambda ids: "SELECT Id, Username FROM User WHERE Id IN " + ids):
            names.update({str(r["Id"])[:15]: USER + str(r["Username"]) for r in self.transport.query_all(query)})
        return names

    # -- preflight -------------------------------------------------------------------------------------

    def preflight(self, desired: Sequence[Resource]) -> list[Problem]:
        wanted = [d for d in desired if isinstance(d, CustomSetting)]
        self._load(d.object for d in wanted)
        self._lookup_owners([d.row for d in wanted if d.hierarchy])
        problems: list[Problem] = []
        for item in wanted:
            problems.extend(self._problems(item))
        return problems

    def _problems(self, item: CustomSetting) -> list[Problem]:
        address = str(item.address)
        setting = self.objects.get(item.object.casefold())
        if setting is None:
            return [Problem(f"{item.object} is not a custom setting object in this org", address=address)]
        if setting.hierarchy != item.hierarchy:
            kind, use = ("a hierarchy", "`level`") if setting.hierarchy else ("a list", "`name`")
            return [Problem(f"{setting.name} is {kind} custom setting", hint=f"use {use}", address=address)]
        problems = [Problem(m, address=address) for m in self._owner_problems(item)]
        for field, value in item.values.items():
            known = setting.fields.get(field.casefold())
            if known is None:
                hint = suggestion(field, [api for api, _ in setting.fields.values()])
                problems.append(Problem(f"unknown field {field} on {setting.name}", hint=hint, address=address))
                continue
            try:
                field_values.typed(value, known[1])
            except ValueError as error:
                problems.append(Problem(f"{setting.name}.{known[0]} {error}", address=address))
        return problems

    def _owner_problems(self, item: CustomSetting) -> list[str]:
        if item.row.startswith(PROFILE) and item.row.removeprefix(PROFILE).casefold() not in self.profiles:
            return [f"unknown profile {item.row.removeprefix(PROFILE)}"]
        if item.row.startswith(USER) and self.directory.user(item.row.removeprefix(USER)) is None:
            return [f"unknown user {item.row.removeprefix(USER)}"]
        return []

    def _lookup_owners(self, rows: list[str], *, create: bool = False) -> None:
        profiles = [r.removeprefix(PROFILE) for r in rows if r.startswith(PROFILE)]
        missing = [p for p in dict.fromkeys(profiles) if p.casefold() not in self.profiles]
        for query in in_chunks(missing, lambda names: "SELECT Id, Name FROM Profile WHERE Name IN " + names):
            self.profiles.update({str(r["Name"]).casefold(): str(r["Id"]) for r in self.transport.query_all(query)})
        self.directory.lookup_users(r.removeprefix(USER) for r in rows if r.startswith(USER))
        if create and "org" in rows and not self.org_id:
            self.org_id = str(self.transport.query_all("SELECT Id FROM Organization")[0]["Id"])

    # -- apply -----------------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        creates: list[Item[dict[str, Any]]] = []
        updates: list[Item[dict[str, Any]]] = []
        deletes: list[Item[str]] = []
        wanted = [c.after for c in changes if isinstance(c.after, CustomSetting)]
        self._load(w.object for w in wanted)
        self._lookup_owners([w.row for w in wanted if w.hierarchy and w.ids.get("record") is None], create=True)
        for index, change in enumerate(changes):
            try:
                if change.action is Action.FORGET:
                    results[index] = ChangeResult(address=change.address, ok=True, message="no longer managed")
                elif change.action is Action.DELETE and change.before is not None:
                    deletes.append(Item(index, change.before.ids["record"]))
                elif isinstance(change.after, CustomSetting) and change.action is Action.CREATE:
                    creates.append(Item(index, self._record(change.after, create=True)))
                elif isinstance(change.after, CustomSetting):
                    updates.append(Item(index, self._record(change.after, create=False)))
            except (ValueError, KeyError) as error:
                results[index] = ChangeResult(address=change.address, ok=False, code="INVALID", message=str(error))
        outcomes = self._send(creates, "POST") | self._send(updates, "PATCH") | self._delete(deletes)
        for index, outcome in outcomes.items():
            results[index] = _result(changes[index], outcome)
        return [results[i] for i in range(len(changes))]

    def _record(self, setting: CustomSetting, *, create: bool) -> dict[str, Any]:
        live = self.objects.get(setting.object.casefold())
        if live is None:
            raise ValueError(f"{setting.object} is not a custom setting object in this org")
        record: dict[str, Any] = {"attributes": {"type": live.name}}
        for field, value in setting.values.items():
            api, kind = live.fields[field.casefold()]
            record[api] = field_values.typed(value, kind)
        if not create:
            return {**record, "Id": setting.ids["record"]}
        if not live.hierarchy:
            return {**record, "Name": setting.row}
        return {**record, "SetupOwnerId": self._owner_id(setting.row)}

    def _owner_id(self, row: str) -> str:
        if row == "org":
            return self.org_id
        if row.startswith(PROFILE):
            return self.profiles[row.removeprefix(PROFILE).casefold()]
        user = self.directory.user(row.removeprefix(USER))
        if user is None:
            raise ValueError(f"unknown user {row.removeprefix(USER)}")
        return user.record_id

    def _send(self, items: list[Item[dict[str, Any]]], method: str) -> dict[int, Outcome]:
        if not items:
            return {}

        def send(chunk: list[Item[dict[str, Any]]]) -> list[dict[str, Any]]:
            body = {"allOrNone": False, "records": [item.payload for item in chunk]}
            return list(self.transport.rest(method, "composite/sobjects", body=body) or [])

        return run_rounds(self.transport, items, send, lambda lost: {})

    def _delete(self, items: list[Item[str]]) -> dict[int, Outcome]:
        if not items:
            return {}

        def send(chunk: list[Item[str]]) -> list[dict[str, Any]]:
            params = {"ids": ",".join(item.payload for item in chunk), "allOrNone": "false"}
            answers = list(self.transport.rest("DELETE", "composite/sobjects", params=params) or [])
            return [_gone_is_done(a) for a in answers]

        return run_rounds(self.transport, items, send, lambda lost: {})


def _gone_is_done(answer: dict[str, Any]) -> dict[str, Any]:
    outcome = outcome_of(answer)
    if not outcome.ok and outcome.code == "ENTITY_IS_DELETED":
        return {**answer, "success": True, "errors": []}
    return answer


def _result(change: Change, outcome: Outcome) -> ChangeResult:
    if not outcome.ok:
        return ChangeResult(address=change.address, ok=False, code=outcome.code, message=outcome.message)
    verb = {Action.CREATE: "created", Action.DELETE: "deleted"}.get(change.action, "updated")
    ids = {"record": outcome.record_id} if outcome.record_id else {}
    resource = change.after.model_copy(update={"ids": ids}) if change.after is not None and ids else None
    return ChangeResult(address=change.address, ok=True, message=verb, ids=ids, resource=resource)
