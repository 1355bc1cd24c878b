"""The seed format: every registered section in the schema and the docs, the committed schema and
reference current, every example seed and every live org file accepted, problems named by JSON path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from providers.emulator.org.data import SeedError
from providers.emulator.org.file import to_document
from providers.emulator.org.seed import LIST_SECTIONS, build_tables
from providers.emulator.org.seed_schema import SECTIONS, seed_schema
from scripts.docs_seeds import REFRESH, main, stale_files
from tests.support.cli import invoke

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SEEDS = sorted([*ROOT.glob("examples/*/orgs/*.json"), *(ROOT / "tests" / "emulator_seeds").glob("*.json")])


def test_the_seed_reference_and_schema_are_current() -> None:
    stale = stale_files(DOCS)
    assert not stale, f"out of date: {', '.join(map(str, stale))}; refresh with `{REFRESH}` and review the diff"


def test_check_mode_finds_and_refresh_fixes_a_stale_reference(tmp_path: Path) -> None:
    for name in ("emulator-seeds.md", "emulator-seed.schema.json"):
        shutil.copy(DOCS / name, tmp_path / name)
    assert main(["--docs", str(tmp_path), "--check"]) == 0
    text = (tmp_path / "emulator-seeds.md").read_text(encoding="utf-8")
    (tmp_path / "emulator-seeds.md").write_text(text.replace("| `username` |", "| `usrname` |"), encoding="utf-8")
    (tmp_path / "emulator-seed.schema.json").unlink()
    assert main(["--docs", str(tmp_path), "--check"]) == 1
    assert main(["--docs", str(tmp_path)]) == 0
    assert (tmp_path / "emulator-seeds.md").read_text(encoding="utf-8") == text
    assert main(["--docs", str(tmp_path), "--check"]) == 0


def test_every_list_section_the_loader_reads_is_registered_and_documented() -> None:
    registered = {section.name for section in SECTIONS}
    assert set(LIST_SECTIONS) <= registered
    reference = (DOCS / "emulator-seeds.md").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"### `{section.name}`" in reference


def test_the_schema_command_prints_the_committed_schema() -> None:
    result = invoke("emulator", "schema")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == seed_schema()
    assert json.loads((DOCS / "emulator-seed.schema.json").read_text(encoding="utf-8")) == seed_schema()


@pytest.mark.parametrize("seed", SEEDS, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_every_seed_and_its_live_file_pass_the_check(seed: Path) -> None:
    document = json.loads(seed.read_text(encoding="utf-8"))
    live = to_document(build_tables(document, "dev"))
    build_tables(json.loads(json.dumps(live)), "dev")  # the live org file is checked the same way


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"users": [{"username": "a@x.com", "profile": "Admin"}]}, '$.users[0].profile: unknown profile "Admin"'),
        (
            {"profiles": [{"name": "Sales User"}], "users": [{"username": "a@x.com", "profile": "sales usr"}]},
            'did you mean "Sales User"? Declare it under $.profiles or fix the name',
        ),
        (
            {"permission_set_assignments": [{"username": "nobody@x.com", "permission_set": "P"}]},
            '$.permission_set_assignments[0].username: unknown user "nobody@x.com"',
        ),
        ({"objects": [{"name": "Account", "layouts": [7]}]}, "$.objects[0].layouts[0]: expected a string or an object"),
        ({"objects": [{"name": "Account", "fields": [{"name": "X__c", "lenght": 5}]}]}, 'did you mean "length"?'),
        ({"scheduled_jobs": [{"name": "J"}]}, '$.scheduled_jobs[0]: missing "cron"'),
        ({"organization": {"daily_api_limit": -1}}, "$.organization.daily_api_limit: -1 is less than 0"),
    ],
)
def test_problems_are_named_by_their_json_path(document: dict[str, object], message: str) -> None:
    with pytest.raises(SeedError) as caught:
        build_tables({"schema_version": 1, **document})
    assert message in str(caught.value)
