"""``[[group_membership]]`` from the command line on an emulated org: members added and removed
(``exclusive``), re-plan clean, preflight, import; the emulator's GroupMember rules and the call counts."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconcile.kinds.group_membership import GroupMembership
from reconcile.model import Action, Change
from tests.support.cli import invoke
from tests.support.emulator import EmulatedOrg, provider_seed

HEAD = """version = 1

[orgs.dev]
emulator = "orgs/dev.json"
"""

SUPPORT = """
[[group_membership]]
group = "EMEA_Support"
users = ["alice@acme.com"]
groups = ["EMEA_Leads"]
exclusive = true
"""


def seed() -> dict[str, Any]:
    document: dict[str, Any] = provider_seed()
    document["groups"] = [
        {"name": "EMEA_Support", "label": "EMEA Support", "type": "Queue", "members": ["bob@acme.com"]},
        {"name": "EMEA_Leads", "members": ["carol@acme.com"]},
    ]
    return document


def make_project(tmp_path: Path, body: str) -> Path:
    (tmp_path / "orgs").mkdir(exist_ok=True)
    (tmp_path / "orgs" / "dev.json").write_text(json.dumps(seed()), encoding="utf-8")
    (tmp_path / "reconcile.toml").write_text(HEAD + body, encoding="utf-8")
    return tmp_path


def members(root: Path, group: str) -> list[str]:
    document = json.loads((root / ".reconcile" / "emulator" / "dev.json").read_text(encoding="utf-8"))
    return next(g["members"] for g in document["groups"] if g["name"] == group)


def test_members_converge_and_exclusive_removes_the_undeclared(tmp_path: Path) -> None:
    root = make_project(tmp_path, SUPPORT)
    planned = invoke("plan", "-c", str(root))
    assert planned.exit_code == 0, planned.output
    assert "+ group_membership:EMEA_Support/alice@acme.com" in planned.stdout
    assert "+ group_membership:EMEA_Support/group:EMEA_Leads" in planned.stdout
    assert "- group_membership:EMEA_Support/bob@acme.com  (exclusive = true: not declared)" in planned.stdout

    applied = invoke("apply", "--auto-approve", "-c", str(root))
    assert applied.exit_code == 0, applied.output
    assert sorted(members(root, "EMEA_Support")) == ["alice@acme.com", "group:EMEA_Leads"]
    again = invoke("plan", "--detailed-exitcode", "-c", str(root))
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    imported = invoke("import", "--org", "dev", "--kind", "group_membership", "-c", str(root))
    assert imported.exit_code == 0, imported.output
    assert tomllib.loads(imported.stdout)["group_membership"] == [
        {"group": "EMEA_Leads", "users": ["carol@acme.com"], "orgs": ["dev"]}
    ]


def test_unknown_groups_and_users_are_preflight_errors_with_suggestions(tmp_path: Path) -> None:
    body = """
[[group_membership]]
group = "EMEA_Suport"
users = ["alice@acme.com"]

[[group_membership]]
group = "EMEA_Leads"
users = ["alica@acme.com"]
"""
    root = make_project(tmp_path, body)
    result = invoke("plan", "-c", str(root))
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "unknown public group or queue EMEA_Suport (did you mean EMEA_Support?)" in text
    assert "unknown user alica@acme.com (did you mean alice@acme.com?)" in text


def test_members_are_written_200_a_call_and_a_duplicate_counts_as_added(
    emulated: Callable[..., EmulatedOrg],
) -> None:
    document = seed()
    document["users"] += [{"username": f"user{n:03}@acme.com", "profile": "Sales User"} for n in range(250)]
    org = emulated(document)
    wanted = [GroupMembership(group="EMEA_Leads", member=f"user{n:03}@acme.com") for n in range(250)]
    wanted.append(GroupMembership(group="EMEA_Support", member="carol@acme.com"))  # an inactive user
    wanted.append(GroupMembership(group="EMEA_Support", member="bob@acme.com"))  # already a member
    assert org.provider.preflight("group_membership", wanted) == []
    org.reset_counts()
    changes = [Change(address=w.address, action=Action.CREATE, after=w) for w in wanted]
    results = org.provider.apply("group_membership", changes)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert [r.message for r in results[-2:]] == ["added (the user is inactive)", "already a member"]
    assert org.provider.usage.by_endpoint == {"POST composite/sobjects": 2}
    assert org.requests() == org.provider.usage.by_endpoint

    org.reset_counts()
    found = org.provider.read("group_membership", ["EMEA_Leads/*"])
    assert len(found) == 251  # carol was there already
    # the group's id is known from preflight: its members, then the member users by id (no member group)
    assert org.provider.usage.by_endpoint == {"GET query": 2}
