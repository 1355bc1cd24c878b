"""The official Salesforce CLI, unchanged, against ``reconcile emulator serve``: what a person or a
script does with ``sf`` on a real org works on an emulated one.

Before the emulator had ``/services/oauth2/userinfo``, ``sf org login access-token`` failed
("Could not retrieve the username"); before it answered ``query?columns=true``, ``sf data query`` failed
("Value is not a JsonArray"). The CLI is installed by scripts/install-sf-cli; each ``sf`` run takes a
second or more, so the commands are grouped into few tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.emulator import ServedOrg, provider_seed
from tests.support.sf_cli import run_sf, sf_env

EXTRA_USERS = 2_050  # more than one query batch (2,000 records): sf follows nextRecordsUrl


def test_the_salesforce_cli_logs_in_queries_assigns_runs_apex_and_lists_metadata(tmp_path: Path) -> None:
    seed = provider_seed()
    seed["users"] += [
        {"username": f"bulk{n:04d}@acme.com", "profile": "Sales User", "last_name": f"Bulk{n:04d}"}
        for n in range(EXTRA_USERS)
    ]
    data = tmp_path / "org.json"
    data.write_text(json.dumps(seed), encoding="utf-8")
    with ServedOrg(data) as org:
        env = sf_env(tmp_path / "home", org.ca_cert, SF_ACCESS_TOKEN=org.access_token)
        login = run_sf(
            env, "org", "login", "access-token", "--instance-url", org.instance_url, "--alias", "emu", "--no-prompt"
        )
        assert login["result"]["orgId"] == org.org_id and login["result"]["username"] == "admin@acme.com"
        shown = run_sf(env, "org", "display", "--target-org", "emu")["result"]
        assert (shown["id"], shown["connectedStatus"], shown["apiVersion"]) == (org.org_id, "Connected", "62.0")
        token = run_sf(env, "org", "auth", "show-access-token", "--target-org", "emu")["result"]
        assert token["accessToken"] == org.access_token

        users = run_sf(
            env, "data", "query", "--target-org", "emu", "--query", "SELECT Id, Username, Profile.Name FROM User"
        )
        records = users["result"]["records"]
        assert users["result"]["totalSize"] == len(records) == len(seed["users"])
        assert {r["Username"] for r in records} >= {"admin@acme.com", "bulk2049@acme.com"}
        assert any(r["Profile"]["Name"] == "Sales User" for r in records)
        seen = org.stats()["requests"]
        assert seen.get("GET query/{locator}", 0) >= 1, seen  # the second batch, through nextRecordsUrl

        for name, user in (("Service_Desk", "bob@acme.com"), ("acme__Billing_Admin", "carol@acme.com")):
            assigned = run_sf(
                env, "org", "assign", "permset", "--target-org", "emu", "--name", name, "--on-behalf-of", user
            )
            assert assigned["result"]["successes"] == [{"name": user, "value": name}], assigned
        grants = org.query(
            "SELECT Assignee.Username, PermissionSet.Name, PermissionSet.NamespacePrefix FROM PermissionSetAssignment"
        )
        pairs = {
            (g["Assignee"]["Username"], g["PermissionSet"]["NamespacePrefix"], g["PermissionSet"]["Name"])
            for g in grants
        }
        assert {("bob@acme.com", None, "Service_Desk"), ("carol@acme.com", "acme", "Billing_Admin")} <= pairs

        apex = tmp_path / "hello.apex"
        apex.write_text("System.debug('hello from sf');\n", encoding="utf-8")
        ran = run_sf(env, "apex", "run", "--target-org", "emu", "--file", str(apex))["result"]
        assert ran["success"] and ran["compiled"] and "hello from sf" in ran["logs"]

        listed = run_sf(env, "org", "list", "metadata", "--target-org", "emu", "--metadata-type", "GlobalValueSet")
        assert [item["fullName"] for item in listed["result"]] == ["Regions"]
