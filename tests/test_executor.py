from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from providers.base import ApexResult, Provider
from reconcile.config.desired import DesiredOrg
from reconcile.errors import ApiLimitError
from reconcile.executor import ApplyReport, Event, apply_plan
from reconcile.kinds.picklist_values import Picklist
from reconcile.model import Address, Change, ChangeResult, Kind
from reconcile.plan import Plan
from reconcile.planner import build_plan
from state.base import ApexRun, OrgState, State, StateEntry
from state.local import LocalStateBackend
from state.memory import MemoryStateBackend
from tests.support.fakes import FakeProvider
from tests.test_planner import TIER, desired, entry, grant, layout, pv, script, tier

BACKFILL = script().address


def _plan(orgs: dict[str, tuple[DesiredOrg, Provider]], state: State, allow_org_change: bool = False) -> Plan:
    return build_plan(
        config_digest="d",
        desired={name: want for name, (want, _) in orgs.items()},
        state=state,
        providers={name: provider for name, (_, provider) in orgs.items()},
        allow_org_change=allow_org_change,
    )


def _apply(
    plan: Plan,
    providers: dict[str, Provider],
    state: State,
    backend: MemoryStateBackend | None = None,
    **kwargs: object,
) -> ApplyReport:
    return apply_plan(
        plan,
        providers=providers,
        backend=backend or MemoryStateBackend(state),
        state=state,
        **kwargs,  # type: ignore[arg-type]
    )


def _messages(report: ApplyReport, org: str = "dev") -> dict[str, tuple[bool, bool, str]]:
    return {str(r.address): (r.ok, r.skipped, r.message) for r in report.org(org).results}


def test_consecutive_changes_of_one_kind_form_one_batch_and_state_is_written_after_each() -> None:
    old = grant("old@x")
    provider = FakeProvider([tier(pv("Gold")), old, layout(profile="Gone")])
    state = State(
        orgs={
            "dev": OrgState(
                resources={str(old.address): entry(old), str(layout("Gone").address): entry(layout("Gone"))}
            )
        }
    )
    want = desired(tier(pv("Gold"), pv("Bronze")), layout("A"), layout("B"), grant("a@x"), grant("b@x"), grant("c@x"))
    plan = _plan({"dev": (want, provider)}, state)
    backend = MemoryStateBackend(state)
    report = _apply(plan, {"dev": provider}, state, backend)
    assert report.ok and report.org("dev").applied == 8
    assert [(kind, len(addresses)) for kind, addresses in provider.batches] == [
        ("picklist", 1),
        ("layout_assignment", 2),
        ("permission_set_grant", 3),
        ("permission_set_grant", 1),
    ]
    assert len(backend.writes) == 5  # the last batch is the layout forget, never sent to the provider
    assert [w.serial for w in backend.writes] == [1, 2, 3, 4, 5]
    first = backend.writes[0].orgs["dev"].resources
    assert str(TIER) in first and str(layout("A").address) not in first
    assert str(layout("A").address) in backend.writes[1].orgs["dev"].resources
    final = report.state.orgs["dev"]
    assert report.state.serial == 5 and final.org_id == provider.org_id
    assert str(old.address) not in final.resources and str(layout("Gone").address) not in final.resources
    assert final.resources[str(TIER)].attributes["managed_values"] == ["Bronze"]
    assert final.resources[str(grant("a@x").address)].ids == provider.resources[grant("a@x").address].ids
    assert state.serial == 0 and state.orgs["dev"].org_id == ""  # the caller's state is not modified


