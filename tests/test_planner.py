from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from providers.base import OrgIdentity, Provider
from reconcile.config.desired import DesiredOrg
from reconcile.errors import ProviderError, StalePlanError
from reconcile.kinds.apex import ApexScript
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist, PicklistValue
from reconcile.model import Action, Address, Change, Resource, ValueChange
from reconcile.planner import build_plan, plan_org, read_keys, verify_fresh
from state.base import ApexRun, OrgState, State, StateEntry
from tests.support.fakes import FakeProvider

IDENTITY = OrgIdentity("00D000000000001AAA", "Fake Org", True, "62.0")
TIER = Address("picklist", "Account.Tier__c")


def pv(name: str, label: str = "", *, default: bool = False, active: bool = True) -> PicklistValue:
    return PicklistValue(name=name, label=label, default=default, active=active)


def tier(*values: PicklistValue, mode: str = "additive", sorted_: bool | None = None) -> Picklist:
    return Picklist.model_validate({"target": "Account.Tier__c", "values": values, "mode": mode, "sorted": sorted_})


def layout(profile: str = "Sales User", name: str = "Account Layout") -> LayoutAssignment:
    return LayoutAssignment(profile=profile, object="Account", layout=name)


def grant(user: str, ps: str = "Sales_Ops", expires: date | None = None) -> PermissionSetGrant:
    return PermissionSetGrant(permission_set=ps, username=user, expires=expires)


def script(name: str = "backfill", run: str = "once", sha: str = "a" * 64) -> ApexScript:
    return ApexScript.model_validate({"name": name, "file": f"{name}.apex", "sha256": sha, "run": run})


def desired(
    *resources: Resource,
    edges: tuple[tuple[Address, Address], ...] = (),
    exclusive: frozenset[str] = frozenset(),
    org: str = "dev",
) -> DesiredOrg:
    """``exclusive`` names permission sets (``Sales_Ops``, ``group:Bundle``) whose grants are exclusive."""
    groups = frozenset(Address("permission_set_grant", assignable) for assignable in exclusive)
    return DesiredOrg(org=org, resources={r.address: r for r in resources}, edges=frozenset(edges), exclusive=groups)


def live(*resources: Resource) -> dict[Address, Resource]:
    return {r.address: r for r in resources}


def entry(resource: Resource, **extra: object) -> StateEntry:
    return StateEntry(kind=resource.address.kind, attributes={**resource.attributes(), **extra})


def prior(*entries: tuple[Resource, StateEntry], org_id: str = "") -> OrgState:
    return OrgState(org_id=org_id, resources={str(r.address): e for r, e in entries})


