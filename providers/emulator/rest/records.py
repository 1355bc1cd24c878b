"""Record-level rules shared by single-record REST calls and sObject Collections.

Contract: ``create``/``update``/``delete`` validate like Salesforce and raise ``RecordError`` (code,
message, fields, HTTP status for the single-record form) without changing anything when they refuse.
Writable objects: PermissionSetAssignment (create, ExpirationDate update, delete; its expiry and group
rules are in ``assignment_rules``), PermissionSet (create, update of Name/Label/Description), GroupMember
(create, delete; one row per group and member), User (update of names, Email, Alias, IsActive, ProfileId)
and the data objects declared in the org document (create, update, delete; custom settings keep one row
per owner or name, see ``custom_settings``). Anything else answers
INVALID_TYPE_FOR_OPERATION. The caller holds ``store.lock`` and commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..org import ids
from ..org.store import Store
from . import assignment_rules, custom_settings
from .record_error import RecordError as RecordError
from .schema import OrgDatabase

Record = dict[str, Any]

SETUP_WRITES: dict[str, dict[str, frozenset[str]]] = {
    "PermissionSetAssignment": {
        "create": frozenset({"AssigneeId", "PermissionSetId", "PermissionSetGroupId", "ExpirationDate"}),
        "update": frozenset({"ExpirationDate"}),
        "delete": frozenset(),
    },
    "PermissionSet": {
        "create": frozenset({"Name", "Label", "Description"}),
        "update": frozenset({"Name", "Label", "Description"}),
    },
    "User": {"update": frozenset({"FirstName", "LastName", "Email", "Alias", "IsActive", "ProfileId"})},
    "GroupMember": {"create": frozenset({"GroupId", "UserOrGroupId"}), "delete": frozenset()},
}
_VERBS = {"create": "inserted", "update": "updated", "delete": "deleted"}


def resolve_type(store: Store, sobject: str) -> str:
    """The REST object name (any case accepted); RecordError INVALID_TYPE when the org has no such type."""
    name = OrgDatabase(store).resolve(sobject)
    if name is None:
        raise RecordError("INVALID_TYPE", f"sObject type '{sobject}' is not supported.", status=404)
    return name


def writable(store: Store, sobject: str, operation: str) -> frozenset[str] | None:
    """Fields ``operation`` may set on ``sobject`` (empty for delete); None when not allowed at all."""
    if sobject in SETUP_WRITES:
        return SETUP_WRITES[sobject].get(operation)
    if sobject.endswith("__mdt"):
        return None  # custom metadata is written through the Metadata API only, as on a real org
    if store.find("EntityDefinition", QualifiedApiName=sobject):
        fields = OrgDatabase(store).field_types(sobject)
        return frozenset(name for name, _ in fields)
    return None


def _clean(store: Store, sobject: str, fields: Record, operation: str) -> Record:
    allowed = writable(store, sobject, operation)
    if allowed is None:
        raise RecordError("INVALID_TYPE_FOR_OPERATION", f"entity type cannot be {_VERBS[operation]}: {sobject}")
    schema = OrgDatabase(store).schema(sobject)
    assert schema is not None
    cleaned: Record = {}
    for key, value in fields.items():
        if key == "attributes" or (key.lower() == "id" and operation == "update"):
            continue
        info = schema.field(key)
        if info is None:
            raise RecordError("INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}", [key])
        if info.name not in allowed:
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {info.name}. "
                "Please check the security settings of this field and verify that it is "
                "read/write for your profile or permission set.",
                [info.name],
            )
        cleaned[info.name] = value
    return cleaned


def existing(store: Store, sobject: str, record_id: str) -> Record:
    """The live record, or RecordError: MALFORMED_ID, ENTITY_IS_DELETED or NOT_FOUND."""
    if not ids.is_well_formed(record_id):
        raise RecordError("MALFORMED_ID", f"malformed id {record_id}", status=400)
    record = store.get(sobject, record_id)
    if record is not None:
        return record
    if store.is_deleted(record_id):
        raise RecordError("ENTITY_IS_DELETED", "entity is deleted", status=404)
    raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)


def create(store: Store, sobject: str, fields: Record) -> str:
    """Insert one record after validation; returns its Id."""
    cleaned = _clean(store, sobject, fields, "create")
    if sobject == "PermissionSetAssignment":
        cleaned = _assignment_fields(store, cleaned)
    elif sobject == "PermissionSet":
        cleaned = _permission_set_fields(cleaned)
    elif sobject == "GroupMember":
        cleaned = _group_member_fields(store, cleaned)
    _check_setting(store, sobject, cleaned, None)
    return store.insert(sobject, cleaned)


def update(store: Store, sobject: str, record_id: str, fields: Record) -> None:
    record = existing(store, sobject, record_id)
    cleaned = _clean(store, sobject, fields, "update")
    if sobject == "PermissionSetAssignment" and "ExpirationDate" in cleaned:
        cleaned["ExpirationDate"] = assignment_rules.expiration(
            store, cleaned["ExpirationDate"], record["PermissionSetId"], assignment_rules.now_utc()
        )
    if sobject == "User" and "ProfileId" in cleaned:
        _move_profile_assignment(store, record, _reference(store, cleaned["ProfileId"], "Profile", "ProfileId"))
    _check_setting(store, sobject, cleaned, str(record["Id"]))
    store.update(sobject, record["Id"], cleaned)


def _check_setting(store: Store, sobject: str, fields: Record, record_id: str | None) -> None:
    found = custom_settings.violation(store, sobject, fields, record_id)
    if found is not None:
        raise RecordError(*found)


def delete(store: Store, sobject: str, record_id: str) -> None:
    record = existing(store, sobject, record_id)
    if writable(store, sobject, "delete") is None:
        raise RecordError("INVALID_TYPE_FOR_OPERATION", f"entity type cannot be deleted: {sobject}")
    if sobject == "PermissionSetAssignment" and _profile_owned(store, record["PermissionSetId"]):
        # The real errorCode for this refusal is not documented anywhere public; DELETE_FAILED is our choice.
        raise RecordError(
            "DELETE_FAILED",
            "You can't delete this permission set assignment because the permission set is owned by a profile.",
        )
    store.delete(sobject, record["Id"])


def read(
    store: Store, sobject: str, record_id: str, base_path: str, *, tooling: bool = False, only: list[str] | None = None
) -> Record:
    """A record in Salesforce JSON shape: attributes, then every schema field (or only ``only``)."""
    database = OrgDatabase(store, tooling=tooling)
    raw = existing(store, sobject, record_id)
    row = database.view(sobject, raw)
    schema = database.schema(sobject)
    assert schema is not None
    names = [info.name for info in schema.fields.values()]
    if only:
        names = [info.name for key in only if (info := schema.field(key)) is not None] or names
    record: Record = {"attributes": {"type": sobject, "url": f"{base_path}/sobjects/{sobject}/{raw['Id']}"}}
    record.update({name: row.get(name) for name in names})
    return record


def _reference(store: Store, value: Any, target: str, field: str) -> str:
    label = field[:-2] + " ID" if field.endswith("Id") else field
    if not isinstance(value, str) or not ids.is_well_formed(value):
        raise RecordError("MALFORMED_ID", f"{label}: id value of incorrect type: {value}", [field])
    record = store.get(target, value)
    if record is None:
        raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field])
    return str(record["Id"])


def _profile_owned(store: Store, permission_set_id: str | None) -> bool:
    ps = store.get("PermissionSet", permission_set_id) if permission_set_id else None
    return bool(ps and ps["IsOwnedByProfile"])


def _assignment_fields(store: Store, fields: Record) -> Record:
    if not fields.get("AssigneeId"):
        raise RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [AssigneeId]", ["AssigneeId"])
    assignee = _reference(store, fields["AssigneeId"], "User", "AssigneeId")
    group_id = None
    if fields.get("PermissionSetGroupId"):
        group_id = _reference(store, fields["PermissionSetGroupId"], "PermissionSetGroup", "PermissionSetGroupId")
        ps_id = store.find("PermissionSet", PermissionSetGroupId=group_id)[0]["Id"]
    elif fields.get("PermissionSetId"):
        ps_id = _reference(store, fields["PermissionSetId"], "PermissionSet", "PermissionSetId")
    else:
        raise RecordError(
            "REQUIRED_FIELD_MISSING", "Required fields are missing: [PermissionSetId]", ["PermissionSetId"]
        )
    if group_id is not None:
        assignment_rules.check_group(store, group_id)
    assignment_rules.check_license(store, assignee, ps_id)
    if _profile_owned(store, ps_id):
        # Salesforce refuses this; the exact code is not public, FIELD_INTEGRITY_EXCEPTION is our choice.
        raise RecordError(
            "FIELD_INTEGRITY_EXCEPTION",
            "You can't assign or unassign this permission set because it's associated with a profile.",
            ["PermissionSetId"],
        )
    if any(
        r["AssigneeId"] == assignee and r["PermissionSetId"] == ps_id
        for r in store.table("PermissionSetAssignment").values()
    ):
        raise RecordError(
            "DUPLICATE_VALUE", f"Duplicate PermissionSetAssignment. Assignee: {assignee}, Permission Set: {ps_id}"
        )
    return {
        "AssigneeId": assignee,
        "PermissionSetId": ps_id,
        "PermissionSetGroupId": group_id,
        "ExpirationDate": assignment_rules.expiration(
            store, fields.get("ExpirationDate"), ps_id, assignment_rules.now_utc()
        ),
        "IsActive": True,
        "SystemModstamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }


def _group_member_fields(store: Store, fields: Record) -> Record:
    """A member of a public group or queue: a user or another group, once per group."""
    missing = [k for k in ("GroupId", "UserOrGroupId") if not fields.get(k)]
    if missing:
        raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
    group = _reference(store, fields["GroupId"], "Group", "GroupId")
    member = str(fields["UserOrGroupId"])
    target = "Group" if member.startswith(ids.KEY_PREFIXES["Group"]) else "User"
    member = _reference(store, member, target, "UserOrGroupId")
    for row in store.find("GroupMember", GroupId=group):
        if row["UserOrGroupId"] == member:
            # DUPLICATE_VALUE is Salesforce's code for a unique-index clash; this wording is ours.
            raise RecordError(
                "DUPLICATE_VALUE",
                f"duplicate value found: UserOrGroupId duplicates value on record with id: {row['Id']}",
                ["UserOrGroupId"],
            )
    return {"GroupId": group, "UserOrGroupId": member}


def _permission_set_fields(fields: Record) -> Record:
    name = str(fields.get("Name") or "")
    if not name or not fields.get("Label"):
        missing = [k for k in ("Label", "Name") if not fields.get(k)]
        raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
    return {
        "Name": name,
        "Label": fields["Label"],
        "NamespacePrefix": None,
        "IsOwnedByProfile": False,
        "ProfileId": None,
        "Type": "Regular",
        "PermissionSetGroupId": None,
        "Description": fields.get("Description"),
    }


def _move_profile_assignment(store: Store, user: Record, profile_id: str) -> None:
    old = store.find("PermissionSet", ProfileId=user["ProfileId"], IsOwnedByProfile=True)
    new = store.find("PermissionSet", ProfileId=profile_id, IsOwnedByProfile=True)
    if not old or not new:
        return
    for psa in store.find("PermissionSetAssignment", AssigneeId=user["Id"], PermissionSetId=old[0]["Id"]):
        store.update("PermissionSetAssignment", psa["Id"], {"PermissionSetId": new[0]["Id"]})