def test_picklist_ownership_carries_over_and_is_released_when_deactivated() -> None:
    provider = FakeProvider([tier(pv("Gold"), pv("Old", active=False))])
    state = State()
    first = _apply(
        _plan({"dev": (desired(tier(pv("Gold"), pv("Old"), pv("New"))), provider)}, state),
        {"dev": provider},
        state,
    )
    state = first.state
    assert state.orgs["dev"].resources[str(TIER)].attributes["managed_values"] == ["Old", "New"]
    second = _apply(
        _plan({"dev": (desired(tier(pv("Gold"), pv("Old"), pv("Extra"))), provider)}, state),
        {"dev": provider},
        state,
    )
    assert second.state.orgs["dev"].resources[str(TIER)].attributes["managed_values"] == ["Old", "Extra"]
    live = provider.resources[TIER]
    assert isinstance(live, Picklist)
    assert [(v.name, v.active) for v in live.values] == [
        ("Gold", True),
        ("Old", True),
        ("New", False),
        ("Extra", True),
    ]


def test_dependents_of_a_failed_change_are_skipped_not_attempted() -> None:
    provider = FakeProvider([tier()], fail={TIER: "FIELD_INTEGRITY_EXCEPTION"})
    want = desired(
        tier(pv("Gold")),
        script(),
        grant("a@x"),
        layout(),
        edges=((TIER, BACKFILL), (BACKFILL, grant("a@x").address)),
    )
    report = _apply(_plan({"dev": (want, provider)}, State()), {"dev": provider}, State())
    assert _messages(report) == {
        str(TIER): (False, False, "FIELD_INTEGRITY_EXCEPTION"),
        str(layout().address): (True, False, "ok"),
        str(BACKFILL): (False, True, f"upstream failed: {TIER}"),
        str(grant("a@x").address): (False, True, f"upstream failed: {TIER}"),
    }
    org = report.org("dev")
    assert (org.applied, org.failed, org.skipped, report.ok) == (1, 1, 2, False)
    assert provider.scripts == [] and grant("a@x").address not in provider.resources
    assert str(TIER) not in report.state.orgs["dev"].resources


def test_apex_runs_one_at_a_time_and_every_run_joins_the_ledger() -> None:
    provider = FakeProvider(apex_outcome=ApexResult(compiled=True, success=False, exception_message="boom"))
    one, two = script("one").model_copy(update={"body": "System.debug(1);"}), script("two", run="always")
    report = _apply(_plan({"dev": (desired(one, two), provider)}, State()), {"dev": provider}, State())
    assert provider.scripts == ["System.debug(1);", ""]
    assert provider.calls["apply"] == 0
    assert _messages(report)[str(one.address)] == (False, False, "runtime exception: boom")
    runs = report.state.orgs["dev"].apex_runs
    assert [(r.sha256, r.success) for r in runs["one"]] == [("a" * 64, False)]
    assert set(runs) == {"one", "two"}


def test_a_provider_error_stops_that_org_and_the_others_go_on() -> None:
    broken = FakeProvider(
        raise_on_apply=ApiLimitError("daily API limit spent", org="prod", code="REQUEST_LIMIT_EXCEEDED"),
        org_id="00D000000000002AAA",
    )
    healthy = FakeProvider()
    orgs: dict[str, tuple[DesiredOrg, Provider]] = {
        "prod": (desired(layout(), grant("a@x"), org="prod"), broken),
        "dev": (desired(layout(), grant("a@x")), healthy),
    }
    report = _apply(_plan(orgs, State()), {"prod": broken, "dev": healthy}, State())
    error = "org prod: daily API limit spent [REQUEST_LIMIT_EXCEEDED]"
    assert _messages(report, "prod") == {
        str(layout().address): (False, False, error),
        str(grant("a@x").address): (False, True, error),
    }
    assert report.org("prod").error == error and len(broken.batches) == 1
    assert report.org("dev").ok and report.org("dev").applied == 2
    assert not report.ok and "prod" not in report.state.orgs


def test_stop_finishes_the_batch_in_flight_persists_and_skips_the_rest() -> None:
    provider = FakeProvider([tier()])
    stop = threading.Event()
    events: list[Event] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if event.type == "batch":
            stop.set()

    state = State()
    backend = MemoryStateBackend(state)
    plan = _plan({"dev": (desired(tier(pv("Gold")), layout(), grant("a@x")), provider)}, state)
    report = _apply(plan, {"dev": provider}, state, backend, on_event=on_event, stop=stop)
    assert _messages(report) == {
        str(TIER): (True, False, "ok"),
        str(layout().address): (False, True, "interrupted"),
        str(grant("a@x").address): (False, True, "interrupted"),
    }
    assert report.org("dev").error == "interrupted" and not report.ok
    assert len(backend.writes) == 1 and str(TIER) in backend.writes[0].orgs["dev"].resources
    assert [e.type for e in events] == ["org_start", "batch", "result", "skipped", "skipped", "org_done"]
    assert events[-1].ok is False


