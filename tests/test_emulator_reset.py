"""``reconcile emulator reset``: the org starts over from its seed; the state is reported as describing
the old org, and ``--with-state`` forgets it under the lock, journaled, so the quickstart replays."""

from __future__ import annotations

import shutil
from pathlib import Path

from state.local import LocalStateBackend
from tests.support.cli import invoke

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


def _quickstart(tmp_path: Path) -> Path:
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".reconcile"))
    return root


def _plan(root: Path) -> str:
    result = invoke("plan", "-c", str(root), "--org", "uat")
    assert result.exit_code == 0, result.output
    return result.output.split("\n", 3)[3]  # past the header that names the state serial


def test_a_reset_says_the_state_still_describes_the_old_org(tmp_path: Path) -> None:
    root = _quickstart(tmp_path)
    assert invoke("apply", "-c", str(root), "--auto-approve").exit_code == 0
    result = invoke("emulator", "reset", "-c", str(root), "--org", "uat")
    assert result.exit_code == 0, result.output
    assert "Reset uat from" in result.output
    assert "The state still describes uat as it was before the reset (8 managed resources, 1 Apex run)" in (
        result.output
    )
    assert "reconcile emulator reset --org uat --with-state" in result.output
    state = LocalStateBackend(root / ".reconcile" / "state.json").read()
    assert state.orgs["uat"].resources  # left as it was


def test_with_state_the_quickstart_replays_from_the_start(tmp_path: Path) -> None:
    root = _quickstart(tmp_path)
    first = _plan(root)
    assert invoke("apply", "-c", str(root), "--auto-approve").exit_code == 0
    result = invoke("emulator", "reset", "-c", str(root), "--org", "uat", "--with-state")
    assert result.exit_code == 0, result.output
    assert "State of uat: forgot 8 managed resources, 1 Apex run." in result.output
    assert "still describes" not in result.output
    state = LocalStateBackend(root / ".reconcile" / "state.json").read()
    assert "uat" not in state.orgs and "dev" in state.orgs  # only the org reset is forgotten
    assert _plan(root) == first  # the first day's plan, script run included
    history = invoke("history", "-c", str(root))
    assert "emulator reset" in history.output
    run_id = history.output.splitlines()[2].split()[0]
    shown = invoke("history", "show", run_id, "-c", str(root))
    assert shown.exit_code == 0, shown.output
    assert "forget" in shown.output and "the emulated org was reset from its seed" in shown.output


def test_with_state_changes_nothing_while_the_state_is_locked(tmp_path: Path) -> None:
    root = _quickstart(tmp_path)
    assert invoke("apply", "-c", str(root), "--auto-approve").exit_code == 0
    live = root / ".reconcile" / "emulator" / "uat.json"
    before = live.read_text(encoding="utf-8")
    backend = LocalStateBackend(root / ".reconcile" / "state.json")
    with backend.lock("apply elsewhere"):
        result = invoke("emulator", "reset", "-c", str(root), "--org", "uat", "--with-state")
    assert result.exit_code == 1
    assert "lock" in result.output.lower()
    state = LocalStateBackend(root / ".reconcile" / "state.json").read()
    assert state.orgs["uat"].resources  # nothing forgotten without the lock
    assert live.read_text(encoding="utf-8") == before  # and the org was not reset either
