"""The local state's layout: one head file and one content-addressed file per org.

A write for one org writes that org's file and the head only; a state file in the former one-file layout
(version 1) is read as it is and migrated by the next write; files no head names any more are removed;
a damaged or missing org file is refused with a message naming it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconcile.errors import StateError
from state.base import State, StateEntry, read_orgs
from state.local import LocalStateBackend
from state.local_files import FILE_VERSION, render_state
from state.memory import MemoryStateBackend

ORGS = [f"org{i:02d}" for i in range(12)]


def fleet_state(orgs: list[str] = ORGS, grants: int = 30) -> State:
    state = State()
    for index, name in enumerate(orgs):
        org = state.org(name)
        org.org_id = f"00D{index:012d}"
        for grant in range(grants):
            org.resources[f"permission_set_grant.u{grant}@x.com/Ops"] = StateEntry(
                kind="permission_set_grant",
                ids={"id": f"0Pa{grant:012d}"},
                attributes={"user": f"u{grant}@x.com", "permission_set": "Ops"},
                applied_at=datetime(2024, 5, 1, tzinfo=UTC),
            )
    return state


def org_files(path: Path) -> dict[str, tuple[int, int]]:
    """Every org file: name -> (inode, mtime)."""
    directory = path.parent / "state.json.d"
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in directory.iterdir()}


def test_a_write_for_one_org_writes_only_that_orgs_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = LocalStateBackend(path)
    written = backend.write(fleet_state())
    before = org_files(path)
    assert len(before) == len(ORGS)
    written.orgs["org03"].resources.pop("permission_set_grant.u0@x.com/Ops")
    again = backend.write(written, changed={"org03"})
    after = org_files(path)
    new = set(after) - set(before)
    assert len(new) == 1 and next(iter(new)).startswith("org03.")
    assert {name: after[name] for name in after if name in before} == {
        name: stamp for name, stamp in before.items() if name in after
    }
    assert LocalStateBackend(path).read() == again
    assert "permission_set_grant.u0@x.com/Ops" not in LocalStateBackend(path).read().orgs["org03"].resources


def test_without_the_hint_only_orgs_whose_content_changed_are_written(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = LocalStateBackend(path)
    written = backend.write(fleet_state())
    before = org_files(path)
    written.orgs["org07"].org_id = "00D999999999999"
    LocalStateBackend(path).write(written)
    added = set(org_files(path)) - set(before)
    assert [name.split(".")[0] for name in added] == ["org07"]


def test_files_only_a_discarded_backup_named_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = LocalStateBackend(path)
    state = backend.write(fleet_state(["a", "b"]))
    first_a = json.loads(path.read_text())["orgs"]["a"]
    for serial in range(3):
        state.orgs["a"].org_id = f"00D00000000000{serial}"
        state = backend.write(state, changed={"a"})
    names = set(org_files(path))
    head = json.loads(path.read_text())["orgs"]
    backup = json.loads(backend.backup_path.read_text())["orgs"]
    assert names == {ref.split("/")[1] for ref in [*head.values(), *backup.values()]}
    assert first_a.split("/")[1] not in names
    assert LocalStateBackend(backend.backup_path).read().serial == state.serial - 1


def test_a_version_1_file_is_read_and_migrated_by_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    legacy = fleet_state(["prod", "uat"]).model_copy(update={"serial": 7})
    legacy_bytes = render_state(legacy.model_dump(mode="json")).encode()
    path.write_bytes(legacy_bytes)
    backend = LocalStateBackend(path)
    read = backend.read()
    assert read == legacy
    assert not (tmp_path / "state.json.d").exists(), "reading changes nothing"
    written = backend.write(read, changed=set())
    head = json.loads(path.read_text())
    assert head["version"] == FILE_VERSION and head["serial"] == 8
    assert set(head["orgs"]) == {"prod", "uat"}
    assert LocalStateBackend(path).read() == written
    assert written.orgs == legacy.orgs
    assert backend.backup_path.read_bytes() == legacy_bytes, "the version 1 file is kept as the backup"
    assert LocalStateBackend(backend.backup_path).read() == legacy


def test_an_org_file_that_does_not_match_its_digest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = LocalStateBackend(path)
    backend.write(fleet_state(["prod"]))
    reference = json.loads(path.read_text())["orgs"]["prod"]
    org_file = tmp_path / reference
    org_file.write_text(org_file.read_text()[:-20])
    with pytest.raises(StateError) as error:
        LocalStateBackend(path).read()
    assert "org prod" in str(error.value) and "does not match its digest" in str(error.value)
    assert "state.json.backup" in str(error.value)


def test_a_missing_org_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    LocalStateBackend(path).write(fleet_state(["prod"]))
    reference = json.loads(path.read_text())["orgs"]["prod"]
    (tmp_path / reference).unlink()
    with pytest.raises(StateError, match="is missing"):
        LocalStateBackend(path).read()


def test_a_head_naming_a_file_outside_its_directory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": FILE_VERSION, "lineage": "x", "serial": 1, "orgs": {"p": "../etc"}}))
    with pytest.raises(StateError, match=r"orgs must map each org to a file under state\.json\.d/"):
        LocalStateBackend(path).read()


def test_a_read_for_some_orgs_opens_only_their_files(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = LocalStateBackend(path)
    written = backend.write(fleet_state())
    other = path.parent / json.loads(path.read_text(encoding="utf-8"))["orgs"]["org05"]
    other.write_text("{ torn", encoding="utf-8")  # another org's file: a full read refuses it
    with pytest.raises(StateError, match="org05"):
        backend.read()
    some = read_orgs(backend, ["org01", "org02", "org99"])
    assert sorted(some.orgs) == ["org01", "org02"]
    assert (some.lineage, some.serial) == (written.lineage, written.serial)
    assert some.orgs["org01"] == written.orgs["org01"]
    assert some.partial and not written.partial


def test_a_state_read_for_some_orgs_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    backend = LocalStateBackend(path)
    backend.write(fleet_state())
    some = read_orgs(backend, ["org01"])
    with pytest.raises(StateError, match="read for some orgs only"):
        backend.write(some)
    assert sorted(backend.read().orgs) == ORGS, "every org is still there"


def test_a_backend_without_partial_reads_leaves_the_other_orgs_out() -> None:
    backend = MemoryStateBackend()
    backend.write(fleet_state(ORGS[:3]))
    some = read_orgs(backend, ["org00", "org02"])
    assert sorted(some.orgs) == ["org00", "org02"] and some.partial
    with pytest.raises(StateError, match="read for some orgs only"):
        backend.write(some)
