"""``[[remote_site]]`` and ``[[named_credential]]`` through the command line on two emulated orgs whose
``vars`` point them at different ERP endpoints: plan, apply, re-plan, diff, drift, import, ownership on
removal, and no secret of a named credential in any output."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from typer.testing import Result

from providers.emulator.embedded import start_emulator
from tests.support.cli import invoke
from tests.support.emulator import client_for, provider_seed

SECRET = "s3cret-Pa55word-never-shown"
TOKEN = "00Dtoken-never-shown"
ORGS = """version = 1

[orgs.uat]
emulator = "orgs/uat.json"
[orgs.uat.vars]
erp_url = "https://erp-staging.example.com"

[orgs.prod]
emulator = "orgs/prod.json"
[orgs.prod.vars]
erp_url = "https://erp.example.com"
"""
ENTRIES = """
[[remote_site]]
name = "ERP"
url = "${var.erp_url}"

[[remote_site]]
name = "Legacy_Gateway"
url = "http://gateway.example.com"
disable_protocol_security = true

[[named_credential]]
name = "ERP_API"
url = "${var.erp_url}/api"
"""


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run(self, *args: str) -> Result:
        return invoke(*args, "-c", str(self.root))

    def configure(self, entries: str) -> None:
        (self.root / "reconcile.toml").write_text(ORGS + entries, encoding="utf-8")

    def live(self, org: str) -> dict[str, object]:
        path = self.root / ".reconcile" / "emulator" / f"{org}.json"
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def sites(self, org: str) -> dict[str, dict[str, object]]:
        return {str(s["name"]): s for s in self.live(org).get("remote_sites", [])}  # type: ignore[attr-defined]

    def credential_endpoint(self, org: str) -> str:
        (credential,) = self.live(org)["named_credentials"]  # type: ignore[misc]
        return str(credential["endpoint"])

    def edit_site_by_hand(self, org: str, name: str, url: str) -> None:
        with start_emulator(self.root / ".reconcile" / "emulator" / f"{org}.json") as handle:
            mdapi = client_for(handle).mdapi
            session = mdapi._client.transport.session
            session.verify, session.trust_env = str(handle.ca_cert), False
            component = mdapi.RemoteSiteSetting.read(name)
            component.url = url
            mdapi.RemoteSiteSetting.update(component)


def make_project(tmp_path: Path, entries: str = ENTRIES) -> Project:
    (tmp_path / "orgs").mkdir()
    for org in ("uat", "prod"):
        seed = provider_seed()
        seed["organization"]["name"] = f"Acme {org}"
        seed["named_credentials"] = [
            {
                "name": "ERP_API",
                "label": "ERP API",
                "endpoint": "https://old-erp.example.com/api",
                "protocol": "Password",
                "principal_type": "NamedUser",
                "username": "svc-erp",
                "password": SECRET,
                "oauth_token": TOKEN,
            }
        ]
        (tmp_path / "orgs" / f"{org}.json").write_text(json.dumps(seed), encoding="utf-8")
    project = Project(tmp_path)
    project.configure(entries)
    return project


def assert_no_secret(*outputs: str) -> None:
    for output in outputs:
        assert SECRET not in output and TOKEN not in output and "svc-erp" not in output


def test_each_org_gets_its_own_endpoints_and_a_replan_is_clean(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("validate").exit_code == 0

    planned = project.run("plan")
    assert planned.exit_code == 0, planned.output
    assert "+ remote_site:ERP" in planned.stdout
    assert "url: https://erp-staging.example.com (active)" in planned.stdout
    assert "url: http://gateway.example.com (active, protocol security disabled)" in planned.stdout
    assert "endpoint: https://old-erp.example.com/api -> https://erp.example.com/api" in planned.stdout
    assert "(endpoint differs; needs re-authentication after apply)" in planned.stdout
    assert "! re-authenticate it after apply (it uses Password authentication" in planned.stdout

    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert project.sites("uat")["ERP"]["url"] == "https://erp-staging.example.com"
    assert project.sites("prod")["ERP"]["url"] == "https://erp.example.com"
    assert project.sites("prod")["Legacy_Gateway"]["disable_protocol_security"] is True
    assert project.credential_endpoint("uat") == "https://erp-staging.example.com/api"
    assert project.credential_endpoint("prod") == "https://erp.example.com/api"
    (credential,) = project.live("prod")["named_credentials"]  # type: ignore[misc]
    assert credential["password"] == SECRET and credential["oauth_token"] == TOKEN  # the org keeps them

    again = project.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    diff = project.run("diff", "--from", "uat", "--to", "prod")
    assert diff.exit_code == 0, diff.output
    assert "remote_site:ERP" in diff.output
    assert "url https://erp-staging.example.com in uat, https://erp.example.com in prod" in diff.output
    assert "endpoint https://erp-staging.example.com/api in uat, https://erp.example.com/api in prod" in diff.output
    assert "Legacy_Gateway" not in diff.output  # the same in both

    outputs = [planned.output, applied.output, again.output, diff.output]
    for fmt in ("json", "markdown"):
        outputs.append(project.run("plan", "--format", fmt).output)
        outputs.append(project.run("drift", "--format", fmt).output)
    outputs.append(project.run("history").output)
    outputs.append(project.run("history", "--format", "json").output)
    outputs.append(project.run("report", "--format", "markdown").output)
    report = tmp_path / "report.html"
    assert project.run("report", "--format", "html", "--out", str(report)).exit_code == 0
    outputs.append(report.read_text(encoding="utf-8"))
    imported = tmp_path / "imported.toml"
    assert project.run("import", "--org", "prod", "--out", str(imported)).exit_code == 0
    outputs.append(imported.read_text(encoding="utf-8"))
    outputs.append((tmp_path / ".reconcile" / "state.json").read_text(encoding="utf-8"))
    outputs.extend(p.read_text(encoding="utf-8") for p in (tmp_path / ".reconcile").rglob("*.jsonl"))
    assert_no_secret(*outputs)


def test_drift_shows_a_hand_changed_url(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve").exit_code == 0
    project.edit_site_by_hand("prod", "ERP", "https://erp-dr.example.com")
    drift = project.run("drift", "--format", "json", "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    orgs = {org["org"]: org for org in json.loads(drift.stdout)["orgs"]}
    assert orgs["uat"]["cells"]["remote_site"] == {"state": "in_sync", "drifted": 0}
    assert orgs["prod"]["cells"]["remote_site"] == {"state": "drifted", "drifted": 1}
    assert orgs["prod"]["cells"]["named_credential"] == {"state": "in_sync", "drifted": 0}
    planned = project.run("plan", "--org", "prod")
    assert "url https://erp-dr.example.com -> https://erp.example.com" in planned.stdout, planned.stdout


def test_a_site_the_tool_created_is_deleted_and_one_it_updated_is_forgotten(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    seed = json.loads((tmp_path / "orgs" / "prod.json").read_text(encoding="utf-8"))
    seed["remote_sites"] = [{"name": "Legacy_Gateway", "url": "http://old-gateway.example.com"}]
    (tmp_path / "orgs" / "prod.json").write_text(json.dumps(seed), encoding="utf-8")
    assert project.run("apply", "--auto-approve").exit_code == 0
    project.configure("")
    plan = json.loads(project.run("plan", "--format", "json").stdout)
    actions = {(org["org"], c["address"]): c["action"] for org in plan["orgs"] for c in org["changes"]}
    assert actions[("prod", "remote_site:ERP")] == "delete"
    assert actions[("prod", "remote_site:Legacy_Gateway")] == "forget"  # it was there before
    assert actions[("uat", "remote_site:Legacy_Gateway")] == "delete"
    assert actions[("prod", "named_credential:ERP_API")] == "forget"
    applied = project.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert set(project.sites("prod")) == {"Legacy_Gateway"}
    assert project.sites("uat") == {}
    assert project.credential_endpoint("prod") == "https://erp.example.com/api"  # not reverted


def test_import_writes_entries_that_plan_no_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    assert project.run("apply", "--auto-approve", "--org", "uat").exit_code == 0
    project.configure("")
    out = tmp_path / "imported.toml"
    kinds = ("--kind", "remote_site", "--kind", "named_credential")
    result = project.run("import", "--org", "uat", *kinds, "--out", str(out))
    assert result.exit_code == 0, result.output
    imported = tomllib.loads(out.read_text(encoding="utf-8"))
    assert imported["remote_site"][0] == {"name": "ERP", "url": "https://erp-staging.example.com", "orgs": ["uat"]}
    assert imported["named_credential"] == [
        {"name": "ERP_API", "url": "https://erp-staging.example.com/api", "orgs": ["uat"]}
    ]
    planned = project.run("plan", "--org", "uat", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_a_missing_variable_or_credential_is_an_error_naming_it(tmp_path: Path) -> None:
    entries = ENTRIES + '\n[[remote_site]]\nname = "Billing"\nurl = "${var.billing_url}"\n'
    project = make_project(tmp_path, entries)
    result = project.run("validate")
    assert result.exit_code == 1, result.output
    assert "${var.billing_url}" in result.output and "uat" in result.output and "prod" in result.output
    assert "reconcile.toml:" in result.output

    project.configure(ENTRIES.replace('name = "ERP_API"', 'name = "ERP_AP"'))
    planned = project.run("plan")
    assert planned.exit_code == 1, planned.output
    assert "unknown named credential ERP_AP" in planned.output and "did you mean ERP_API?" in planned.output


def test_a_malformed_url_or_name_is_a_config_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, '\n[[remote_site]]\nname = "ERP site"\nurl = "erp.example.com"\n')
    result = project.run("validate")
    assert result.exit_code == 1, result.output
    assert "'erp.example.com' must be an http(s) URL" in result.output
    assert "'ERP site' must begin with a letter" in result.output


def test_a_credential_of_the_newer_kind_is_reported_not_written(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    seed = json.loads((tmp_path / "orgs" / "uat.json").read_text(encoding="utf-8"))
    seed["named_credentials"][0] = {"name": "ERP_API", "type": "SecuredEndpoint", "endpoint": None}
    (tmp_path / "orgs" / "uat.json").write_text(json.dumps(seed), encoding="utf-8")
    planned = project.run("plan", "--org", "uat")
    assert planned.exit_code == 1, planned.output
    assert "named credential ERP_API is of the SecuredEndpoint kind: its URL is a parameter" in planned.output