class BarrierProvider(FakeProvider):
    """Applies only once another org's apply is in flight at the same time."""

    def __init__(self, barrier: threading.Barrier, org_id: str) -> None:
        super().__init__(org_id=org_id)
        self.barrier = barrier

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]:
        self.barrier.wait(timeout=10)
        return super().apply(kind, changes)


def test_orgs_are_applied_in_parallel_and_state_writes_are_serialised() -> None:
    barrier = threading.Barrier(2)
    providers: dict[str, Provider] = {
        "dev": BarrierProvider(barrier, "00D000000000001AAA"),
        "uat": BarrierProvider(barrier, "00D000000000002AAA"),
    }
    orgs = {name: (desired(layout(), org=name), provider) for name, provider in providers.items()}
    state = State()
    backend = MemoryStateBackend(state)
    report = _apply(_plan(orgs, state), providers, state, backend, parallelism=2)
    assert report.ok and [o.org for o in report.orgs] == ["dev", "uat"]
    assert [w.serial for w in backend.writes] == [1, 2]
    assert set(report.state.orgs) == {"dev", "uat"}


def test_orgs_whose_plan_has_errors_are_not_applied() -> None:
    provider = FakeProvider()
    plan = _plan({"dev": (desired(tier(pv("Gold")), layout()), provider)}, State())
    assert plan.org("dev").errors
    report = _apply(plan, {"dev": provider}, State())
    org = report.org("dev")
    assert org.error == "not applied: the plan has 1 error for this org (listed with it)"
    assert org.plan_errors == plan.org("dev").errors
    assert org.detailed_error.startswith(f"{org.error}: picklist:Account.Tier__c: no such picklist")
    assert (org.applied, org.failed, org.skipped) == (0, 0, 1) and not report.ok
    assert provider.calls["apply"] == 0


def test_adopting_a_new_org_id_records_it_and_starts_a_new_apex_ledger() -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    state = State(orgs={"dev": OrgState(org_id="00DOLD", apex_runs={"x": [ApexRun(sha256="s", at=at, success=True)]})})
    provider = FakeProvider([layout()])
    plan = _plan({"dev": (desired(layout()), provider)}, state, allow_org_change=True)
    assert not plan.has_changes
    report = _apply(plan, {"dev": provider}, state)
    assert report.state.orgs["dev"].org_id == provider.org_id and report.state.orgs["dev"].apex_runs == {}


def test_state_is_persisted_through_the_local_backend(tmp_path: Path) -> None:
    backend = LocalStateBackend(tmp_path / "state.json")
    state = backend.read()
    provider = FakeProvider([tier()])
    want = desired(tier(pv("Gold")), grant("a@x"), script())
    report = apply_plan(
        _plan({"dev": (want, provider)}, state), providers={"dev": provider}, backend=backend, state=state
    )
    stored = backend.read()
    assert report.ok and stored.serial == 3 == report.state.serial
    assert set(stored.orgs["dev"].resources) == {str(TIER), str(grant("a@x").address)}
    assert stored.orgs["dev"].apex_runs["backfill"][0].success is True
    entry_ = stored.orgs["dev"].resources[str(grant("a@x").address)]
    assert isinstance(entry_, StateEntry) and entry_.applied_at is not None and entry_.ids["Id"].startswith("0Pa")
    assert str(Address("apex", "backfill")) not in stored.orgs["dev"].resources


