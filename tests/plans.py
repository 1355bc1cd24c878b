"""Sample plans for renderer and plan-file tests.

``sample_plan()`` is the representative two-org plan the golden files are rendered from: every resource
kind, every action, picklist value detail, a warning and an org with an error, at a fixed time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from reconcile.kinds.apex import ApexScript
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Action, Address, Change, ValueChange, live_fingerprint
from reconcile.plan import OrgPlan, Plan

CREATED_AT = datetime(2025, 3, 14, 9, 30, 5, 123456, tzinfo=UTC)
CONFIG_DIGEST = "3f2a9c0d5e1b47a8c6d2e0f9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9"
STATE_LINEAGE = "6b1f0c2e-7d54-4f0e-9a3b-2c8d1e5f4a90"


def _tier(*values: PicklistValue, ids: dict[str, str] | None = None) -> Picklist:
    return Picklist(target="Account.Tier__c", values=values, ids=ids or {})


def _tier_update() -> Change:
    before = _tier(
        PicklistValue(name="Gold"),
        PicklistValue(name="Silver", default=True),
        PicklistValue(name="Copper"),
        ids={"CustomField": "00N5g00000AbCdE"},
    )
    after = _tier(
        PicklistValue(name="Gold", label="Gold tier", default=True),
        PicklistValue(name="Silver"),
        PicklistValue(name="Copper", active=False),
        PicklistValue(name="Bronze", label="Bronze tier"),
    )
    details = (
        ValueChange(value="Bronze", change="add", after="Bronze tier"),
        ValueChange(value="Gold", change="relabel", before="Gold", after="Gold tier"),
        ValueChange(value="Copper", change="deactivate"),
        ValueChange(value="Gold", change="default", before="Silver", after="Gold"),
    )
    return Change(
        address=before.address,
        action=Action.UPDATE,
        before=before,
        after=after,
        reason="picklist values differ",
        details=details,
        fingerprint=live_fingerprint(before),
    )


def _layout(profile: str, record_type: str, layout: str) -> LayoutAssignment:
    return LayoutAssignment(profile=profile, object="Account", record_type=record_type, layout=layout)


def _layout_changes() -> list[Change]:
    live = _layout("Sales User", "Enterprise", "Account Layout")
    forgotten = _layout("Sales Manager", "", "Account Layout")
    new = _layout("Sales Manager", "Enterprise", "Account Enterprise Layout")
    return [
        Change(
            address=live.address,
            action=Action.UPDATE,
            before=live,
            after=live.model_copy(update={"layout": "Account Enterprise Layout"}),
            reason="layout differs",
            fingerprint=live_fingerprint(live),
        ),
        Change(address=new.address, action=Action.CREATE, after=new, reason="not assigned yet"),
        Change(
            address=forgotten.address,
            action=Action.FORGET,
            before=forgotten,
            reason="no longer in the configuration; the org keeps its layout",
            fingerprint=live_fingerprint(forgotten),
        ),
    ]


def _grant_changes() -> list[Change]:
    new = PermissionSetGrant(permission_set="Sales_Ops", username="alice@acme.com.uat", expires=date(2025, 12, 31))
    old = PermissionSetGrant(
        permission_set="Sales_Ops",
        username="carol@acme.com.uat",
        ids={"PermissionSetAssignment": "0Pa5g0001"},
    )
    return [
        Change(address=new.address, action=Action.CREATE, after=new, reason="not granted yet"),
        Change(
            address=old.address,
            action=Action.DELETE,
            before=old,
            reason="Sales_Ops is exclusive and carol@acme.com.uat is not listed",
            fingerprint=live_fingerprint(old),
        ),
    ]


def _apex_run() -> Change:
    script = ApexScript(
        name="backfill-tiers",
        file="scripts/backfill_tiers.apex",
        sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        run="once",
        body="update [SELECT Id FROM Account WHERE Tier__c = null];\n",
    )
    return Change(
        address=script.address,
        action=Action.RUN,
        after=script,
        reason="never run in this org",
        depends_on=(Address("picklist", "Account.Tier__c"),),
    )


def _uat() -> OrgPlan:
    changes = [_tier_update(), *_layout_changes(), *_grant_changes(), _apex_run()]
    return OrgPlan(
        org="uat",
        org_id="00D7Q000001AbCdUAK",
        org_name="Acme UAT",
        is_sandbox=True,
        changes=tuple(changes),
        unchanged=12,
        warnings=("apex:backfill-tiers has no `after`; it runs after the picklists by default",),
        api_calls=9,
        api_remaining=14991,
    )


def _prod() -> OrgPlan:
    regions = Picklist(
        target="gvs:Regions",
        values=(PicklistValue(name="EMEA"), PicklistValue(name="AMER"), PicklistValue(name="APAC")),
        sorted=True,
    )
    group_grant = PermissionSetGrant(permission_set_group="Sales_Bundle", username="dave@acme.com")
    return OrgPlan(
        org="prod",
        org_id="00D5g000004XyZaEAK",
        org_name="Acme",
        is_sandbox=False,
        changes=(
            Change(address=regions.address, action=Action.CREATE, after=regions, reason="not in the org"),
            Change(address=group_grant.address, action=Action.CREATE, after=group_grant, reason="not granted yet"),
        ),
        unchanged=4,
        errors=("picklist:Account.Tier__c: field Account.Tier__c does not exist in this org",),
        api_calls=7,
        api_remaining=None,
    )


def sample_plan() -> Plan:
    """The representative two-org plan the golden files show."""
    return Plan(
        created_at=CREATED_AT,
        config_digest=CONFIG_DIGEST,
        state_lineage=STATE_LINEAGE,
        state_serial=7,
        orgs=(_prod(), _uat()),
    )


def empty_plan() -> Plan:
    """Two orgs, nothing to do."""
    orgs = (
        OrgPlan(org="prod", org_id="00D5g000004XyZaEAK", unchanged=4),
        OrgPlan(org="uat", org_id="00D7Q000001AbCdUAK", is_sandbox=True, unchanged=12),
    )
    return Plan(
        created_at=CREATED_AT,
        config_digest=CONFIG_DIGEST,
        state_lineage=STATE_LINEAGE,
        state_serial=7,
        orgs=orgs,
    )


def large_plan(count: int, *, deletes: int = 3) -> Plan:
    """One org with ``count`` grant changes, the first ``deletes`` of them deletes, the rest creates."""
    changes: list[Change] = []
    for index in range(count):
        grant = PermissionSetGrant(permission_set="Sales_Ops", username=f"user{index:05d}@acme.com")
        if index < deletes:
            changes.append(Change(address=grant.address, action=Action.DELETE, before=grant, reason="revoked"))
        else:
            changes.append(Change(address=grant.address, action=Action.CREATE, after=grant, reason="not granted"))
    org = OrgPlan(org="uat", org_id="00D7Q000001AbCdUAK", is_sandbox=True, changes=tuple(changes))
    return Plan(
        created_at=CREATED_AT,
        config_digest=CONFIG_DIGEST,
        state_lineage=STATE_LINEAGE,
        state_serial=7,
        orgs=(org,),
    )
