"""Build an org's tables from an org document (a hand-written seed, or a live org file with ids).

Contract: ``build_tables(document)`` never mutates ``document``. An entry carrying an ``id`` keeps it;
an entry without one gets a deterministic id from (org name, object type, natural key), so loading the
same seed twice gives the same ids. The Organization's own id also takes the ``instance`` the document is
loaded for (the live org file's name): two live orgs made from one seed are two orgs, as two sandboxes
are, and must not share an Organization Id. Every profile gets its profile-owned PermissionSet, every permission
set group its aggregate PermissionSet, every user an assignment to the profile's permission set, and every
(profile, object, record type) without a declared layout assignment the object's first layout, as in a
real org. The ``validation_rules`` section is described in ``org/validation_rules.py``, the
``duplicate_rules`` section in ``org/duplicate_rules.py``, ``scheduled_jobs`` and ``apex_classes`` in
``org/scheduled_jobs.py``, ``connected_apps`` and ``user_logins`` in ``org/credentials.py``,
``apex_test_classes`` in ``org/apex_tests.py``, ``object_permissions`` and ``field_permissions`` in
``org/permissions.py``, ``remote_sites`` and ``named_credentials`` in ``org/endpoints.py``. Unknown
references (a user's profile, an assignment's permission set, a rule's object) raise ``SeedError``.
The ``flows`` section (flow definitions and their versions) is loaded and documented by ``flows.py``.

A profile's ``user_license`` (``Salesforce`` unless given) and a permission set's (none unless given) name
UserLicense records, made on first use. A permission set or group may list ``permissions``
(``ManageUsers``, ``AssignPermissionSets``, ``ManageProfilesPermissionsets``: those that forbid an
expiring assignment), a group its ``status`` (``Updated`` unless given: ``Outdated``, ``Updating``,
``Failed``); an assignment's ``expiration_date`` may be a date (midnight UTC) or a dateTime.

The ``record_type_picklists`` section (values each record type offers) by ``record_type_values.py``,
``record_type_visibilities`` (record types each profile sees) by ``record_type_visibility.py``, ``groups``
(public groups, queues and their members) by ``groups.py``.
"""

from __future__ import annotations

from typing import Any

from . import (
    apex_tests,
    credentials,
    duplicate_rules,
    endpoints,
    flows,
    groups,
    ids,
    permission_set_licenses,
    permissions,
    record_type_values,
    record_type_visibility,
    scheduled_jobs,
    seed_schema,
    validation_rules,
)
from .access_rows import admin_permissions, assignment_record, permission_set_record
from .data import SCHEMA_VERSION, OrgData, SeedError
from .naming import picklist_value, profile_full_name, split_namespace
from .seed_check import did_you_mean
from .seed_objects import ObjectLoader

DEFAULT_DAILY_API_LIMIT = 15000
LIST_SECTIONS = (
    "profiles",
    "permission_sets",
    "permission_set_groups",
    "users",
    "global_value_sets",
    "standard_value_sets",
    "objects",
    "layout_assignments",
    "permission_set_assignments",
    "validation_rules",
    "flows",
    "duplicate_rules",
    "scheduled_jobs",
    "apex_classes",
    "connected_apps",
    "user_logins",
    "apex_test_classes",
    "object_permissions",
    "field_permissions",
    "class_accesses",
    "remote_sites",
    "named_credentials",
    "record_type_picklists",
    "record_type_visibilities",
    "groups",
    "permission_set_licenses",
    "permission_set_license_assignments",
)
#: Where a seed declares what each reference names (for "declare it under ..." hints).
DECLARED_IN = {
    "profile": "$.profiles",
    "user": "$.users",
    "permission set": "$.permission_sets",
    "permission set group": "$.permission_set_groups",
}
CORE_TABLES = (
    "Organization",
    "Profile",
    "User",
    "PermissionSet",
    "PermissionSetGroup",
    "PermissionSetAssignment",
    "EntityDefinition",
    "RecordType",
    "Layout",
    "ProfileLayout",
    "CustomField",
    "GlobalValueSet",
    "StandardValueSet",
    "ApexLog",
    "ValidationRule",
    "DuplicateRule",
    "UserLicense",
)


