"""What each table looks like to SOQL and describe, and the SOQL ``Database`` over the store.

Two views of one org: the REST view (``/services/data/vXX.X/query``) and the Tooling view
(``.../tooling/query``). Each lists the objects it can query; an object outside the view is INVALID_TYPE
there, as in Salesforce (CustomField is Tooling-only, PermissionSetAssignment REST-only). In the Tooling
view, picklist ``Metadata`` shows only active values with ``isActive`` null (wire reference Part 3 §6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..org import flows
from ..org.picklists import tooling_field_metadata, tooling_record_type, tooling_value_set_metadata
from ..org.store import Store
from ..soql import ChildRel, FieldInfo, ObjectSchema, ParentRel

Row = Mapping[str, Any]

_S, _B, _R, _P, _TA = "string", "boolean", "reference", "picklist", "textarea"

FIELDS: dict[str, list[tuple[str, str]]] = {
    "Organization": [
        ("Name", _S),
        ("IsSandbox", _B),
        ("OrganizationType", _P),
        ("InstanceName", _S),
        ("NamespacePrefix", _S),
        ("LanguageLocaleKey", _P),
        ("TrialExpirationDate", "datetime"),
    ],
    "Profile": [("Name", _S), ("UserType", _P), ("UserLicenseId", _R), ("Description", _TA)],
    "User": [
        ("Username", _S),
        ("Name", _S),
        ("FirstName", _S),
        ("LastName", _S),
        ("Email", "email"),
        ("Alias", _S),
        ("IsActive", _B),
        ("ProfileId", _R),
        ("UserType", _P),
    ],
    "PermissionSet": [
        ("Name", _S),
        ("Label", _S),
        ("NamespacePrefix", _S),
        ("IsOwnedByProfile", _B),
        ("ProfileId", _R),
        ("Type", _P),
        ("PermissionSetGroupId", _R),
        ("Description", _TA),
        ("PermissionsManageUsers", _B),
        ("PermissionsAssignPermissionSets", _B),
        ("PermissionsManageProfilesPermissionsets", _B),
        ("LicenseId", _R),
    ],
    "UserLicense": [("Name", _S), ("MasterLabel", _S)],
    "PermissionSetLicense": [("DeveloperName", _S), ("MasterLabel", _S)],
    "PermissionSetLicenseAssign": [("AssigneeId", _R), ("PermissionSetLicenseId", _R)],
    "PermissionSetGroup": [
        ("DeveloperName", _S),
        ("MasterLabel", _S),
        ("NamespacePrefix", _S),
        ("Status", _P),
        ("Description", _TA),
    ],
    "PermissionSetAssignment": [
        ("AssigneeId", _R),
        ("PermissionSetId", _R),
        ("PermissionSetGroupId", _R),
        ("ExpirationDate", "datetime"),
        ("IsActive", _B),
        ("SystemModstamp", "datetime"),
    ],
    "RecordType": [
        ("Name", _S),
        ("DeveloperName", _S),
        ("SobjectType", _P),
        ("NamespacePrefix", _S),
        ("IsActive", _B),
        ("Description", _S),
        ("IsPersonType", _B),
    ],
    "EntityDefinition": [
        ("DurableId", _S),
        ("QualifiedApiName", _S),
        ("DeveloperName", _S),
        ("NamespacePrefix", _S),
        ("Label", _S),
        ("MasterLabel", _S),
        ("PluralLabel", _S),
    ],
    "Layout": [("Name", _S), ("TableEnumOrId", _S), ("NamespacePrefix", _S), ("LayoutType", _P)],
    "ProfileLayout": [("ProfileId", _R), ("LayoutId", _R), ("RecordTypeId", _R), ("TableEnumOrId", _S)],
    "CustomField": [
        ("DeveloperName", _S),
        ("NamespacePrefix", _S),
        ("TableEnumOrId", _S),
        ("FullName", _S),
        ("ManageableState", _P),
        ("Metadata", "anyType"),
    ],
    "GlobalValueSet": [
        ("DeveloperName", _S),
        ("MasterLabel", _S),
        ("NamespacePrefix", _S),
        ("FullName", _S),
        ("Description", _S),
        ("Metadata", "anyType"),
    ],
    "ValidationRule": [
        ("ValidationName", _S),
        ("NamespacePrefix", _S),
        ("Active", _B),
        ("Description", _S),
        ("EntityDefinitionId", _S),
        ("ErrorDisplayField", _S),
        ("ErrorMessage", _S),
        ("FullName", _S),
        ("ManageableState", _P),
        ("Metadata", "anyType"),
    ],
    "FlowDefinition": [
        ("DeveloperName", _S),
        ("NamespacePrefix", _S),
        ("MasterLabel", _S),
        ("Description", _TA),
        ("ActiveVersionId", _R),
        ("LatestVersionId", _R),
        ("ManageableState", _P),
        ("FullName", _S),
        ("Metadata", "anyType"),
    ],
    "Flow": [
        ("DefinitionId", _R),
        ("VersionNumber", "int"),
        ("Status", _P),
        ("MasterLabel", _S),
        ("ProcessType", _P),
    ],
    "DuplicateRule": [
        ("DeveloperName", _S),
        ("NamespacePrefix", _S),
        ("MasterLabel", _S),
        ("SobjectType", _P),
        ("SobjectSubtype", _P),
        ("IsActive", _B),
        ("Language", _P),
    ],
    "CronJobDetail": [("Name", _S), ("JobType", _P)],
    "CronTrigger": [
        ("CronExpression", _S),
        ("CronJobDetailId", _R),
        ("State", _S),
        ("TimesTriggered", "int"),
        ("NextFireTime", "datetime"),
    ],
    "ApexLog": [
        ("LogUserId", _R),
        ("LogLength", "int"),
        ("Operation", _S),
        ("Application", _S),
        ("Status", _S),
        ("StartTime", "datetime"),
        ("DurationMilliseconds", "int"),
        ("Request", _S),
        ("Location", _P),
    ],
    "ObjectPermissions": [
        ("ParentId", _R),
        ("SobjectType", _P),
        ("PermissionsRead", _B),
        ("PermissionsCreate", _B),
        ("PermissionsEdit", _B),
        ("PermissionsDelete", _B),
        ("PermissionsViewAllRecords", _B),
        ("PermissionsModifyAllRecords", _B),
    ],
    "FieldPermissions": [
        ("ParentId", _R),
        ("SobjectType", _P),
        ("Field", _S),
        ("PermissionsRead", _B),
        ("PermissionsEdit", _B),
    ],
    "ApexClass": [("Name", _S), ("NamespacePrefix", _S), ("Status", _P), ("IsValid", _B)],
    "AsyncApexJob": [
        ("JobType", _P),
        ("Status", _P),
        ("ExtendedStatus", _S),
        ("ApexClassId", _R),
        ("JobItemsProcessed", "int"),
        ("TotalJobItems", "int"),
        ("NumberOfErrors", "int"),
        ("CreatedDate", "datetime"),
        ("CompletedDate", "datetime"),
    ],
    "ApexTestQueueItem": [("ApexClassId", _R), ("ParentJobId", _R), ("Status", _P), ("ExtendedStatus", _S)],
    "ApexTestResult": [
        ("ApexClassId", _R),
        ("MethodName", _S),
        ("Outcome", _P),
        ("Message", _S),
        ("StackTrace", _S),
        ("AsyncApexJobId", _R),
        ("QueueItemId", _R),
        ("RunTime", "int"),
        ("TestTimestamp", "datetime"),
    ],
    "Group": [("Name", _S), ("DeveloperName", _S), ("Type", _P)],
    "GroupMember": [("GroupId", _R), ("UserOrGroupId", _R)],
}

PARENTS: dict[str, list[ParentRel]] = {
    "User": [ParentRel("Profile", "ProfileId", "Profile")],
    "Profile": [ParentRel("UserLicense", "UserLicenseId", "UserLicense")],
    "PermissionSet": [
        # License is polymorphic in Salesforce (UserLicense or PermissionSetLicense); only the former here.
        ParentRel("License", "LicenseId", "UserLicense"),
        ParentRel("Profile", "ProfileId", "Profile"),
        ParentRel("PermissionSetGroup", "PermissionSetGroupId", "PermissionSetGroup"),
    ],
    "PermissionSetLicenseAssign": [
        ParentRel("Assignee", "AssigneeId", "User"),
        ParentRel("PermissionSetLicense", "PermissionSetLicenseId", "PermissionSetLicense"),
    ],
    "PermissionSetAssignment": [
        ParentRel("Assignee", "AssigneeId", "User"),
        ParentRel("PermissionSet", "PermissionSetId", "PermissionSet"),
        ParentRel("PermissionSetGroup", "PermissionSetGroupId", "PermissionSetGroup"),
    ],
    "ProfileLayout": [
        ParentRel("Profile", "ProfileId", "Profile"),
        ParentRel("Layout", "LayoutId", "Layout"),
        ParentRel("RecordType", "RecordTypeId", "RecordType"),
    ],
    "ApexLog": [ParentRel("LogUser", "LogUserId", "User")],
    "ValidationRule": [ParentRel("EntityDefinition", "EntityDefinitionId", "EntityDefinition")],
    "FlowDefinition": [
        ParentRel("ActiveVersion", "ActiveVersionId", "Flow"),
        ParentRel("LatestVersion", "LatestVersionId", "Flow"),
    ],
    "Flow": [ParentRel("Definition", "DefinitionId", "FlowDefinition")],
    "CronTrigger": [ParentRel("CronJobDetail", "CronJobDetailId", "CronJobDetail")],
    "ObjectPermissions": [ParentRel("Parent", "ParentId", "PermissionSet")],
    "FieldPermissions": [ParentRel("Parent", "ParentId", "PermissionSet")],
    "ApexTestQueueItem": [ParentRel("ApexClass", "ApexClassId", "ApexClass")],
    "ApexTestResult": [
        ParentRel("ApexClass", "ApexClassId", "ApexClass"),
        ParentRel("AsyncApexJob", "AsyncApexJobId", "AsyncApexJob"),
    ],
    "GroupMember": [ParentRel("Group", "GroupId", "Group")],
}

CHILDREN: dict[str, list[ChildRel]] = {
    "User": [ChildRel("PermissionSetAssignments", "PermissionSetAssignment", "AssigneeId")],
    "Profile": [ChildRel("Users", "User", "ProfileId")],
    "PermissionSet": [ChildRel("Assignments", "PermissionSetAssignment", "PermissionSetId")],
}

REST_OBJECTS = (
    "Organization",
    "Profile",
    "User",
    "PermissionSet",
    "PermissionSetGroup",
    "PermissionSetAssignment",
    "RecordType",
    "EntityDefinition",
    "DuplicateRule",
    "CronTrigger",
    "CronJobDetail",
    "ObjectPermissions",
    "FieldPermissions",
    "ApexClass",
    "AsyncApexJob",
    "ApexTestQueueItem",
    "ApexTestResult",
    "UserLicense",
    "Group",
    "GroupMember",
    "PermissionSetLicense",
    "PermissionSetLicenseAssign",
)
TOOLING_OBJECTS = (
    "Organization",
    "Profile",
    "User",
    "PermissionSet",
    "RecordType",
    "EntityDefinition",
    "Layout",
    "ProfileLayout",
    "CustomField",
    "GlobalValueSet",
    "ValidationRule",
    "ApexLog",
    "FlowDefinition",
    "Flow",
    "ApexClass",
    "AsyncApexJob",
    "ApexTestQueueItem",
    "ApexTestResult",
)
TOOLING_ONLY_FIELDS = {"RecordType": [("FullName", _S), ("Metadata", "anyType")]}

DESCRIBE_TYPES = {
    "Picklist": "picklist",
    "MultiselectPicklist": "multipicklist",
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Checkbox": "boolean",
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Date": "date",
    "DateTime": "datetime",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
}


#: The standard fields of a custom metadata type's records (``Type__mdt``) that SOQL offers.
MDT_FIELDS = ("DeveloperName", "MasterLabel", "Label", "QualifiedApiName", "NamespacePrefix")


def data_object_fields(store: Store, sobject: str) -> list[tuple[str, str]]:
    """Fields of a data object declared in the org document: Id/Name, record type, declared fields."""
    entity = store.find("EntityDefinition", QualifiedApiName=sobject)[0]
    fields: list[tuple[str, str]] = [("Name", _S)]
    if sobject.endswith("__mdt"):
        fields = [(name, _S) for name in MDT_FIELDS]
    if entity.get("_custom_setting") == "hierarchy":
        fields.append(("SetupOwnerId", _R))
    if store.find("RecordType", SobjectType=sobject):
        fields.append(("RecordTypeId", _R))
    for spec in entity["_fields"]:
        fields.append((spec["name"], DESCRIBE_TYPES.get(spec["type"], _S)))
    for custom in store.find("CustomField", _object=sobject):
        fields.append((custom["FullName"].split(".", 1)[1], DESCRIBE_TYPES.get(custom["Metadata"].get("type"), _S)))
    return fields


class OrgDatabase:
    """The SOQL ``Database`` over a store, in the REST or the Tooling view (see the module docstring)."""

    def __init__(self, store: Store, *, tooling: bool = False) -> None:
        self.store = store
        self.tooling = tooling

    def names(self) -> list[str]:
        """API names of every object queryable in this view."""
        if self.tooling:
            return list(TOOLING_OBJECTS)
        data_objects = [e["QualifiedApiName"] for e in self.store.table("EntityDefinition").values()]
        return [*REST_OBJECTS, *data_objects]

    def resolve(self, sobject: str) -> str | None:
        lowered = sobject.lower()
        return next((name for name in self.names() if name.lower() == lowered), None)

    def schema(self, sobject: str) -> ObjectSchema | None:
        name = self.resolve(sobject)
        if name is None:
            return None
        fields = [FieldInfo("Id", "id"), *(FieldInfo(n, t) for n, t in self.field_types(name))]
        parents = list(PARENTS.get(name, []))
        if any(f.name == "RecordTypeId" for f in fields):
            parents.append(ParentRel("RecordType", "RecordTypeId", "RecordType"))
        children = [c for c in CHILDREN.get(name, []) if self.resolve(c.child)]
        return ObjectSchema.of(name, fields, parents, children)

    def field_types(self, name: str) -> list[tuple[str, str]]:
        if name in FIELDS:
            extra = TOOLING_ONLY_FIELDS.get(name, []) if self.tooling else []
            return [*FIELDS[name], *extra]
        return data_object_fields(self.store, name)

    def rows(self, sobject: str) -> Iterable[Row]:
        name = self.resolve(sobject) or sobject
        return (self.view(name, row) for row in self.store.table(name).values())

    def get(self, sobject: str, record_id: str) -> Row | None:
        name = self.resolve(sobject) or sobject
        row = self.store.get(name, record_id)
        return self.view(name, row) if row is not None else None

    def view(self, name: str, row: Row) -> Row:
        """The row as this view shows it (Tooling picklist metadata, RecordType FullName/Metadata)."""
        if not self.tooling:
            return row
        if name == "CustomField":
            return {**row, "Metadata": tooling_field_metadata(row["Metadata"])}
        if name == "GlobalValueSet":
            return {**row, "Metadata": tooling_value_set_metadata(row["Metadata"])}
        if name == "RecordType":
            return {**row, **tooling_record_type(self.store, row)}
        if name == "FlowDefinition":
            return flows.tooling_view(self.store.data, row)
        return row
