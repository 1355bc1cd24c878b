"""``reconcile emulator snapshot``: a seed of an org read through the real provider (the source org is
emulated, over HTTPS), which plans like its org, anonymises consistently and costs a known number of
calls."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from providers.emulator.org.seed import build_tables
from tests.support.cli import invoke

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns(".reconcile"))
    return root


def _add_org(root: Path, name: str, seed: str, suffix: str) -> None:
    extra = f'\n[orgs.{name}]\nemulator = "{seed}"\n'
    if suffix:
        extra += f'username_suffix = "{suffix}"\n'
    config = root / "reconcile.toml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("ids", "fingerprint")}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _changes(root: Path, org: str) -> list[Any]:
    result = invoke("plan", "-c", str(root), "--org", org, "--format", "json")
    assert result.exit_code == 0, result.output
    (plan,) = json.loads(result.stdout)["orgs"]
    assert not plan.get("errors"), plan
    changes: list[Any] = _without_ids(plan["changes"])
    return changes


@pytest.mark.parametrize(("example", "org", "suffix"), [("release", "uat", ".uat"), ("quickstart", "dev", "")])
def test_a_snapshot_plans_the_same_changes_as_its_org(tmp_path: Path, example: str, org: str, suffix: str) -> None:
    root = _copy(example, tmp_path)
    result = invoke("emulator", "snapshot", "-c", str(root), "--org", org, "--out", str(root / "orgs" / "copy.json"))
    assert result.exit_code == 0, result.output
    _add_org(root, "copy", "orgs/copy.json", suffix)
    expected = _changes(root, org)
    assert expected  # the example has work to do, so the comparison means something
    assert _changes(root, "copy") == expected


def test_a_snapshot_holds_configuration_only_and_says_what_it_cost(tmp_path: Path) -> None:
    root = _copy("release", tmp_path)
    out = tmp_path / "uat.json"
    result = invoke("emulator", "snapshot", "-c", str(root), "--org", "uat", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "3 profiles, 5 users, 2 permission sets, 1 permission set groups, 1 objects" in result.output
    assert "The snapshot cost 27 API calls" in result.output
    assert "GET tooling/sobjects/ValidationRule/{id} 2" in result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    (account,) = document["objects"]
    assert "records" not in account  # no record data
    assert {"Enterprise", "SMB"} == {rt["developer_name"] for rt in account["record_types"]}
    assert [f["name"] for f in account["fields"]] == ["Tier__c", "Region__c"]
    assert {f["name"] for f in document["flows"]} == {"Lead_Routing", "Tier_Change_Alert"}
    text = out.read_text(encoding="utf-8")
    assert "token" not in text.lower() and "email" not in text.lower()
    build_tables(document)  # it loads as a seed


def test_an_anonymized_snapshot_replaces_every_username_the_same_way(tmp_path: Path) -> None:
    root = _copy("release", tmp_path)
    out = root / "orgs" / "anon.json"
    result = invoke("emulator", "snapshot", "-c", str(root), "--org", "uat", "--out", str(out), "--anonymize")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "acme.com" not in text and "Alice" not in text
    mapping = json.loads((root / "orgs" / "anon.usernames.json").read_text(encoding="utf-8"))
    assert mapping["alice@acme.com.uat"] == "user2@example.invalid.uat"  # the suffix is kept
    document = json.loads(text)
    assert sorted(u["username"] for u in document["users"]) == sorted(mapping.values())
    granted = {a["username"] for a in document["permission_set_assignments"]}
    assert granted == {mapping["alice@acme.com.uat"], mapping["carol@acme.com.uat"]}
    _add_org(root, "anon", "orgs/anon.json", ".uat")
    assert _changes(root, "anon") == _changes(root, "uat")


def test_a_snapshot_of_an_org_not_in_the_configuration_is_refused(tmp_path: Path) -> None:
    root = _copy("release", tmp_path)
    result = invoke("emulator", "snapshot", "-c", str(root), "--org", "qa", "--out", str(tmp_path / "qa.json"))
    assert result.exit_code == 1
    assert "unknown org 'qa'" in result.output
    assert not (tmp_path / "qa.json").exists()
