"""Everything an org has of one kind, for ``reconcile import`` and ``reconcile diff --all``.

``read`` answers for keys the caller already knows; an inventory finds the keys first. Calls stay
batched: a constant number of queries and ``listMetadata`` calls, plus one ``readMetadata`` per 10
components.

- ``picklist``: every custom picklist field and every global value set. ``listMetadata`` of
  CustomField and GlobalValueSet (shared with preflight, fetched once) names them with their
  namespace, already as ``Object.Field__c``; their values come from ``readMetadata``, 10 a call. A
  field that is not a picklist, or takes its values from a global value set, is left out (the global
  value set is listed instead). Tooling ``CustomField`` would need a second query to turn the
  ``TableEnumOrId`` of custom objects (an 01I id) into a name, so listMetadata is used.
  Standard value sets are not listed: ``listMetadata(StandardValueSet)`` answers nothing on real orgs
  and there are hundreds of them. Callers read the ones they know by name with ``read``.
- ``layout_assignment``: every assignment of every profile. One query for the profile names, one for
  their ids (``Schema.lookup_profiles``: the fullName comes from ``listMetadata(Profile)``), then
  ``readMetadata(Profile)``, 10 profiles a call. Names keep the org's spelling.
- ``permission_set_grant``: every assignment of a permission set that no profile owns, with one paged
  query. An assignment made through a group is keyed by the group (``group:Sales_Bundle/alice@...``).
- ``apex``: nothing; scripts are not configuration an org holds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from providers.salesforce.kinds.picklist import Picklists
from providers.salesforce.names import decode_component, join_namespace, parse_layout_assignment
from providers.salesforce.schema import Schema, zeep_list
from providers.salesforce.transport import Transport
from reconcile.model import Address, Kind, LayoutAssignment, PermissionSetGrant, Resource

BATCH = 10
_ASSIGNMENTS = (
    "SELECT Id, AssigneeId, Assignee.Username, PermissionSetId, PermissionSet.Name, "
    "PermissionSet.NamespacePrefix, PermissionSetGroupId, PermissionSetGroup.DeveloperName, "
    "PermissionSetGroup.NamespacePrefix, ExpirationDate FROM PermissionSetAssignment "
    "WHERE PermissionSet.IsOwnedByProfile = false"
)


class OrgInventory:
    """Lists every resource of a kind in one org (see the module docstring for the calls made)."""

    def __init__(self, transport: Transport, schema: Schema, picklists: Picklists) -> None:
        self.transport = transport
        self.schema = schema
        self.picklists = picklists

    def inventory(self, kind: Kind) -> dict[Address, Resource]:
        """Every live resource of ``kind``, keyed and shaped as ``read`` returns them."""
        if kind is Kind.PICKLIST:
            return self._picklists()
        if kind is Kind.LAYOUT_ASSIGNMENT:
            return self._layouts()
        if kind is Kind.PERMISSION_SET_GRANT:
            return self._grants()
        return {}

    def _picklists(self) -> dict[Address, Resource]:
        fields = [name for _, name in self.schema.listed("CustomField", "GlobalValueSet")]
        value_sets = [f"gvs:{name}" for _, name in self.schema.listed("GlobalValueSet")]
        found = self.picklists.read([*fields, *value_sets])
        return dict(sorted(found.items()))

    def _layouts(self) -> dict[Address, Resource]:
        names = [str(r["Name"]) for r in self.transport.query_all("SELECT Name FROM Profile")]
        self.schema.lookup_profiles(names)
        profiles = {p.full_name: p for p in (self.schema.profile(n) for n in names) if p is not None}
        by_decoded = {decode_component(full).casefold(): p for full, p in profiles.items()}
        found: dict[Address, Resource] = {}
        full_names = sorted(profiles)
        for start in range(0, len(full_names), BATCH):
            answer = self.transport.metadata("readMetadata", "Profile", full_names[start : start + BATCH])
            for record in _records(answer):
                profile = by_decoded.get(decode_component(str(record.fullName)).casefold())
                if profile is None:
                    continue
                for item in zeep_list(getattr(record, "layoutAssignments", None)):
                    ref = parse_layout_assignment(str(item.layout), item.recordType)
                    assignment = LayoutAssignment(profile=profile.name, object=ref.object,
                                                  record_type=ref.record_type, layout=ref.layout,
                                                  ids={"profile": profile.record_id})
                    found[assignment.address] = assignment
        return dict(sorted(found.items()))

    def _grants(self) -> dict[Address, Resource]:
        found: dict[Address, Resource] = {}
        for record in self.transport.query_all(_ASSIGNMENTS):
            grant = _grant(record)
            if grant is not None:
                found.setdefault(grant.address, grant)
        return dict(sorted(found.items()))


def _records(answer: Any) -> list[Any]:
    records = getattr(answer, "records", answer)
    return [r for r in zeep_list(records) if r is not None and getattr(r, "fullName", None)]


def _grant(record: dict[str, Any]) -> PermissionSetGrant | None:
    """A grant from one PermissionSetAssignment row (None for a row without a user or a name)."""
    username = str((record.get("Assignee") or {}).get("Username") or "")
    group = record.get("PermissionSetGroup") or {}
    permission_set = record.get("PermissionSet") or {}
    expires_text = record.get("ExpirationDate")
    expires = date.fromisoformat(str(expires_text)[:10]) if expires_text else None
    ids = {"assignment": str(record["Id"]), "user": str(record.get("AssigneeId") or "")}
    if not username:
        return None
    if record.get("PermissionSetGroupId"):
        if not group.get("DeveloperName"):
            return None
        ids["permission_set_group"] = str(record["PermissionSetGroupId"])
        name = join_namespace(group.get("NamespacePrefix"), str(group["DeveloperName"]))
        return PermissionSetGrant(permission_set_group=name, username=username, expires=expires, ids=ids)
    if not permission_set.get("Name"):
        return None
    ids["permission_set"] = str(record.get("PermissionSetId") or "")
    name = join_namespace(permission_set.get("NamespacePrefix"), str(permission_set["Name"]))
    return PermissionSetGrant(permission_set=name, username=username, expires=expires, ids=ids)