def one(changes: list[Change]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


# -- picklists ---------------------------------------------------------------------------------------


def test_picklist_merge_keeps_org_order_relabels_reactivates_adds_and_moves_default() -> None:
    current = tier(pv("Gold"), pv("Silver", default=True), pv("Copper", active=False), pv("Iron"))
    want = tier(pv("Gold", "Gold tier", default=True), pv("Copper"), pv("Bronze", "Bronze tier"))
    changes, unchanged = plan_org(desired(want), live(current), OrgState(), IDENTITY)
    change = one(changes)
    assert unchanged == 0
    assert change.action is Action.UPDATE and change.before == current
    assert change.fingerprint == current.fingerprint()
    assert change.after is not None and isinstance(change.after, Picklist)
    assert change.after.values == (
        pv("Gold", "Gold tier", default=True),
        pv("Silver"),
        pv("Copper"),
        pv("Iron"),
        pv("Bronze", "Bronze tier"),
    )
    assert set(change.details) == {
        ValueChange(value="Gold", change="relabel", before="Gold", after="Gold tier"),
        ValueChange(value="Gold", change="default", before="Silver"),
        ValueChange(value="Silver", change="undefault"),
        ValueChange(value="Copper", change="reactivate"),
        ValueChange(value="Bronze", change="add", after="Bronze tier"),
    }
    assert change.reason == (
        "value Gold relabelled, value Gold made default, value Silver no longer default, "
        "value Copper reactivated, value Bronze added"
    )


def test_picklist_matching_the_org_is_unchanged() -> None:
    current = tier(pv("Gold"), pv("Silver", default=True), pv("Old", active=False))
    changes, unchanged = plan_org(desired(tier(pv("Silver"))), live(current), OrgState(), IDENTITY)
    assert changes == [] and unchanged == 1


def test_exact_mode_deactivates_undeclared_active_values_and_clears_their_default() -> None:
    current = tier(pv("Gold"), pv("Silver", default=True), pv("Old", active=False))
    changes, _ = plan_org(desired(tier(pv("Gold"), mode="exact")), live(current), OrgState(), IDENTITY)
    after = one(changes).after
    assert isinstance(after, Picklist)
    assert after.values == (pv("Gold"), pv("Silver", active=False), pv("Old", active=False))
    assert ValueChange(value="Silver", change="deactivate") in one(changes).details
    assert not any(d.value == "Old" for d in one(changes).details)


def test_additive_mode_deactivates_a_value_this_tool_added_and_no_longer_declares() -> None:
    current = tier(pv("Gold"), pv("Silver"), pv("Bronze"))
    state = prior((tier(pv("Bronze")), entry(tier(pv("Bronze")), managed_values=["Bronze"])))
    changes, _ = plan_org(desired(tier(pv("Gold"))), live(current), state, IDENTITY)
    after = one(changes).after
    assert isinstance(after, Picklist)
    assert [(v.name, v.active) for v in after.values] == [("Gold", True), ("Silver", True), ("Bronze", False)]


def test_sorted_is_applied_only_when_declared() -> None:
    current = tier(pv("Gold"), sorted_=False)
    assert plan_org(desired(tier(pv("Gold"))), live(current), OrgState(), IDENTITY)[0] == []
    changes, _ = plan_org(desired(tier(pv("Gold"), sorted_=True)), live(current), OrgState(), IDENTITY)
    after = one(changes).after
    assert isinstance(after, Picklist) and after.sorted is True
    assert one(changes).reason == "sorted becomes true"


def test_a_picklist_missing_in_the_org_is_skipped() -> None:
    assert plan_org(desired(tier(pv("Gold"))), {}, OrgState(), IDENTITY) == ([], 0)


def test_a_picklist_leaving_the_config_deactivates_the_values_this_tool_added() -> None:
    current = tier(pv("Gold"), pv("Bronze", default=True), pv("Tin", active=False))
    state = prior((current, entry(current, managed_values=["Bronze", "Tin"])))
    change = one(plan_org(desired(), live(current), state, IDENTITY)[0])
    assert change.action is Action.DELETE and change.before == current
    assert isinstance(change.after, Picklist)
    assert change.after.values == (pv("Gold"), pv("Bronze", active=False), pv("Tin", active=False))
    assert ValueChange(value="Bronze", change="deactivate") in change.details


def test_a_picklist_leaving_the_config_with_its_values_already_inactive_is_forgotten() -> None:
    current = tier(pv("Gold"), pv("Bronze", active=False))
    state = prior((current, entry(current, managed_values=["Bronze"])))
    change = one(plan_org(desired(), live(current), state, IDENTITY)[0])
    assert change.action is Action.FORGET and change.reason == "values already inactive"


# -- layouts and grants ------------------------------------------------------------------------------


def test_layout_assignment_create_update_unchanged() -> None:
    assert one(plan_org(desired(layout()), {}, OrgState(), IDENTITY)[0]).action is Action.CREATE
    current = layout(name="Old Layout").model_copy(update={"ids": {"Id": "00h1"}})
    change = one(plan_org(desired(layout()), live(current), OrgState(), IDENTITY)[0])
    assert change.action is Action.UPDATE and change.after is not None and change.after.ids == {"Id": "00h1"}
    assert plan_org(desired(layout()), live(layout()), OrgState(), IDENTITY) == ([], 1)


def test_a_layout_assignment_leaving_the_config_is_forgotten_not_touched() -> None:
    change = one(plan_org(desired(), live(layout()), prior((layout(), entry(layout()))), IDENTITY)[0])
    assert change.action is Action.FORGET and change.after is None
    assert "cannot remove" in change.reason


def test_grant_create_and_expiry_update() -> None:
    assert one(plan_org(desired(grant("a@x")), {}, OrgState(), IDENTITY)[0]).action is Action.CREATE
    change = one(plan_org(desired(grant("a@x", expires=date(2030, 1, 1))), live(grant("a@x")), OrgState(), IDENTITY)[0])
    assert change.action is Action.UPDATE and "2030-01-01" in change.reason


def test_a_grant_leaving_the_config_is_revoked_or_forgotten_when_already_gone() -> None:
    current = grant("a@x").model_copy(update={"ids": {"Id": "0Pa1"}})
    state = prior((grant("a@x"), entry(grant("a@x"))))
    change = one(plan_org(desired(), live(current), state, IDENTITY)[0])
    assert change.action is Action.DELETE and change.before == current
    gone = one(plan_org(desired(), {}, state, IDENTITY)[0])
    assert gone.action is Action.FORGET and gone.reason == "already revoked"


def test_exclusive_revokes_undeclared_assignments_and_leaves_other_permission_sets_alone() -> None:
    current = live(grant("a@x"), grant("b@x"), grant("c@x", ps="Other"))
    changes, unchanged = plan_org(
        desired(grant("a@x"), exclusive=frozenset({"Sales_Ops"})), current, OrgState(), IDENTITY
    )
    change = one(changes)
    assert change.address == grant("b@x").address and change.action is Action.DELETE
    assert change.reason == "exclusive = true: not declared"
    assert unchanged == 1


def test_grants_never_managed_are_left_alone() -> None:
    assert plan_org(desired(), live(grant("b@x")), OrgState(), IDENTITY) == ([], 0)


# -- apex --------------------------------------------------------------------------------------------


def _runs(*runs: tuple[str, bool], org_id: str = "") -> OrgState:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    return OrgState(org_id=org_id, apex_runs={"backfill": [ApexRun(sha256=s, at=at, success=ok) for s, ok in runs]})


@pytest.mark.parametrize(
    ("policy", "ledger", "reason"),
    [
        ("once", (), "never ran in this org"),
        ("once", (("b" * 64, False),), "last run failed"),
        ("once", (("b" * 64, True),), None),
        ("on_change", (), "never ran in this org"),
        ("on_change", (("b" * 64, True),), "file changed since last successful run"),
        ("on_change", (("a" * 64, True), ("b" * 64, True)), None),
        ("on_change", (("a" * 64, False),), "last run failed"),
        ("always", (("a" * 64, True),), "run = always"),
    ],
)
def test_apex_run_policies(policy: str, ledger: tuple[tuple[str, bool], ...], reason: str | None) -> None:
    changes, unchanged = plan_org(desired(script(run=policy)), {}, _runs(*ledger), IDENTITY)
    if reason is None:
        assert changes == [] and unchanged == 1
    else:
        change = one(changes)
        assert change.action is Action.RUN and change.reason == reason and change.after == script(run=policy)


def test_apex_ledger_of_another_org_id_does_not_count() -> None:
    ledger = _runs(("a" * 64, True), org_id="00DOLD")
    assert one(plan_org(desired(script()), {}, ledger, IDENTITY)[0]).reason == "never ran in this org"
    assert plan_org(desired(script()), {}, ledger, None) == ([], 1)


# -- order, dependencies, targets --------------------------------------------------------------------


def test_creates_come_first_in_graph_order_and_removals_last_in_reverse() -> None:
    old_grant, old_layout = grant("old@x"), layout(profile="Old Profile")
    state = prior((old_grant, entry(old_grant)), (old_layout, entry(old_layout)))
    backfill = script()
    want = desired(backfill, grant("new@x"), tier(pv("Gold")), edges=((backfill.address, grant("new@x").address),))
    current = live(old_grant, old_layout, tier())
    changes, _ = plan_org(want, current, state, IDENTITY)
    assert [c.address for c in changes] == [
        TIER,
        backfill.address,
        grant("new@x").address,
        old_grant.address,
        old_layout.address,
    ]
    assert changes[2].depends_on == (backfill.address,)


def test_depends_on_looks_through_unchanged_resources() -> None:
    backfill = script()
    want = desired(
        tier(pv("Gold")),
        layout(),
        backfill,
        edges=((TIER, layout().address), (layout().address, backfill.address)),
    )
    changes, unchanged = plan_org(want, live(tier(), layout()), OrgState(), IDENTITY)
    assert unchanged == 1
    assert [c.address for c in changes] == [TIER, backfill.address]
    assert changes[1].depends_on == (TIER,)


def test_deletes_wait_for_removals_of_what_depended_on_them() -> None:
    old_grant = grant("old@x")
    current = tier(pv("Gold"))
    state = prior(
        (current, entry(current, managed_values=["Gold"])),
        (old_grant, StateEntry(kind="permission_set_grant", dependencies=[str(TIER)])),
    )
    changes, _ = plan_org(desired(), live(current, old_grant), state, IDENTITY)
    assert [c.address for c in changes] == [old_grant.address, TIER]
    assert changes[1].depends_on == (old_grant.address,)


def test_targets_keep_the_target_and_what_it_depends_on() -> None:
    backfill = script()
    want = desired(tier(pv("Gold")), grant("a@x"), grant("b@x"), backfill, edges=((TIER, backfill.address),))
    changes, _ = plan_org(want, live(tier()), OrgState(), IDENTITY, targets=[backfill.address])
    assert [c.address for c in changes] == [TIER, backfill.address]


def test_read_keys_cover_desired_managed_and_exclusive_wildcards_but_never_apex() -> None:
    state = prior((grant("old@x"), entry(grant("old@x"))))
    keys = read_keys(desired(tier(), script(), exclusive=frozenset({"group:Bundle"})), state)
    assert keys == {
        "picklist": {"Account.Tier__c"},
        "permission_set_grant": {"Sales_Ops/old@x", "group:Bundle/*"},
    }


# -- build_plan and verify_fresh ---------------------------------------------------------------------


class BrokenProvider(FakeProvider):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def identity(self) -> OrgIdentity:
        raise self.error


def test_build_plan_reads_once_per_kind_and_records_state_and_usage() -> None:
    provider = FakeProvider([tier(pv("Gold")), grant("b@x")])
    want = desired(tier(pv("Gold"), pv("Silver")), grant("a@x"), grant("c@x"), layout(), script())
    state = State(serial=4)
    plan = build_plan(config_digest="d1", desired={"dev": want}, state=state, providers={"dev": provider})
    org = plan.org("dev")
    assert (plan.state_serial, plan.state_lineage, plan.config_digest) == (4, state.lineage, "d1")
    assert (org.org_id, org.org_name, org.is_sandbox, org.errors) == (IDENTITY.org_id, "Fake Org", True, ())
    assert org.summary.create == 3 and org.summary.update == 1 and org.summary.run == 1
    # one read per kind, and one of the record types that might not offer the new value Silver
    assert provider.calls["read"] == 4
    assert org.api_calls == provider.usage.calls and org.api_remaining == provider.usage.remaining


def test_preflight_problems_become_org_errors() -> None:
    plan = build_plan(
        config_digest="d",
        desired={"dev": desired(tier(pv("Gold")))},
        state=State(),
        providers={"dev": FakeProvider()},
    )
    assert plan.org("dev").errors == ("picklist:Account.Tier__c: no such picklist in the org",)


def test_preflight_problems_carry_the_entry_location_and_their_changes_are_not_counted() -> None:
    from reconcile.errors import Location

    want = desired(tier(pv("Gold")), grant("a@x"))
    where = Location("reconcile.toml", 12, 1)
    want = DesiredOrg(org="dev", resources=want.resources, locations={tier().address: where})
    provider = FakeProvider()
    plan = build_plan(config_digest="d", desired={"dev": want}, state=State(), providers={"dev": provider})
    org = plan.org("dev")
    assert org.errors == ("reconcile.toml:12:1: picklist:Account.Tier__c: no such picklist in the org",)
    assert [str(change.address) for change in org.changes] == ["permission_set_grant:Sales_Ops/a@x"]


def test_two_orgs_of_the_configuration_that_are_one_salesforce_org_are_errors() -> None:
    same = "00D000000000042AAA"
    plan = build_plan(
        config_digest="d",
        desired={name: desired(grant("a@x"), org=name) for name in ("dev", "dev2", "uat")},
        state=State(),
        providers={"dev": FakeProvider(org_id=same), "dev2": FakeProvider(org_id=same), "uat": FakeProvider()},
    )
    assert "same Salesforce org as dev2 (Organization Id 00D000000000042AAA)" in plan.org("dev").errors[0]
    assert "same Salesforce org as dev " in plan.org("dev2").errors[0]
    assert plan.org("uat").errors == ()


def test_an_org_id_change_is_an_error_unless_allowed() -> None:
    state = State(orgs={"dev": OrgState(org_id="00DOLD")})
    providers: dict[str, Provider] = {"dev": FakeProvider()}
    plan = build_plan(config_digest="d", desired={"dev": desired(layout())}, state=state, providers=providers)
    assert plan.org("dev").errors == (
        f"org id changed from 00DOLD to {IDENTITY.org_id} (a refreshed sandbox?); "
        "re-run with --allow-org-change to adopt it",
    )
    assert plan.org("dev").changes == ()
    allowed = build_plan(
        config_digest="d",
        desired={"dev": desired(layout())},
        state=state,
        providers=providers,
        allow_org_change=True,
    )
    assert allowed.org("dev").errors == () and len(allowed.org("dev").changes) == 1


def test_one_orgs_provider_failure_does_not_stop_the_others() -> None:
    providers: dict[str, Provider] = {
        "prod": BrokenProvider(ProviderError("authentication failed", org="prod")),
        "dev": FakeProvider(),
    }
    want = {"prod": desired(layout(), org="prod"), "dev": desired(layout())}
    plan = build_plan(config_digest="d", desired=want, state=State(), providers=providers)
    assert [o.org for o in plan.orgs] == ["dev", "prod"]
    assert plan.org("prod").errors == ("org prod: authentication failed",)
    assert plan.org("dev").errors == () and plan.org("dev").summary.create == 1


def test_an_unexpected_exception_propagates() -> None:
    with pytest.raises(RuntimeError, match="bug"):
        build_plan(
            config_digest="d",
            desired={"dev": desired()},
            state=State(),
            providers={"dev": BrokenProvider(RuntimeError("bug"))},
        )


def test_verify_fresh_accepts_an_unchanged_world() -> None:
    provider = FakeProvider([layout(name="Old")])
    state = State()
    plan = build_plan(config_digest="d", desired={"dev": desired(layout())}, state=state, providers={"dev": provider})
    verify_fresh(plan, config_digest="d", state=state, providers={"dev": provider})


def test_verify_fresh_leaves_an_org_that_cannot_be_read_to_fail_alone() -> None:
    healthy, locked_out = FakeProvider([layout(name="Old")]), FakeProvider([layout(name="Old")], org_id="00D2")
    state = State()
    plan = build_plan(
        config_digest="d",
        desired={"dev": desired(layout()), "prod": desired(layout(), org="prod")},
        state=state,
        providers={"dev": healthy, "prod": locked_out},
    )

    def refuse(kind: str, keys: object) -> dict[Address, Resource]:
        raise ProviderError("login failed", org="prod")

    locked_out.read = refuse  # type: ignore[method-assign]
    verify_fresh(plan, config_digest="d", state=state, providers={"dev": healthy, "prod": locked_out})


def test_verify_fresh_names_everything_that_moved() -> None:
    layouts = [layout(profile=f"P{i:02d}", name="Old") for i in range(12)]
    provider = FakeProvider(layouts)
    state = State()
    want = desired(*[layout(profile=f"P{i:02d}") for i in range(12)])
    plan = build_plan(config_digest="d", desired={"dev": want}, state=state, providers={"dev": provider})
    for i in range(12):
        moved = layout(profile=f"P{i:02d}", name="Hand edited")
        provider.resources[moved.address] = moved
    moved_state = state.model_copy(update={"serial": 3})
    with pytest.raises(StalePlanError) as caught:
        verify_fresh(plan, config_digest="d2", state=moved_state, providers={"dev": provider})
    message = str(caught.value)
    assert message.startswith("plan is stale: the configuration changed")
    assert "serial 0 -> 3" in message
    assert "layout_assignment:P00/Account" in message and "layout_assignment:P09/Account" in message
    assert "P10/Account" not in message and "and 2 more" in message
    reads_before = provider.calls["read"]
    with pytest.raises(StalePlanError):
        verify_fresh(plan, config_digest="d", state=state, providers={"dev": provider})
    assert provider.calls["read"] == reads_before + 1


def test_verify_fresh_notices_a_resource_that_appeared() -> None:
    provider = FakeProvider()
    state = State()
    plan = build_plan(
        config_digest="d", desired={"dev": desired(grant("a@x"))}, state=state, providers={"dev": provider}
    )
    provider.resources[grant("a@x").address] = grant("a@x")
    with pytest.raises(
        StalePlanError, match="org dev: changed in the org since the plan: permission_set_grant:Sales_Ops/a@x"
    ):
        verify_fresh(plan, config_digest="d", state=state, providers={"dev": provider})


def test_a_resource_a_problem_names_is_not_counted_as_in_sync() -> None:
    from reconcile.errors import Problem

    class Refusing(FakeProvider):
        def preflight(self, kind: str, desired: object) -> list[Problem]:
            return [Problem("held by someone else", address="permission_set_grant:Sales_Ops/a@x")]

    provider = Refusing([grant("a@x"), grant("b@x")])
    plan = build_plan(
        config_digest="d",
        desired={"dev": desired(grant("a@x"), grant("b@x"))},
        state=State(),
        providers={"dev": provider},
    )
    org = plan.org("dev")
    assert org.unchanged == 1 and org.errors == ("permission_set_grant:Sales_Ops/a@x: held by someone else",)
