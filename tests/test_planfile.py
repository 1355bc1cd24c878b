"""Saved plans: exact round trip, atomic write, and a clear error for every way a file can be wrong."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from reconcile.errors import ReconcileError
from reconcile.kinds.apex import ApexScript
from reconcile.kinds.layout_assignment import LayoutAssignment
from reconcile.kinds.permission_set_grant import PermissionSetGrant
from reconcile.kinds.picklist_values import Picklist
from reconcile.model import canonical_json, sha256_hex
from reconcile.planfile import PLAN_FILE_FORMAT, load_plan, save_plan
from tests.plans import empty_plan, large_plan, sample_plan


def test_round_trip_is_exact(tmp_path: Path) -> None:
    plan = sample_plan()
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    loaded = load_plan(path)
    assert loaded == plan
    changes = [c for org in loaded.orgs for c in org.changes]
    kinds = {type(c.after or c.before) for c in changes}
    assert kinds == {Picklist, LayoutAssignment, PermissionSetGrant, ApexScript}
    assert loaded.created_at == plan.created_at and loaded.created_at.tzinfo is not None
    grant = loaded.org("uat").changes[4].after
    assert isinstance(grant, PermissionSetGrant) and grant.expires == date(2025, 12, 31)
    apex = loaded.org("uat").changes[-1].after
    assert isinstance(apex, ApexScript) and apex.body.startswith("update [SELECT")
    assert loaded.org("uat").changes[0].details == plan.org("uat").changes[0].details


@pytest.mark.parametrize("build", [empty_plan, lambda: large_plan(50)])
def test_round_trip_of_other_plans(tmp_path: Path, build: object) -> None:
    assert callable(build)
    plan = build()
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    assert load_plan(path) == plan


def test_file_layout_and_checksum(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document) == {"format_version", "checksum", "plan"}
    assert document["format_version"] == PLAN_FILE_FORMAT
    rest = {"format_version": document["format_version"], "plan": document["plan"]}
    assert document["checksum"] == sha256_hex(canonical_json(rest))
    assert document["plan"]["orgs"][1]["changes"][0]["address"] == "picklist:Account.Tier__c"


def test_save_replaces_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    save_plan(empty_plan(), path)
    assert load_plan(path) == empty_plan()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_save_into_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReconcileError, match="cannot write plan file"):
        save_plan(sample_plan(), tmp_path / "missing" / "plan.json")


def test_modified_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["plan"]["state_serial"] = 8
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ReconcileError) as info:
        load_plan(path)
    assert str(info.value) == (
        f"plan file {path} was modified after it was written (checksum mismatch): re-run `reconcile plan --out {path}`"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ReconcileError, match=r"nope\.json does not exist: re-run `reconcile plan --out"):
        load_plan(path)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ReconcileError, match="cannot read plan file"):
        load_plan(tmp_path)


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ReconcileError, match=r"is not valid JSON \(line \d+.*may be truncated"):
        load_plan(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ReconcileError, match="cannot read plan file"):
        load_plan(path)


@pytest.mark.parametrize("content", ["[]", '{"format_version": 1}', '"plan"'])
def test_json_that_is_not_a_plan_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReconcileError, match="is not a plan file"):
        load_plan(path)


def test_unknown_format_version(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["format_version"] = 99
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ReconcileError, match="format version 99; this version of reconcile reads version 1"):
        load_plan(path)


def test_valid_checksum_over_an_invalid_plan(tmp_path: Path) -> None:
    body = {"format_version": PLAN_FILE_FORMAT, "plan": {"created_at": "yesterday"}}
    document = {**body, "checksum": sha256_hex(canonical_json(body))}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ReconcileError, match="does not hold a valid plan"):
        load_plan(path)
