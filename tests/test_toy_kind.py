"""A kind registered only from this test drives every command, with no change to the engine.

``feature_flag`` is a toy kind: ``[[feature_flag]]`` entries switch named flags on or off, held by a small
in-memory provider (one per org) that lives for the test. It is registered with ``reconcile.kinds.register``
and goes through validate, plan (text, markdown, json), apply, re-plan with no changes, drift after a hand
change, diff between two orgs, import, the JSON Schema and the report — the proof that adding a kind is a
module, not edits across the engine (DESIGN.md §2).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from typer.testing import CliRunner

import reconcile.workspace
from providers.base import ApexResult, ApiUsage, OrgIdentity, Provider
from reconcile import kinds
from reconcile.cli import app
from reconcile.config.loader import Config
from reconcile.config.schema import Bool, Entry, Name, OrgConfig
from reconcile.errors import Problem
from reconcile.kinds.base import DetailLine, Expansion, Exported, ResourceKind
from reconcile.model import Action, Address, Change, ChangeResult, Kind, Resource

# -- the kind ----------------------------------------------------------------------------------------


class FeatureFlagEntry(Entry):
    """``[[feature_flag]]``: a named flag and whether it is on."""

    DESCRIPTION = "A feature flag and whether it is on."
    KEY_DOCS = {"flag": "The flag's name.", "enabled": "Whether the flag is on."}
    EXAMPLES = {"flag": "new_checkout", "enabled": True}
    flag: Name
    enabled: Bool = True


class FeatureFlag(Resource):
    kind: Literal["feature_flag"] = "feature_flag"
    flag: str
    enabled: bool

    @property
    def key(self) -> str:
        return self.flag


class FeatureFlagKind(ResourceKind[FeatureFlagEntry, FeatureFlag]):
    name = "feature_flag"
    entry = FeatureFlagEntry
    resource = FeatureFlag

    def expand(self, entry: FeatureFlagEntry, org: Expansion) -> list[FeatureFlag]:
        return [FeatureFlag(flag=org.sub(entry.flag), enabled=entry.enabled)]

    def detail_lines(self, change: Change) -> list[DetailLine]:
        after = change.after.enabled if isinstance(change.after, FeatureFlag) else None
        return [("~", f"enabled: {after}")] if after is not None else []

    def export(self, resources: Sequence[FeatureFlag], org: str, suffix: str) -> Exported:
        entries = [
            {"flag": flag.flag, "enabled": flag.enabled, "orgs": [org]}
            for flag in sorted(resources, key=lambda flag: flag.flag)
        ]
        return entries, []


# -- an in-memory org holding feature flags ----------------------------------------------------------

ORGS: dict[str, dict[str, bool]] = {}


class FlagProvider:
    """A provider whose org holds only feature flags (``ORGS[name]``)."""

    supports = frozenset({"feature_flag"})

    def __init__(self, name: str) -> None:
        self.name = name
        self.usage = ApiUsage(limit_used=0, limit_max=1000)

    def identity(self) -> OrgIdentity:
        org_id = {"dev": "00D000000000001AAA", "uat": "00D000000000002AAA"}[self.name]
        return OrgIdentity(org_id=org_id, name=self.name, is_sandbox=True, api_version="62.0")

    def read(self, kind: Kind, keys: Collection[str]) -> dict[Address, Resource]:
        self.usage.count("read")
        flags = ORGS[self.name]
        return {Address(kind, key): FeatureFlag(flag=key, enabled=flags[key]) for key in keys if key in flags}

    def inventory(self, kind: Kind) -> dict[Address, Resource]:
        return self.read(kind, list(ORGS[self.name]))

    def preflight(self, kind: Kind, desired: Sequence[Resource]) -> list[Problem]:
        return []

    def apply(self, kind: Kind, changes: Sequence[Change]) -> list[ChangeResult]:
        self.usage.count("apply")
        for change in changes:
            if change.action is Action.DELETE:
                ORGS[self.name].pop(change.address.key, None)
            elif isinstance(change.after, FeatureFlag):
                ORGS[self.name][change.after.flag] = change.after.enabled
        return [ChangeResult(address=change.address, ok=True) for change in changes]

    def run_apex(self, script: str) -> ApexResult:
        raise AssertionError("no scripts here")

    def close(self) -> None:
        pass


# -- the test ----------------------------------------------------------------------------------------

CONFIG = """\
version = 1

