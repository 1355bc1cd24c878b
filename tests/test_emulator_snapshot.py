"""``reconcile emulator snapshot``: a seed of an org read through the real provider (the source org is
emulated, over HTTPS), which plans like its org, anonymises consistently and costs a known number of
calls."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from providers.emulator.org.seed import build_tables
from providers.salesforce.seed_objects import object_entry
from tests.support.cli import invoke

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns(".reconcile"))
    return root


def _add_org(root: Path, name: str, seed: str, suffix: str, source: str) -> None:
    """Add org ``name`` emulated from ``seed``, with the variables of org ``source``."""
    config = root / "reconcile.toml"
    extra = f'\n[orgs.{name}]\nemulator = "{seed}"\n'
    if suffix:
        extra += f'username_suffix = "{suffix}"\n'
    variables = tomllib.loads(config.read_text(encoding="utf-8"))["orgs"][source].get("vars", {})
    if variables:
        extra += f"\n[orgs.{name}.vars]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in variables.items())
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")


def _renamed(text: str, names: dict[str, str]) -> str:
    """``text`` with every name of ``names`` replaced (longest first, so no name is cut in two)."""
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), re.IGNORECASE)
    folded = {k.casefold(): v for k, v in names.items()}
    return pattern.sub(lambda m: folded[m.group(0).casefold()], text)


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
    _add_org(root, "copy", "orgs/copy.json", suffix, org)
    expected = _changes(root, org)
    assert expected  # the example has work to do, so the comparison means something
    assert _changes(root, "copy") == expected


def test_a_snapshot_holds_configuration_only_and_says_what_it_cost(tmp_path: Path) -> None:
    root = _copy("release", tmp_path)
    out = tmp_path / "uat.json"
    result = invoke("emulator", "snapshot", "-c", str(root), "--org", "uat", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "3 profiles, 5 users, 2 permission sets, 1 permission set groups, 3 objects" in result.output
    assert "The snapshot cost 49 API calls" in result.output
    assert "GET tooling/sobjects/ValidationRule/{id} 2" in result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    objects = {o["name"]: o for o in document["objects"]}
    assert set(objects) == {"Account", "Feature_Flag__mdt", "Integration_Settings__c"}
    account = objects["Account"]
    assert "records" not in account  # no record data
    assert {"Enterprise", "SMB"} == {rt["developer_name"] for rt in account["record_types"]}
    assert [f["name"] for f in account["fields"]] == ["Tier__c", "Region__c"]
    assert {f["name"] for f in document["flows"]} == {"Lead_Routing", "Tier_Change_Alert"}
    # the configuration's custom setting rows and custom metadata records are configuration: they are kept
    (setting_row,) = objects["Integration_Settings__c"]["records"]
    assert setting_row == {
        "owner": "org",
        "ERP_Endpoint__c": "https://erp.acme.example",
        "Timeout__c": 10,
        "Retry_Limit__c": 3,
    }
    assert objects["Integration_Settings__c"]["custom_setting"] == "hierarchy"
    assert [r["DeveloperName"] for r in objects["Feature_Flag__mdt"]["records"]] == ["Legacy_Search"]
    assert [s["name"] for s in document["remote_sites"]] == ["Tax_Service"]
    (credential,) = document["named_credentials"]
    assert credential["endpoint"] == "https://erp-old.acme.example/api"
    assert not {"password", "username"} & set(credential)  # no secret, no login
    assert document["groups"] == [
        {"name": "Tier_Review", "type": "Queue", "label": "Tier Review", "members": ["dave@acme.com.uat"]}
    ]
    offered = {(p["record_type"], p["field"]): p["values"] for p in document["record_type_picklists"]}
    assert offered[("Account.Enterprise", "Tier__c")] == ["Gold", "Silver", "Platinum"]
    text = out.read_text(encoding="utf-8")
    assert "token" not in text.lower() and "email" not in text.lower()
    assert "not-a-real-password" not in text and "integration@" not in text  # the credential's login (in uat.json)
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
    assert document["groups"][0]["members"] == [mapping["dave@acme.com.uat"]]  # group members too
    _add_org(root, "anon", "orgs/anon.json", ".uat", "uat")
    # the configuration names users (group members): plan the copy with it rewritten by the map, as a team
    # rehearsing on an anonymised copy does, and expect the org's plan with the same names replaced
    bases = {real.removesuffix(".uat"): new.removesuffix(".uat") for real, new in mapping.items()}
    renamed = _copy("release", tmp_path / "renamed")
    shutil.copytree(root / "orgs", renamed / "orgs", dirs_exist_ok=True)
    config = (root / "reconcile.toml").read_text(encoding="utf-8")
    (renamed / "reconcile.toml").write_text(_renamed(config, bases), encoding="utf-8")
    expected = json.loads(_renamed(json.dumps(_changes(root, "uat")), mapping))
    assert _changes(renamed, "anon") == expected


def test_a_snapshot_of_an_org_not_in_the_configuration_is_refused(tmp_path: Path) -> None:
    root = _copy("release", tmp_path)
    result = invoke("emulator", "snapshot", "-c", str(root), "--org", "qa", "--out", str(tmp_path / "qa.json"))
    assert result.exit_code == 1
    assert "unknown org 'qa'" in result.output
    assert not (tmp_path / "qa.json").exists()


def test_an_encrypted_custom_setting_field_stays_out_of_a_snapshot() -> None:
    fields = {"Endpoint__c": "url", "Api_Key__c": "encryptedstring", "Retries__c": "double"}
    rows = [{"owner": "org", "Endpoint__c": "https://erp.example", "Api_Key__c": "s3cr3t", "Retries__c": None}]
    entry = object_entry("Erp__c", "ERP", fields, rows, custom_setting="hierarchy")
    assert entry["fields"] == [{"name": "Endpoint__c", "type": "Url"}, {"name": "Retries__c", "type": "Number"}]
    assert entry["records"] == [{"owner": "org", "Endpoint__c": "https://erp.example"}]  # no secret, no null
