"""Record-type picklist values from the command line on an emulated org: ``[[picklist]] record_types``,
``[[record_type_picklist]]``, the warning about new values no record type offers, import and drift."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from providers.emulator.embedded import start_emulator
from tests.support.cli import invoke
from tests.support.emulator import client_for, provider_seed

HEAD = """version = 1

[orgs.dev]
emulator = "orgs/dev.json"
"""

BRONZE = """
[[picklist]]
field = "Account.Tier__c"
values = ["Gold", "Silver", "Bronze"]
"""


def make_project(tmp_path: Path, body: str) -> Path:
    seed: dict[str, Any] = provider_seed()
    seed["objects"].append(
        {"name": "Contact", "fields": [{"name": "Level__c", "type": "Picklist", "values": ["Primary"]}]}
    )
    (tmp_path / "orgs").mkdir(exist_ok=True)
    (tmp_path / "orgs" / "dev.json").write_text(json.dumps(seed), encoding="utf-8")
    (tmp_path / "reconcile.toml").write_text(HEAD + body, encoding="utf-8")
    return tmp_path


def plan(root: Path) -> str:
    result = invoke("plan", "-c", str(root))
    assert result.exit_code == 0, result.output
    return result.stdout


def apply(root: Path) -> None:
    result = invoke("apply", "--auto-approve", "-c", str(root))
    assert result.exit_code == 0, result.output


def trusted_mdapi(handle: Any) -> Any:
    mdapi = client_for(handle).mdapi
    session = mdapi._client.transport.session  # zeep's own session: trust the emulator's CA
    session.verify, session.trust_env = str(handle.ca_cert), False
    return mdapi


def offered(root: Path, *record_types: str) -> dict[str, tuple[list[str], str | None]]:
    """What each record type offers for Tier__c, read back through the Metadata API."""
    found: dict[str, tuple[list[str], str | None]] = {}
    with start_emulator(root / ".reconcile" / "emulator" / "dev.json") as handle:
        mdapi = trusted_mdapi(handle)
        for name in record_types:
            record = mdapi.RecordType.read(f"Account.{name}")
            [tier] = [p for p in record.picklistValues if p.picklist == "Tier__c"]
            default = next((v.fullName for v in tier.values if v.default), None)
            found[name] = ([v.fullName for v in tier.values], default)
    return found


def assert_clean(root: Path) -> None:
    again = invoke("plan", "--detailed-exitcode", "-c", str(root))
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout and "warning" not in again.stdout


def test_a_value_added_with_record_types_is_offered_there_and_the_plan_warns_about_the_others(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path, BRONZE + 'record_types = ["Enterprise"]\n')
    planned = plan(root)
    assert "~ record_type_picklist:Account.Enterprise/Tier__c  (not offered: Bronze)" in planned
    warning = "warning: picklist:Account.Tier__c: value Bronze is not available on record types SMB ("
    assert warning in planned and planned.count("warning:") == 1

    apply(root)
    assert offered(root, "Enterprise", "SMB") == {
        "Enterprise": (["Gold", "Silver", "Bronze"], "Silver"),
        "SMB": (["Gold", "Silver"], "Silver"),  # Salesforce does not offer new values by itself
    }
    assert_clean(root)


def test_every_record_type_offers_the_value_with_a_star_and_nothing_is_warned(tmp_path: Path) -> None:
    root = make_project(tmp_path, BRONZE + 'record_types = ["*"]\n')
    planned = plan(root)
    assert "~ record_type_picklist:Account.*/Tier__c  (not offered: Bronze)" in planned
    assert "warning" not in planned
    apply(root)
    assert offered(root, "Enterprise", "SMB") == {
        "Enterprise": (["Gold", "Silver", "Bronze"], "Silver"),
        "SMB": (["Gold", "Silver", "Bronze"], "Silver"),
    }
    assert_clean(root)


def test_a_new_value_on_no_record_type_is_warned_with_every_record_type(tmp_path: Path) -> None:
    root = make_project(tmp_path, BRONZE)
    planned = plan(root)
    assert "value Bronze is not available on record types Enterprise, SMB" in planned
    apply(root)
    assert offered(root, "Enterprise")["Enterprise"][0] == ["Gold", "Silver"]


def test_no_warning_without_new_values_or_without_record_types(tmp_path: Path) -> None:
    body = """
[[picklist]]
field = "Account.Tier__c"
values = ["Gold", { name = "Silver", label = "Silver tier" }]

[[picklist]]
field = "Contact.Level__c"
values = ["Primary", "Secondary"]
"""
    root = make_project(tmp_path, body)
    planned = plan(root)
    assert "~ picklist:Account.Tier__c" in planned and "~ picklist:Contact.Level__c" in planned
    assert "warning" not in planned  # a relabel adds nothing; Contact has no record types


def test_a_record_type_entry_sets_the_default_and_keeps_other_values(tmp_path: Path) -> None:
    body = """
[[record_type_picklist]]
record_type = "Account.SMB"
field = "Tier__c"
values = ["Gold"]
default = "Gold"
"""
    root = make_project(tmp_path, body)
    planned = plan(root)
    assert "~ record_type_picklist:Account.SMB/Tier__c  (default is Silver)" in planned
    assert "~ default: Silver -> Gold" in planned
    apply(root)
    assert offered(root, "SMB") == {"SMB": (["Gold", "Silver"], "Gold")}
    assert_clean(root)

    imported = invoke("import", "--org", "dev", "--kind", "record_type_picklist", "-c", str(root))
    assert imported.exit_code == 0, imported.output
    entries = tomllib.loads(imported.stdout)["record_type_picklist"]
    assert {"record_type": "Account.Enterprise", "field": "Tier__c", "values": ["Gold", "Silver"]} in [
        {k: v for k, v in e.items() if k in ("record_type", "field", "values")} for e in entries
    ]
    assert "Account.SMB/Tier__c: already declared" in imported.stderr

    with start_emulator(root / ".reconcile" / "emulator" / "dev.json") as handle:  # a hand change
        mdapi = trusted_mdapi(handle)
        mdapi.RecordType.update(
            mdapi.RecordType(
                fullName="Account.SMB",
                label="SMB",
                active=True,
                picklistValues=[
                    mdapi.RecordTypePicklistValue(
                        picklist="Tier__c", values=[mdapi.PicklistValue(fullName="Silver", default=True)]
                    )
                ],
            )
        )
    drift = invoke("drift", "--format", "json", "--detailed-exitcode", "-c", str(root))
    assert drift.exit_code == 2, drift.output
    [org] = json.loads(drift.stdout)["orgs"]
    assert org["cells"]["record_type_picklist"] == {"state": "drifted", "drifted": 1}


def test_unknown_record_types_and_values_are_preflight_errors_with_suggestions(tmp_path: Path) -> None:
    body = """
[[record_type_picklist]]
record_type = "Account.Enterprse"
field = "Tier__c"
values = ["Gold"]

[[record_type_picklist]]
record_type = "Account.SMB"
field = "Tier__c"
values = ["Gld"]

[[record_type_picklist]]
record_type = "Account.SMB"
field = "Tir__c"
values = "*"
"""
    root = make_project(tmp_path, body)
    result = invoke("plan", "-c", str(root))
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "unknown record type Account.Enterprse (did you mean Enterprise?)" in text
    assert "Account.Tier__c has no active value Gld (did you mean Gold?)" in text
    assert "unknown picklist field Account.Tir__c (did you mean Tier__c?)" in text
