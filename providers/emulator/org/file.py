"""Write an org's tables back as a readable org document: the seed shape with every id filled in.

Contract: ``build_tables(to_document(data))`` gives the same tables (ids included), so the live org
file is both what the emulator serves and something a person can read and edit. Picklists are written
as ``values`` lists when that says everything, else as the full Tooling ``metadata``. Apex logs are not
written (they live in memory only, like a real org's short-lived logs). ``validation_rules``,
``duplicate_rules``, ``apex_classes``, ``scheduled_jobs``, ``connected_apps``, ``user_logins``,
``apex_test_classes``, ``object_permissions``, ``field_permissions``, ``remote_sites``,
``named_credentials``, ``record_type_picklists``, ``record_type_visibilities`` and ``groups`` are written
only when the org has some, so documents of orgs without any keep their shape.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from . import (
    apex_tests,
    credentials,
    duplicate_rules,
    endpoints,
    flows,
    groups,
    permission_set_licenses,
    permissions,
    record_type_values,
    record_type_visibility,
    scheduled_jobs,
    validation_rules,
)
from .access_rows import ADMIN_PERMISSIONS
from .data import SCHEMA_VERSION, OrgData
from .naming import join_namespace, picklist_value, seed_value
from .pseudo_objects import real_object
from .seed_objects import field_metadata

Record = dict[str, Any]


def to_document(data: OrgData) -> dict[str, Any]:
    """The live org document for ``data`` (see the module docstring)."""
    t = data.tables
    org = next(iter(t["Organization"].values()))
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "organization": {
            "id": org["Id"],
            "name": org["Name"],
            "is_sandbox": org["IsSandbox"],
            "daily_api_limit": org["_daily_api_limit"],
            "session_timeout_minutes": org.get("_session_timeout_minutes", 120),
            "organization_type": org["OrganizationType"],
            "instance_name": org["InstanceName"],
            "namespace_prefix": org["NamespacePrefix"],
        },
        "profiles": [_profile(p, t) for p in t["Profile"].values()],
        "users": _users(t),
        "permission_sets": [_permission_set(ps, t) for ps in t["PermissionSet"].values() if ps["Type"] == "Regular"],
        "permission_set_groups": [_group(g, t) for g in t["PermissionSetGroup"].values()],
        "objects": [_object(e, t) for e in t["EntityDefinition"].values()],
        "global_value_sets": [_global_value_set(g) for g in t["GlobalValueSet"].values()],
        "standard_value_sets": [_standard_value_set(s) for s in t["StandardValueSet"].values()],
        "layout_assignments": [_layout_assignment(pl, t) for pl in t["ProfileLayout"].values()],
        "permission_set_assignments": [
            _assignment(a, t) for a in t["PermissionSetAssignment"].values() if not _profile_owned(a, t)
        ],
        "flows": flows.to_document(data),
        "deleted": dict(data.deleted),
    }
    rules = validation_rules.to_document(t.get("ValidationRule", {}), t["EntityDefinition"])
    document = {**document, validation_rules.SECTION: rules} if rules else document
    duplicates = duplicate_rules.to_document(t.get(duplicate_rules.TABLE, {}))
    document = {**document, duplicate_rules.SECTION: duplicates} if duplicates else document
    document = {
        **document,
        **scheduled_jobs.to_document(t),
        **credentials.to_document(t),
        **apex_tests.to_document(t),
        **permissions.to_document(t),
        **endpoints.to_document(t),
        **permission_set_licenses.to_document(data),
    }
    offered = record_type_values.to_document(data)
    document = {**document, record_type_values.SECTION: offered} if offered else document
    visible = record_type_visibility.to_document(data)
    document = {**document, record_type_visibility.SECTION: visible} if visible else document
    public_groups = groups.to_document(data)
    return {**document, groups.SECTION: public_groups} if public_groups else document


def write_atomically(path: Path, document: dict[str, Any]) -> None:
    """Write JSON to a temp file beside ``path``, fsync it, and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_document(document))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def render_document(document: dict[str, Any]) -> str:
    """The org file's text: one top-level section per line group, one record per line. Written after every
    change, so it uses the C JSON encoder (an indented dump goes through the pure-Python one) and stays
    readable and diffable record by record."""
    rows = []
    for key, value in document.items():
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, list) and value:
            items = ",\n".join(f"  {_compact(item)}" for item in value)
            rows.append(f" {name}: [\n{items}\n ]")
        else:
            rows.append(f" {name}: {_compact(value)}")
    return "{\n" + ",\n".join(rows) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _owned_set(profile_id: str, t: dict[str, dict[str, Record]]) -> Record:
    return next(ps for ps in t["PermissionSet"].values() if ps["ProfileId"] == profile_id and ps["IsOwnedByProfile"])


