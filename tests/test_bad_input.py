"""Broken input through the CLI: exit 1, one clear message that says where, no traceback, no file written.

The corpus lives in ``tests/bad_inputs``:

- ``config/<case>/``: a configuration (``reconcile.toml`` or several ``*.toml``) and ``expect.json``, what
  the message must hold (see ``tests.support.corpus``; ``tests/test_config.py`` loads the same cases).
  Each goes through ``validate``, ``plan`` and ``apply``.
- ``state/<case>.json``: a damaged state file and ``<case>.expect``; it goes through ``plan``, ``apply`` and
  ``state list``.
- ``plan/<case>.json``: a damaged plan file and ``<case>.expect``; it goes through ``show`` and ``apply``.
- ``seed/<case>.json``: a damaged seed of an emulated org; planning that org reports it as that org's
  error (the org cannot be started), naming the file and, with ``<case>.expect``, what that says.

Inputs too big to keep in git (a 20 MB configuration or script) and symbolic links are made here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import Result

from providers.emulator.serve import reset
from state.base import State
from state.local import LocalStateBackend
from tests.support.cli import invoke
from tests.support.corpus import EXPECT, BrokenConfig, broken_configs
from tests.support.scenario import scenario_seed, snapshot

CORPUS = Path(__file__).parent / "bad_inputs"
STATE_CASES = sorted(p.stem for p in (CORPUS / "state").glob("*.json"))
PLAN_CASES = sorted(p.stem for p in (CORPUS / "plan").glob("*.json"))
SEED_CASES = sorted(p.stem for p in (CORPUS / "seed").glob("*.json"))
TWENTY_MB = 20 * 1024 * 1024


def assert_clean_failure(result: Result, expect: Sequence[str], *, in_plan: bool = False) -> None:
    """Exit 1, no exception escaped, exactly one error message holding every expected string (or, with
    ``in_plan``, the plan printed with the org's error in it)."""
    output = result.output
    assert result.exit_code == 1, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    assert output.count("Error:") == (0 if in_plan else 1), output
    for text in expect:
        assert text in output, f"{text!r} missing from: {output}"


def expectations(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("case", broken_configs(), ids=lambda case: case.name)
def test_broken_config(tmp_path: Path, case: BrokenConfig) -> None:
    config = tmp_path / case.name
    shutil.copytree(case.directory, config, ignore=shutil.ignore_patterns(EXPECT))
    expect = case.printed(config)
    before = snapshot(tmp_path)
    for command in (["validate"], ["plan"], ["apply", "--auto-approve"]):
        assert_clean_failure(invoke(*command, "-c", str(config)), expect)
    assert snapshot(tmp_path) == before


ORG = 'version = 1\n\n[orgs.dev]\nsf_alias = "acme-dev"\n'


def test_a_huge_config_is_refused_unread(tmp_path: Path) -> None:
    config = tmp_path / "reconcile.toml"
    with config.open("w", encoding="utf-8") as out:
        out.write(ORG + "# ")
        out.write("x" * TWENTY_MB)
        out.write("\n")
    before = snapshot(tmp_path)
    assert_clean_failure(invoke("validate", "-c", str(config)), ["reconcile.toml", "20.0 MiB", "at most"])
    assert snapshot(tmp_path) == before


def test_a_huge_apex_script_is_refused(tmp_path: Path) -> None:
    (tmp_path / "reconcile.toml").write_text(ORG + '\n[[apex]]\nname = "big"\nfile = "big.apex"\n', encoding="utf-8")
    (tmp_path / "big.apex").write_text("System.debug('x');\n" * (TWENTY_MB // 19), encoding="utf-8")
    before = snapshot(tmp_path)
    assert_clean_failure(invoke("validate", "-c", str(tmp_path)), ["reconcile.toml:8:1", "at most 32,000"])
    assert snapshot(tmp_path) == before


def test_an_apex_symlink_leading_outside_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (tmp_path / "outside.apex").write_text("System.debug('outside');\n", encoding="utf-8")
    (config / "inside.apex").symlink_to(tmp_path / "outside.apex")
    (config / "reconcile.toml").write_text(ORG + '\n[[apex]]\nname = "link"\nfile = "inside.apex"\n', encoding="utf-8")
    before = snapshot(tmp_path)
    assert_clean_failure(
        invoke("validate", "-c", str(config)), ["reconcile.toml:8:1", "escapes the configuration directory"]
    )
    assert snapshot(tmp_path) == before


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A config with one embedded org whose live file and state lock file already exist (as after any
    earlier run), so a command that wrote anything at all would show in the snapshot."""
    config = tmp_path / "cfg"
    (config / "orgs").mkdir(parents=True)
    (config / "orgs" / "dev.json").write_text(json.dumps(scenario_seed()), encoding="utf-8")
    (config / "reconcile.toml").write_text(
        'version = 1\n\n[orgs.dev]\nemulator = "orgs/dev.json"\n\n[[permission_set_grant]]\n'
        'permission_set = "Analytics"\nusers = ["alice@acme.com"]\n',
        encoding="utf-8",
    )
    state_dir = config / ".reconcile"
    reset(config / "orgs" / "dev.json", state_dir / "emulator" / "dev.json")
    (state_dir / "state.json.lock").touch()
    return config


@pytest.mark.parametrize("case", STATE_CASES)
def test_broken_state_file(workspace: Path, case: str) -> None:
    shutil.copyfile(CORPUS / "state" / f"{case}.json", workspace / ".reconcile" / "state.json")
    in_plan = case == "bad-address"  # readable, so it is found while planning: an error of that org
    expect = [*([] if in_plan else ["state.json"]), *expectations(CORPUS / "state" / f"{case}.expect")]
    before = snapshot(workspace)
    commands = [["plan"], ["apply", "--auto-approve"]]
    if not in_plan:  # listing does not parse addresses; planning does
        commands.append(["state", "list"])
    for command in commands:
        assert_clean_failure(invoke(*command, "-c", str(workspace)), expect, in_plan=in_plan)
    assert snapshot(workspace) == before


@pytest.mark.parametrize("case", PLAN_CASES)
def test_broken_plan_file(workspace: Path, case: str) -> None:
    planfile = workspace / "saved.plan.json"
    shutil.copyfile(CORPUS / "plan" / f"{case}.json", planfile)
    expect = ["saved.plan.json", *expectations(CORPUS / "plan" / f"{case}.expect")]
    before = snapshot(workspace)
    assert_clean_failure(invoke("show", str(planfile)), expect)
    assert_clean_failure(invoke("apply", "--auto-approve", str(planfile), "-c", str(workspace)), expect)
    assert snapshot(workspace) == before


def test_a_plan_from_another_lineage_or_config_is_refused(workspace: Path) -> None:
    backend = LocalStateBackend(workspace / ".reconcile" / "state.json")
    backend.write(backend.write(State()))
    planfile = workspace / "saved.plan.json"
    saved = invoke("plan", "--out", str(planfile), "-c", str(workspace))
    assert saved.exit_code == 0, saved.output

    state = json.loads(backend.path.read_text(encoding="utf-8"))
    lineage = state["lineage"]
    state["lineage"] = "7e3c1a52-0000-4000-8000-000000000000"
    backend.path.write_text(json.dumps(state), encoding="utf-8")
    before = snapshot(workspace)
    assert_clean_failure(
        invoke("apply", "--auto-approve", str(planfile), "-c", str(workspace)),
        ["plan is stale", f"lineage changed from {lineage}"],
    )
    assert snapshot(workspace) == before

    state["lineage"] = lineage
    backend.path.write_text(json.dumps(state), encoding="utf-8")
    with (workspace / "reconcile.toml").open("a", encoding="utf-8") as config:
        config.write("# edited after the plan was saved\n")
    before = snapshot(workspace)
    assert_clean_failure(
        invoke("apply", "--auto-approve", str(planfile), "-c", str(workspace)),
        ["plan is stale", "configuration changed"],
    )
    assert snapshot(workspace) == before


def _seed_expectations(case: str) -> list[str]:
    """What the message of a seed case must hold beyond the file name (``<case>.expect``, when there)."""
    path = CORPUS / "seed" / f"{case}.expect"
    return expectations(path) if path.is_file() else []


@pytest.mark.parametrize("case", SEED_CASES)
def test_broken_emulator_seed(tmp_path: Path, case: str) -> None:
    shutil.copyfile(CORPUS / "seed" / f"{case}.json", tmp_path / "dev.json")
    (tmp_path / "reconcile.toml").write_text('version = 1\n\n[orgs.dev]\nemulator = "dev.json"\n', encoding="utf-8")
    (tmp_path / ".reconcile").mkdir()
    (tmp_path / ".reconcile" / "state.json.lock").touch()  # apply locks before it meets the org
    before = snapshot(tmp_path)
    for command in (["plan"], ["apply", "--auto-approve"]):
        assert_clean_failure(
            invoke(*command, "-c", str(tmp_path)),
            ["org dev: cannot start the emulated org from", "dev.json", *_seed_expectations(case)],
            in_plan=True,
        )
    assert snapshot(tmp_path) == before