class _Builder:
    """One pass over a document; keeps name -> id maps for resolving references."""

    def __init__(self, document: dict[str, Any], instance: str = "") -> None:
        org = document.get("organization") or {}
        self.doc = document
        self.instance = instance
        self.org_name = str(org.get("name") or "Emulated Org")
        self.data = OrgData(self.org_name, {name: {} for name in CORE_TABLES})
        self.profiles: dict[str, str] = {}
        self.owned_sets: dict[str, str] = {}
        self.users: dict[str, str] = {}
        self.permission_sets: dict[str, str] = {}
        self.groups: dict[str, tuple[str, str]] = {}
        self.spelled: dict[str, str] = {}  # lower-cased name -> as the seed spells it, for hints

    def mint(self, sobject: str, natural_key: str, given: Any = None) -> str:
        if given:
            return ids.to_18(str(given))
        return ids.mint(ids.KEY_PREFIXES[sobject], self.org_name, sobject, natural_key)

    def build(self) -> OrgData:
        self.organization(self.doc.get("organization") or {})
        for spec in self.doc.get("profiles", []):
            self.profile(spec)
        permission_set_licenses.load_licenses(self.data, self.mint, self.doc)
        for spec in self.doc.get("permission_sets", []):
            self.permission_set(spec)
        for spec in self.doc.get("permission_set_groups", []):
            self.group(spec)
        for index, spec in enumerate(self.doc.get("users", [])):
            self.user(spec, f"$.users[{index}]")
        permission_set_licenses.load_assignments(self.data, self.mint, self.doc)
        for spec in self.doc.get("global_value_sets", []):
            self.global_value_set(spec)
        for spec in self.doc.get("standard_value_sets", []):
            self.standard_value_set(spec)
        ObjectLoader(self.data, self.mint, self.profiles).load(
            self.doc.get("objects", []), self.doc.get("layout_assignments", [])
        )
        for index, spec in enumerate(self.doc.get("permission_set_assignments", [])):
            self.assignment(spec, f"$.permission_set_assignments[{index}]")
        validation_rules.load(self.data, self.doc.get(validation_rules.SECTION, []), self.mint)
        flows.load(self.data, self.mint, self.doc.get("flows", []))
        duplicate_rules.load(self.data, self.doc.get(duplicate_rules.SECTION, []), self.mint)
        scheduled_jobs.load(self.data, self.doc, self.mint)
        credentials.load(self.data, self.doc, self.users)
        apex_tests.load(self.data, self.doc, self.mint)
        permissions.load(self.data, self.doc, self.mint)
        endpoints.load(self.data, self.doc, self.mint)
        record_type_values.load(self.data, self.doc.get(record_type_values.SECTION, []))
        record_type_visibility.load(self.data, self.doc.get(record_type_visibility.SECTION, []))
        groups.load(self.data, self.mint, self.doc.get(groups.SECTION, []))
        self.data.deleted = dict(self.doc.get("deleted", {}))
        return self.data

    def organization(self, spec: dict[str, Any]) -> None:
        self.data.add(
            "Organization",
            {
                "Id": self.mint("Organization", "/".join(filter(None, (self.org_name, self.instance))), spec.get("id")),
                "Name": self.org_name,
                "IsSandbox": bool(spec.get("is_sandbox", False)),
                "OrganizationType": spec.get("organization_type", "Developer Edition"),
                "InstanceName": spec.get("instance_name", "EMU1"),
                "NamespacePrefix": spec.get("namespace_prefix"),
                "LanguageLocaleKey": "en_US",
                "TrialExpirationDate": None,
                "_daily_api_limit": int(spec.get("daily_api_limit", DEFAULT_DAILY_API_LIMIT)),
                "_session_timeout_minutes": int(spec.get("session_timeout_minutes", 120)),
            },
        )

    def profile(self, spec: dict[str, Any]) -> None:
        name = _required(spec, "name", "profile")
        profile_id = self.mint("Profile", name, spec.get("id"))
        self.data.add(
            "Profile",
            {
                "Id": profile_id,
                "Name": name,
                "UserType": spec.get("user_type", "Standard"),
                "UserLicenseId": self.license(spec.get("user_license") or "Salesforce"),
                "Description": spec.get("description"),
                "_full_name": spec.get("full_name") or profile_full_name(name),
            },
        )
        owned_id = self.mint("PermissionSet", f"profile:{name}", spec.get("permission_set_id"))
        self.data.add(
            "PermissionSet",
            permission_set_record(owned_id, f"X{profile_id}", name, None, "Profile")
            | {
                "IsOwnedByProfile": True,
                "ProfileId": profile_id,
            },
        )
        self.profiles[name.lower()] = profile_id
        self.spelled[name.lower()] = name
        self.owned_sets[profile_id] = owned_id

    def license(self, name: str) -> str:
        """The Id of the UserLicense ``name`` (made on first use)."""
        license_id = self.mint("UserLicense", name.lower())
        if license_id not in self.data.tables["UserLicense"]:
            self.data.add("UserLicense", {"Id": license_id, "Name": name, "MasterLabel": name})
        return license_id

    def permission_set(self, spec: dict[str, Any]) -> None:
        full = _required(spec, "name", "permission set")
        namespace, name = split_namespace(full)
        ps_id = self.mint("PermissionSet", full, spec.get("id"))
        record = permission_set_record(ps_id, name, spec.get("label") or name, namespace, "Regular")
        record["Description"] = spec.get("description")
        record["LicenseId"] = self.license(spec["user_license"]) if spec.get("user_license") else None
        record["LicenseId"] = permission_set_licenses.required(self.data, spec, full) or record["LicenseId"]
        record |= admin_permissions(spec)
        self.data.add("PermissionSet", record)
        self.permission_sets[full.lower()] = ps_id
        self.spelled[full.lower()] = full

    def group(self, spec: dict[str, Any]) -> None:
        full = _required(spec, "developer_name", "permission set group")
        namespace, name = split_namespace(full)
        group_id = self.mint("PermissionSetGroup", full, spec.get("id"))
        label = spec.get("label") or name
        self.data.add(
            "PermissionSetGroup",
            {
                "Id": group_id,
                "DeveloperName": name,
                "MasterLabel": label,
                "NamespacePrefix": namespace,
                "Status": spec.get("status", "Updated"),
                "Description": spec.get("description"),
            },
        )
        aggregate_id = self.mint("PermissionSet", f"group:{full}", spec.get("permission_set_id"))
        self.data.add(
            "PermissionSet",
            permission_set_record(aggregate_id, f"X{group_id}", label, None, "Group")
            | {
                "PermissionSetGroupId": group_id,
            }
            | admin_permissions(spec),
        )
        self.groups[full.lower()] = (group_id, aggregate_id)
        self.spelled[full.lower()] = full

    def user(self, spec: dict[str, Any], path: str) -> None:
        username = _required(spec, "username", "user")
        profile_id = self._resolve(self.profiles, spec.get("profile"), "profile", f"{path}.profile")
        user_id = self.mint("User", username.lower(), spec.get("id"))
        local = username.split("@")[0]
        first, last = spec.get("first_name"), spec.get("last_name") or local
        self.data.add(
            "User",
            {
                "Id": user_id,
                "Username": username,
                "Name": f"{first} {last}" if first else last,
                "FirstName": first,
                "LastName": last,
                "Email": spec.get("email") or username,
                "Alias": spec.get("alias") or local[:8],
                "IsActive": bool(spec.get("active", True)),
                "ProfileId": profile_id,
                "UserType": "Standard",
            },
        )
        psa_id = self.mint("PermissionSetAssignment", f"{username.lower()}|profile", spec.get("profile_assignment_id"))
        self.data.add(
            "PermissionSetAssignment", assignment_record(psa_id, user_id, self.owned_sets[profile_id], None, None)
        )
        self.users[username.lower()] = user_id
        self.spelled[username.lower()] = username

    def assignment(self, spec: dict[str, Any], path: str) -> None:
        username = _required(spec, "username", "permission set assignment")
        user_id = self._resolve(self.users, username, "user", f"{path}.username")
        if spec.get("permission_set_group"):
            key = str(spec["permission_set_group"])
            group_id, ps_id = self._resolve(self.groups, key, "permission set group", f"{path}.permission_set_group")
        else:
            key = str(spec.get("permission_set"))
            group_id, ps_id = None, self._resolve(self.permission_sets, key, "permission set", f"{path}.permission_set")
        psa_id = self.mint("PermissionSetAssignment", f"{username.lower()}|{key.lower()}", spec.get("id"))
        self.data.add(
            "PermissionSetAssignment", assignment_record(psa_id, user_id, ps_id, group_id, spec.get("expiration_date"))
        )

    def global_value_set(self, spec: dict[str, Any]) -> None:
        full = _required(spec, "name", "global value set")
        namespace, name = split_namespace(full)
        label = spec.get("label") or name
        self.data.add(
            "GlobalValueSet",
            {
                "Id": self.mint("GlobalValueSet", full, spec.get("id")),
                "DeveloperName": name,
                "MasterLabel": label,
                "NamespacePrefix": namespace,
                "FullName": full,
                "Description": spec.get("description"),
                "Metadata": spec.get("metadata")
                or {
                    "customValue": [picklist_value(v) for v in spec.get("values", [])],
                    "description": spec.get("description"),
                    "masterLabel": label,
                    "sorted": bool(spec.get("sorted", False)),
                },
            },
        )

    def standard_value_set(self, spec: dict[str, Any]) -> None:
        name = _required(spec, "name", "standard value set")
        self.data.add(
            "StandardValueSet",
            {
                "Id": self.mint("StandardValueSet", name, spec.get("id")),
                "FullName": name,
                "Metadata": spec.get("metadata")
                or {
                    "standardValue": [picklist_value(v) for v in spec.get("values", [])],
                    "sorted": bool(spec.get("sorted", False)),
                    "groupingStringEnum": None,
                },
            },
        )

    def _resolve(self, names: dict[str, Any], key: Any, what: str, path: str) -> Any:
        """The id of ``key`` in ``names``; an unknown one raises ``SeedError`` at ``path`` with a hint."""
        if not key or str(key).lower() not in names:
            section = DECLARED_IN[what]
            hint = did_you_mean(str(key or ""), [self.spelled.get(name, name) for name in names])
            raise SeedError(f'{path}: unknown {what} "{key or ""}"{hint} Declare it under {section} or fix the name')
        return names[str(key).lower()]


def _required(spec: dict[str, Any], key: str, what: str) -> str:
    value = spec.get(key)
    if not value:
        raise SeedError(f"a {what} entry has no {key!r}: {spec!r}")
    return str(value)


def build_tables(document: Any, instance: str = "") -> OrgData:
    """The org's tables from a seed or live org document for ``instance`` (see the module docstring). A
    document of the
    wrong shape (not an object, a section that is not a list of entries, an entry that is not an object
    where one is expected) raises ``SeedError`` too."""
    if not isinstance(document, dict):
        raise SeedError(f"an org file holds a JSON object, not {_json_type(document)}")
    seed_schema.check(document)
    version = document.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise SeedError(f"unsupported org file schema_version {version!r}; this emulator reads {SCHEMA_VERSION}")
    for section in LIST_SECTIONS:
        if not isinstance(document.get(section, []), list):
            raise SeedError(f"`{section}` must be a list, not {_json_type(document[section])}")
    try:
        return _Builder(document, instance).build()
    except (AttributeError, TypeError, KeyError) as exc:
        raise SeedError(f"an entry does not have the documented shape ({exc})") from exc


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
