"""The ``flow`` kind, engine side: validation, planning (ownership), detail lines, drift, diff and export."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.config.loader import load_config
from reconcile.errors import ConfigError
from reconcile.kinds import get
from reconcile.kinds.base import PlanContext
from reconcile.kinds.flow import Flow, Version
from reconcile.model import Action, Address
from state.base import StateEntry

KIND = get("flow")


def live(active: int | None, latest: int) -> Flow:
    return Flow(
        name="Lead_Routing",
        active_version=active if active is not None else "none",
        active=active,
        latest=latest,
        ids={"definition": "300000000000001AAA"},
    )


def test_invalid_active_versions_are_errors_at_their_line(tmp_path: Path) -> None:
    (tmp_path / "reconcile.toml").write_text(
        '[orgs.dev]\nemulator = "dev.json"\n\n'
        '[[flow]]\nname = "Lead_Routing"\nactive_version = "newest"\n\n'
        '[[flow]]\nname = "Other"\nactive_version = 0\n\n'
        '[[flow]]\nname = "Bad Name"\nactive_version = 2\n\n'
        '[[flow]]\nname = "ns__Fine"\nactive_version = true\n',
        encoding="utf-8",
    )
    (tmp_path / "dev.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "reconcile.toml")
    text = str(caught.value)
    assert 'reconcile.toml:6:1: [[flow]] #1: `active_version`: must be "latest", "none" or a version number' in text
    assert "reconcile.toml:10:1: [[flow]] #2: `active_version`" in text
    assert "reconcile.toml:13:1: [[flow]] #3: `name`: 'Bad Name' is not a flow API name" in text
    assert "reconcile.toml:18:1: [[flow]] #4: `active_version`" in text


@pytest.mark.parametrize(
    ("wanted", "active", "reason"),
    [
        ("latest", 3, "active version 3 -> 4 (latest)"),
        (2, 3, "active version 3 -> 2"),
        ("none", 3, "active version 3 -> none"),
        ("latest", None, "active version none -> 4 (latest)"),
    ],
)
def test_plan_sets_the_wanted_version(wanted: Version, active: int | None, reason: str) -> None:
    before = live(active, 4)
    change = KIND.plan(Flow(name="Lead_Routing", active_version=wanted), before, None, PlanContext())
    assert change is not None and change.action is Action.UPDATE
    assert change.reason == reason
    assert change.after is not None and change.after.ids == before.ids
    assert isinstance(change.after, Flow) and change.after.active_version != "latest"


@pytest.mark.parametrize(("wanted", "active"), [("latest", 4), (4, 4), ("none", None)])
def test_no_change_when_the_wanted_version_is_active(wanted: Version, active: int | None) -> None:
    assert KIND.plan(Flow(name="Lead_Routing", active_version=wanted), live(active, 4), None, PlanContext()) is None


def test_a_flow_leaving_the_configuration_is_forgotten() -> None:
    entry = StateEntry(kind="flow", attributes={"name": "Lead_Routing", "active_version": 4})
    change = KIND.plan_removal(Address("flow", "Lead_Routing"), live(4, 4), entry)
    assert change.action is Action.FORGET
    assert KIND.detail_lines(change) == [(" ", "active version: 4 (stays in the org, no longer managed)")]


def test_drift_compares_the_active_version() -> None:
    applied = live(4, 4)
    assert KIND.comparable(applied) == KIND.comparable(live(4, 5))
    assert KIND.comparable(applied) != KIND.comparable(live(3, 4))


def test_diff_between_orgs_compares_active_versions() -> None:
    change = KIND.compare(live(4, 4), live(2, 4), live(4, 4), ("uat", "prod"))
    assert change is not None and change.reason == "active version 4 in uat, 2 in prod"
    assert KIND.compare(live(4, 4), live(4, 6), live(4, 4), ("uat", "prod")) is None


def test_export_writes_the_active_version_of_each_flow() -> None:
    flows = [live(None, 2).model_copy(update={"name": "b_Flow"}), live(3, 4)]
    entries, skipped = KIND.export(flows, "dev", "")
    assert entries == [
        {"name": "b_Flow", "active_version": "none", "orgs": ["dev"]},
        {"name": "Lead_Routing", "active_version": 3, "orgs": ["dev"]},
    ]
    assert skipped == []


def test_a_flow_can_be_switched_off_while_a_script_runs_and_back_to_its_version() -> None:
    from reconcile.kinds.flow import Flow, FlowKind

    kind = FlowKind()
    live = Flow(name="Lead_Routing", active_version=3, active=3, latest=4)
    off = kind.switched_off(live)
    assert kind.switchable and off.active_version == "none" and off.active is None
    assert off.attributes() != live.attributes()