def _profile_owned(psa: Record, t: dict[str, dict[str, Record]]) -> bool:
    ps = t["PermissionSet"].get(psa["PermissionSetId"])
    return bool(ps and ps["IsOwnedByProfile"])


def _profile(p: Record, t: dict[str, dict[str, Record]]) -> Record:
    return {
        "id": p["Id"],
        "name": p["Name"],
        "full_name": p["_full_name"],
        "user_type": p["UserType"],
        "user_license": _license_name(p.get("UserLicenseId"), t),
        "description": p["Description"],
        "permission_set_id": _owned_set(p["Id"], t)["Id"],
    }


def _users(t: dict[str, dict[str, Record]]) -> list[Record]:
    owned = {ps["ProfileId"]: ps["Id"] for ps in t["PermissionSet"].values() if ps["IsOwnedByProfile"]}
    pairs = {(a["AssigneeId"], a["PermissionSetId"]): a["Id"] for a in t["PermissionSetAssignment"].values()}
    return [_user(u, t, pairs.get((u["Id"], owned.get(u["ProfileId"])))) for u in t["User"].values()]


def _user(u: Record, t: dict[str, dict[str, Record]], psa: str | None) -> Record:
    return {
        "id": u["Id"],
        "username": u["Username"],
        "profile": t["Profile"][u["ProfileId"]]["Name"],
        "active": u["IsActive"],
        "first_name": u["FirstName"],
        "last_name": u["LastName"],
        "email": u["Email"],
        "alias": u["Alias"],
        "profile_assignment_id": psa,
    }


def _permission_set(ps: Record, t: dict[str, dict[str, Record]]) -> Record:
    return {
        "id": ps["Id"],
        "name": join_namespace(ps["NamespacePrefix"], ps["Name"]),
        "label": ps["Label"],
        "description": ps["Description"],
        "permissions": _permission_names(ps),
        "user_license": _license_name(ps.get("LicenseId"), t),
        "permission_set_license": permission_set_licenses.license_name(t, ps.get("LicenseId")),
    }


def _license_name(license_id: str | None, t: dict[str, dict[str, Record]]) -> str | None:
    return str(t["UserLicense"][license_id]["Name"]) if license_id and license_id in t.get("UserLicense", {}) else None


def _permission_names(ps: Record) -> list[str]:
    return [name for name, field in ADMIN_PERMISSIONS.items() if ps.get(field)]


def _group(g: Record, t: dict[str, dict[str, Record]]) -> Record:
    aggregate = next(ps for ps in t["PermissionSet"].values() if ps["PermissionSetGroupId"] == g["Id"])
    return {
        "id": g["Id"],
        "developer_name": join_namespace(g["NamespacePrefix"], g["DeveloperName"]),
        "label": g["MasterLabel"],
        "description": g.get("Description"),
        "permission_set_id": aggregate["Id"],
        "status": g.get("Status") or "Updated",
        "permissions": _permission_names(aggregate),
    }


def _object(e: Record, t: dict[str, dict[str, Record]]) -> Record:
    name = e["QualifiedApiName"]
    record_types = [
        {
            "id": r["Id"],
            "developer_name": join_namespace(r["NamespacePrefix"], r["DeveloperName"]),
            "label": r["Name"],
            "active": r["IsActive"],
            "description": r["Description"],
            **({"person": True} if r.get("IsPersonType") else {}),
        }
        for r in t["RecordType"].values()
        if r["SobjectType"] == name
    ]
    layouts = [
        {"id": lay["Id"], "name": join_namespace(lay["NamespacePrefix"], lay["Name"])}
        for lay in t["Layout"].values()
        if lay["_object"] == name
    ]
    fields = [dict(f) for f in e["_fields"]]
    fields += [_custom_field(f) for f in t["CustomField"].values() if f["_object"] == name]
    records = [{k: v for k, v in r.items() if not k.startswith("_")} for r in t.get(name, {}).values()]
    entry: Record = {
        "name": name,
        "label": e["Label"],
        "plural_label": e["PluralLabel"],
        "key_prefix": e["_key_prefix"],
        "record_types": record_types,
        "layouts": layouts,
        "fields": fields,
        "records": records,
    }
    pseudo = [
        {"id": lay["Id"], "object": lay["_object"], "name": join_namespace(lay["NamespacePrefix"], lay["Name"])}
        for lay in t["Layout"].values()
        if lay["_object"] != name and real_object(lay["_object"]) == name
    ]
    if pseudo:
        entry["pseudo_layouts"] = pseudo
    if e.get("_custom_setting"):
        entry["custom_setting"] = e["_custom_setting"]
    if e["DurableId"] != name:
        entry["id"] = e["DurableId"]
    return entry


