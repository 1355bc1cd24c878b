"""``[[record_type_visibility]]`` from the command line on an emulated org: plan, apply, re-plan, the
two-defaults validation error, preflight, import and the Profile metadata it leaves."""

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

VISIBLE = """
[[record_type_visibility]]
profiles = ["Sales User", "Sales Manager"]
record_type = "Account.Enterprise"
default = true

[[record_type_visibility]]
profile = "Sales User"
record_type = "Account.SMB"
"""


def make_project(tmp_path: Path, body: str) -> Path:
    seed: dict[str, Any] = provider_seed()
    seed["record_type_visibilities"] = [
        {"profile": "Sales User", "record_type": "Account.SMB", "visible": False},
        {"profile": "Sales Manager", "record_type": "Account.SMB", "visible": True, "default": True},
    ]
    (tmp_path / "orgs").mkdir(exist_ok=True)
    (tmp_path / "orgs" / "dev.json").write_text(json.dumps(seed), encoding="utf-8")
    (tmp_path / "reconcile.toml").write_text(HEAD + body, encoding="utf-8")
    return tmp_path


def visibilities(root: Path, full_name: str) -> dict[str, tuple[bool, bool]]:
    with start_emulator(root / ".reconcile" / "emulator" / "dev.json") as handle:
        mdapi = client_for(handle).mdapi
        session = mdapi._client.transport.session  # zeep's own session: trust the emulator's CA
        session.verify, session.trust_env = str(handle.ca_cert), False
        profile = mdapi.Profile.read(full_name)
        return {v.recordType: (bool(v.visible), bool(v.default)) for v in profile.recordTypeVisibilities}


def test_visibility_and_defaults_converge_and_replan_is_clean(tmp_path: Path) -> None:
    root = make_project(tmp_path, VISIBLE)
    planned = invoke("plan", "-c", str(root))
    assert planned.exit_code == 0, planned.output
    assert "~ record_type_visibility:Sales Manager/Account.Enterprise" in planned.stdout
    assert "~ default: false -> true" in planned.stdout and "~ visible: false -> true" in planned.stdout

    applied = invoke("apply", "--auto-approve", "-c", str(root))
    assert applied.exit_code == 0, applied.output
    again = invoke("plan", "--detailed-exitcode", "-c", str(root))
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
    assert visibilities(root, "Sales Manager") == {
        "Account.Enterprise": (True, True),
        "Account.SMB": (True, False),  # the new default took over from the old one
    }
    assert visibilities(root, "Sales User") == {"Account.Enterprise": (True, True), "Account.SMB": (True, False)}

    imported = invoke("import", "--org", "dev", "--kind", "record_type_visibility", "-c", str(root))
    assert imported.exit_code == 0, imported.output
    entries = tomllib.loads(imported.stdout).get("record_type_visibility", [])
    assert all(e["profiles"] != ["Sales User"] for e in entries)  # declared ones are left out
    assert "Sales User/Account.SMB: already declared" in imported.stderr


def test_two_defaults_for_one_profile_and_object_name_both_entries(tmp_path: Path) -> None:
    body = VISIBLE + "default = true\n"
    root = make_project(tmp_path, body)
    result = invoke("validate", "-c", str(root))
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert (
        "`record_type_visibility:Sales User/Account.Enterprise` and `record_type_visibility:Sales User/Account.SMB`"
        in text
    )
    assert "Sales User can have one default record type for Account" in text
    assert "reconcile.toml:6:1 and at" in text and "reconcile.toml:11:1" in text


def test_unknown_profiles_and_record_types_are_preflight_errors_with_suggestions(tmp_path: Path) -> None:
    body = """
[[record_type_visibility]]
profile = "Sales Usr"
record_type = "Account.Enterprise"

[[record_type_visibility]]
profile = "Sales User"
record_type = "Account.Enterprize"
"""
    root = make_project(tmp_path, body)
    result = invoke("plan", "-c", str(root))
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "unknown profile Sales Usr (did you mean Sales User?)" in text
    assert "unknown record type Account.Enterprize (did you mean Enterprise?)" in text