def test_a_state_write_failure_stops_that_org() -> None:
    provider = FakeProvider([tier()])
    state = State()
    plan = _plan({"dev": (desired(tier(pv("Gold")), layout(), grant("a@x")), provider)}, state)
    report = _apply(plan, {"dev": provider}, state, MemoryStateBackend(state, fail_after=1))
    error = "state not saved after the last batch: disk full"
    assert _messages(report) == {
        str(TIER): (True, False, "ok"),
        str(layout().address): (True, False, "ok"),
        str(grant("a@x").address): (False, True, error),
    }
    assert report.org("dev").error == error and not report.ok
    assert len(provider.batches) == 2


def test_an_apex_result_event_carries_the_outcome_and_a_runtime_failure_names_its_position() -> None:
    outcome = ApexResult(
        compiled=True,
        success=False,
        line=4,
        column=9,
        exception_message="X: no",
        exception_stack_trace="AnonymousBlock: line 4, column 9",
        debug_log="log text",
    )
    provider = FakeProvider(apex_outcome=outcome)
    events: list[Event] = []
    plan = _plan({"dev": (desired(script()), provider)}, State())
    report = _apply(plan, {"dev": provider}, State(), on_event=events.append)
    [result] = [event for event in events if event.type == "result"]
    assert result.apex == outcome and result.seconds is not None and result.seconds >= 0
    assert result.message == "runtime exception at line 4, column 9: X: no"
    assert _messages(report)[str(BACKFILL)] == (False, False, "runtime exception at line 4, column 9: X: no")


def test_events_of_other_changes_carry_no_apex_outcome() -> None:
    provider = FakeProvider([tier(pv("Gold"))])
    events: list[Event] = []
    plan = _plan({"dev": (desired(tier(pv("Gold"), pv("Silver"))), provider)}, State())
    _apply(plan, {"dev": provider}, State(), on_event=events.append)
    [result] = [event for event in events if event.type == "result"]
    assert result.ok is True and result.apex is None and result.seconds is None


class ChangedRecorder(MemoryStateBackend):
    """A memory backend that records the ``changed`` orgs each write names."""

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.named: list[set[str] | None] = []

    def write(self, state: State, changed: object = None) -> State:  # type: ignore[override]
        self.named.append(set(changed) if changed is not None else None)  # type: ignore[call-overload]
        return super().write(state)


def test_each_state_write_names_the_orgs_changed_since_the_last_one() -> None:
    barrier = threading.Barrier(2)
    providers: dict[str, Provider] = {
        "dev": BarrierProvider(barrier, "00D000000000001AAA"),
        "uat": BarrierProvider(barrier, "00D000000000002AAA"),
    }
    orgs = {name: (desired(layout(), org=name), provider) for name, provider in providers.items()}
    state = State(orgs={"prod": OrgState(org_id="00D000000000003AAA")})
    backend = ChangedRecorder(state)
    report = _apply(_plan(orgs, state), providers, state, backend, parallelism=2)
    assert report.ok
    assert all(named is not None and named <= {"dev", "uat"} for named in backend.named), backend.named
    assert set().union(*[named or set() for named in backend.named]) == {"dev", "uat"}, "prod is never named"


def test_an_apply_through_the_local_backend_leaves_other_orgs_files_alone(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    seeded = LocalStateBackend(path).write(State(orgs={"prod": OrgState(org_id="00D000000000003AAA")}))
    org_dir = tmp_path / "state.json.d"
    prod_file = next(org_dir.iterdir())
    stamp = prod_file.stat().st_mtime_ns
    provider = FakeProvider([layout("Gone")])
    plan = _plan({"dev": (desired(layout("A")), provider)}, seeded)
    report = _apply(plan, {"dev": provider}, seeded, LocalStateBackend(path))  # type: ignore[arg-type]
    assert report.ok
    assert prod_file.exists() and prod_file.stat().st_mtime_ns == stamp
    stored = LocalStateBackend(path).read()
    assert set(stored.orgs) == {"dev", "prod"} and stored.orgs["prod"].org_id == "00D000000000003AAA"
    assert str(layout("A").address) in stored.orgs["dev"].resources
