from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconcile.errors import UnsafePlanError
from reconcile.model import Action, Address, Change
from reconcile.plan import OrgPlan, Plan
from reconcile.safety import check_plan_safety, protected_orgs_ok
from state.base import OrgState, State, StateEntry


def _change(i: int, action: Action) -> Change:
    return Change(address=Address("permission_set_grant", f"Sales_Ops/u{i}@x"), action=action)


def _plan(**orgs: list[Change]) -> Plan:
    return Plan(
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        config_digest="d",
        state_lineage="l",
        state_serial=1,
        orgs=tuple(OrgPlan(org=name, changes=tuple(changes)) for name, changes in sorted(orgs.items())),
    )


def _state(**managed: int) -> State:
    return State(
        orgs={
            org: OrgState(
                resources={f"permission_set_grant:PS/u{i}": StateEntry(kind="permission_set_grant") for i in range(n)}
            )
            for org, n in managed.items()
        }
    )


def _deletes(n: int) -> list[Change]:
    return [_change(i, Action.DELETE) for i in range(n)]


def test_deleting_more_than_30_percent_of_a_managed_org_needs_force() -> None:
    plan = _plan(prod=_deletes(4), dev=_deletes(1))
    with pytest.raises(UnsafePlanError) as caught:
        check_plan_safety(plan, _state(prod=10, dev=10), force=False)
    message = str(caught.value)
    assert "org prod: the plan deletes 4 of 10 managed resources (40%, more than 30%)" in message
    assert "--force" in message and "org dev" not in message
    check_plan_safety(plan, _state(prod=10, dev=10), force=True)


def test_exactly_30_percent_is_allowed() -> None:
    check_plan_safety(_plan(prod=_deletes(3)), _state(prod=10), force=False)


def test_small_orgs_are_not_checked() -> None:
    check_plan_safety(_plan(dev=_deletes(9)), _state(dev=9), force=False)
    check_plan_safety(_plan(new=_deletes(2)), State(), force=False)


def test_only_deletes_count() -> None:
    changes = [_change(i, Action.FORGET) for i in range(5)] + [_change(i, Action.CREATE) for i in range(5, 10)]
    check_plan_safety(_plan(prod=changes), _state(prod=10), force=False)


def test_a_protected_org_with_changes_must_be_named() -> None:
    plan = _plan(prod=[_change(1, Action.CREATE)], uat=[_change(1, Action.CREATE)], live=[])
    with pytest.raises(UnsafePlanError, match=r"protected org prod has changes: .*--org prod"):
        protected_orgs_ok(plan, {"prod", "live"}, set())
    protected_orgs_ok(plan, {"prod", "live"}, {"prod"})
    with pytest.raises(UnsafePlanError, match=r"protected orgs prod, uat have changes"):
        protected_orgs_ok(plan, {"prod", "uat"}, {"dev"})