def _custom_field(f: Record) -> Record:
    api_name = f["FullName"].split(".", 1)[1]
    metadata = f["Metadata"]
    entry: Record = {"id": f["Id"], "name": api_name, "type": metadata.get("type"), "label": metadata.get("label")}
    value_set = metadata.get("valueSet")
    if value_set is not None:
        definition = value_set.get("valueSetDefinition")
        if value_set.get("valueSetName"):
            entry["global_value_set"] = value_set["valueSetName"]
        elif definition is not None:
            entry["values"] = [seed_value(v) for v in definition.get("value", [])]
            entry["sorted"] = bool(definition.get("sorted"))
        entry["restricted"] = bool(value_set.get("restricted"))
    if metadata.get("description") is not None:
        entry["description"] = metadata["description"]
    if "length" in metadata:
        entry["length"] = metadata["length"]
    if field_metadata(entry, entry["label"]) != metadata:
        entry = {"id": f["Id"], "name": api_name, "metadata": metadata}
    return entry


def _global_value_set(g: Record) -> Record:
    metadata = g["Metadata"]
    values = [seed_value(v) for v in metadata.get("customValue", [])]
    entry: Record = {
        "id": g["Id"],
        "name": g["FullName"],
        "label": g["MasterLabel"],
        "description": g["Description"],
        "sorted": bool(metadata.get("sorted")),
        "values": values,
    }
    rebuilt = {
        "customValue": [picklist_value(v) for v in values],
        "description": g["Description"],
        "masterLabel": g["MasterLabel"],
        "sorted": bool(metadata.get("sorted")),
    }
    if rebuilt != metadata:
        entry.pop("values")
        entry["metadata"] = metadata
    return entry


def _standard_value_set(s: Record) -> Record:
    metadata = s["Metadata"]
    values = [seed_value(v) for v in metadata.get("standardValue", [])]
    rebuilt = {
        "standardValue": [picklist_value(v) for v in values],
        "sorted": bool(metadata.get("sorted")),
        "groupingStringEnum": None,
    }
    entry: Record = {"id": s["Id"], "name": s["FullName"], "sorted": bool(metadata.get("sorted"))}
    if rebuilt == metadata:
        entry["values"] = values
    else:
        entry["metadata"] = metadata
    return entry


def _layout_assignment(pl: Record, t: dict[str, dict[str, Record]]) -> Record:
    layout = t["Layout"][pl["LayoutId"]]
    entry: Record = {
        "id": pl["Id"],
        "profile": t["Profile"][pl["ProfileId"]]["Name"],
        "object": layout["_object"],
        "layout": join_namespace(layout["NamespacePrefix"], layout["Name"]),
    }
    if pl["RecordTypeId"]:
        rt = t["RecordType"][pl["RecordTypeId"]]
        entry["record_type"] = join_namespace(rt["NamespacePrefix"], rt["DeveloperName"])
    return entry


def _assignment(a: Record, t: dict[str, dict[str, Record]]) -> Record:
    entry: Record = {"id": a["Id"], "username": t["User"][a["AssigneeId"]]["Username"]}
    if a["PermissionSetGroupId"]:
        g = t["PermissionSetGroup"][a["PermissionSetGroupId"]]
        entry["permission_set_group"] = join_namespace(g["NamespacePrefix"], g["DeveloperName"])
    else:
        entry["permission_set"] = _permission_set(t["PermissionSet"][a["PermissionSetId"]], t)["name"]
    entry["expiration_date"] = a["ExpirationDate"]
    return entry