[orgs.dev]
emulator = "orgs/empty.json"

[orgs.uat]
emulator = "orgs/empty.json"

[[feature_flag]]
flag = "new_checkout"
enabled = true

[[feature_flag]]
flag = "legacy_export"
enabled = false
orgs = ["uat"]
"""


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    kinds.register(FeatureFlagKind())
    ORGS.clear()
    ORGS.update({"dev": {}, "uat": {"legacy_export": True}})

    def connect(config: Config, org: OrgConfig) -> Provider:
        return FlagProvider(org.name)

    monkeypatch.setattr(reconcile.workspace, "connect_org", connect)
    (tmp_path / "orgs").mkdir()
    (tmp_path / "orgs" / "empty.json").write_text("{}\n")
    (tmp_path / "reconcile.toml").write_text(CONFIG)
    yield tmp_path
    kinds.unregister("feature_flag")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.output


def test_a_kind_registered_from_outside_goes_through_every_command(toy: Path) -> None:
    config = str(toy)
    code, text = run("validate", "-c", config)
    assert code == 0, text
    code, text = run("plan", "-c", config)
    assert code == 0, text
    assert "+ feature_flag:new_checkout" in text and "~ feature_flag:legacy_export" in text
    assert "enabled: False" in text

    code, markdown = run("plan", "-c", config, "--format", "markdown")
    assert code == 0 and "feature_flag:new_checkout" in markdown, markdown
    code, raw = run("plan", "-c", config, "--format", "json")
    document = json.loads(raw)
    changes = [change for org in document["orgs"] for change in org["changes"]]
    assert {change["address"] for change in changes} == {"feature_flag:new_checkout", "feature_flag:legacy_export"}

    code, text = run("apply", "-c", config, "--auto-approve")
    assert code == 0, text
    assert ORGS == {"dev": {"new_checkout": True}, "uat": {"legacy_export": False, "new_checkout": True}}
    code, text = run("plan", "-c", config, "--detailed-exitcode")
    assert code == 0 and "No changes" in text, text

    ORGS["dev"]["new_checkout"] = False  # by hand, outside the tool
    code, text = run("drift", "-c", config)
    assert "feature_flag" in text and "changed outside reconcile" in text, text

    code, text = run("diff", "-c", config, "--from", "uat", "--to", "dev")
    assert "feature_flag:new_checkout" in text and "feature_flag:legacy_export" in text, text

    ORGS["uat"]["beta_search"] = True  # not in the configuration: import writes it
    out = toy / "imported.toml"
    code, text = run("import", "-c", config, "--org", "uat", "--kind", "feature_flag", "--out", str(out))
    assert code == 0, text
    imported = out.read_text()
    assert '[[feature_flag]]\nflag = "beta_search"\nenabled = true\norgs = [' in imported, imported
    assert "new_checkout" not in imported  # already declared for uat

    code, text = run("schema")
    assert "FeatureFlagEntry" in json.loads(text)["$defs"]

    report = toy / "report.md"
    code, text = run("report", "-c", config, "--format", "markdown", "--out", str(report))
    assert code == 0, text
    assert "feature_flag:new_checkout" in report.read_text()


def test_unregistering_the_kind_makes_its_section_unknown_again(toy: Path) -> None:
    kinds.unregister("feature_flag")
    code, text = run("validate", "-c", str(toy))
    assert code == 1
    assert "unknown section [[feature_flag]]" in text


def test_the_toy_kind_uses_the_defaults_of_the_base_class() -> None:
    kinds.register(FeatureFlagKind())
    try:
        kind = kinds.get("feature_flag")
        live = FeatureFlag(flag="x", enabled=False, ids={"Id": "1"})
        change = kind.plan(FeatureFlag(flag="x", enabled=True), live, None, kinds_context())
        assert change is not None and change.action is Action.UPDATE and change.after is not None
        assert change.after.ids == {"Id": "1"}
        assert kind.plan(FeatureFlag(flag="x", enabled=False), live, None, kinds_context()) is None
    finally:
        kinds.unregister("feature_flag")


def kinds_context() -> Any:
    from reconcile.kinds.base import PlanContext

    return PlanContext()
