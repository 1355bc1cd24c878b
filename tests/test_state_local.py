from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconcile.errors import StateError
from state.base import STATE_VERSION, ApexRun, State, StateEntry
from state.local import LocalStateBackend
from state.local_files import FILE_VERSION


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.json"


@pytest.fixture
def backend(path: Path) -> LocalStateBackend:
    return LocalStateBackend(path)


def populated(state: State, name: str = "Account.Tier__c") -> State:
    org = state.org("prod")
    org.org_id = "00D000000000001"
    org.resources[name] = StateEntry(
        kind="CustomField",
        ids={"id": "00N000000000001"},
        attributes={"label": "Tier", "length": 40},
        dependencies=["CustomObject.Account"],
        applied_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )
    org.apex_runs["seed"] = [ApexRun(sha256="ab" * 32, at=datetime(2024, 5, 1, tzinfo=UTC), success=True)]
    return state


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# -- read / write ------------------------------------------------------------------------------------


def test_missing_file_reads_as_fresh_unpersisted_state(backend: LocalStateBackend, path: Path) -> None:
    first, second = backend.read(), backend.read()
    assert (first.serial, first.orgs, first.version) == (0, {}, STATE_VERSION)
    assert first.lineage != second.lineage
    assert not path.exists()


def test_round_trip_bumps_serial(backend: LocalStateBackend, path: Path) -> None:
    state = populated(backend.read())
    written = backend.write(state)
    assert written.serial == 1
    assert state.serial == 0
    assert backend.read() == written
    again = backend.write(written)
    assert again.serial == 2
    assert backend.read().serial == 2


def test_files_are_sorted_json_with_one_line_per_resource(backend: LocalStateBackend, path: Path) -> None:
    written = backend.write(populated(backend.read()))
    head = json.loads(path.read_text(encoding="utf-8"))
    assert (head["version"], head["lineage"], head["serial"]) == (FILE_VERSION, written.lineage, 1)
    assert set(head["orgs"]) == {"prod"} and head["orgs"]["prod"].startswith("state.json.d/prod.")
    text = (path.parent / head["orgs"]["prod"]).read_text(encoding="utf-8")
    assert json.loads(text) == written.orgs["prod"].model_dump(mode="json")
    lines = text.splitlines()
    for address in written.orgs["prod"].resources:
        matching = [line for line in lines if line.strip().startswith(json.dumps(address))]
        assert len(matching) == 1
        assert json.loads("{" + matching[0].strip().rstrip(",") + "}")[address]["kind"]
    top_keys = [line.split('"')[1] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith('  "')]
    assert top_keys == sorted(top_keys) == ["lineage", "orgs", "serial", "version"]


def test_a_write_after_another_writer_rereads_the_file(backend: LocalStateBackend, path: Path) -> None:
    written = backend.write(backend.read())
    other = LocalStateBackend(path)
    other.write(other.read())
    with pytest.raises(StateError, match="serial"):
        backend.write(written)


def test_creates_parent_directories(tmp_path: Path) -> None:
    backend = LocalStateBackend(tmp_path / "a" / "b" / "state.json")
    backend.write(backend.read())
    assert backend.read().serial == 1


def test_previous_version_kept_as_backup(backend: LocalStateBackend, path: Path) -> None:
    first = backend.write(backend.read())
    assert not backend.backup_path.exists()
    first_bytes = path.read_bytes()
    second = backend.write(populated(first))
    second_bytes = path.read_bytes()
    assert backend.backup_path.read_bytes() == first_bytes
    backend.write(second)
    assert backend.backup_path.read_bytes() == second_bytes
    assert temp_files(path.parent) == []


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b'{"version": 1, "lineage": "x", "ser', "not valid JSON"),
        (b"\xff\xfe not utf-8", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"version": 1, "serial": 3, "orgs": {}}', "missing lineage"),
        (b'{"version": "1", "lineage": "x", "serial": 0, "orgs": {}}', "not a positive integer"),
        (b'{"version": 1, "lineage": "x", "serial": 0, "orgs": {"p": {"resources": 5}}}', "orgs.p.resources"),
    ],
)
def test_refuses_corrupt_file_and_leaves_it_byte_identical(
    backend: LocalStateBackend, path: Path, content: bytes, detail: str
) -> None:
    path.write_bytes(content)
    with pytest.raises(StateError) as read_error:
        backend.read()
    message = str(read_error.value)
    assert str(path) in message
    assert detail in message
    assert "state.json.backup" in message
    with pytest.raises(StateError):
        backend.write(State())
    assert path.read_bytes() == content
    assert not backend.backup_path.exists()


def test_refuses_newer_version(backend: LocalStateBackend, path: Path) -> None:
    content = json.dumps(
        {"version": FILE_VERSION + 1, "lineage": "x", "serial": 4, "orgs": {}, "future": True}
    ).encode()
    path.write_bytes(content)
    with pytest.raises(StateError, match="upgrade reconcile"):
        backend.read()
    with pytest.raises(StateError, match="upgrade reconcile"):
        backend.write(State(lineage="x", serial=4))
    assert path.read_bytes() == content


def test_refuses_other_lineage(backend: LocalStateBackend, path: Path) -> None:
    stored = backend.write(backend.read())
    before = path.read_bytes()
    stranger = State(serial=stored.serial)
    with pytest.raises(StateError) as error:
        backend.write(stranger)
    message = str(error.value)
    assert f"belongs to lineage {stored.lineage}, this run has {stranger.lineage}" in message
    assert "refusing to overwrite" in message
    assert path.read_bytes() == before


def test_refuses_when_serial_moved(backend: LocalStateBackend, path: Path) -> None:
    mine = backend.write(backend.read())
    theirs = LocalStateBackend(path).read()
    LocalStateBackend(path).write(populated(theirs))
    before = path.read_bytes()
    with pytest.raises(StateError, match="serial 2 but this run read serial 1"):
        backend.write(mine)
    assert path.read_bytes() == before


def test_refuses_to_restart_a_state_that_vanished(backend: LocalStateBackend, path: Path) -> None:
    written = backend.write(backend.read())
    path.unlink()
    with pytest.raises(StateError, match="no longer exists"):
        backend.write(written)
    assert not path.exists()


def failing_on(target: Path | None, real: Callable[..., None]) -> Callable[..., None]:
    def replace(src: object, dst: object) -> None:
        if target is None or Path(str(dst)) == target:
            raise OSError(28, "No space left on device")
        real(src, dst)

    return replace


@pytest.mark.parametrize("which", ["any-replace", "final-replace"])
def test_failed_rename_keeps_old_file_and_no_temp(
    backend: LocalStateBackend, path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    stored = backend.write(backend.read())
    before = path.read_bytes()
    target = None if which == "any-replace" else path
    monkeypatch.setattr(os, "replace", failing_on(target, os.replace))
    with pytest.raises(StateError, match="No space left on device"):
        backend.write(populated(stored.model_copy(deep=True)))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert temp_files(path.parent) == []
    assert backend.read() == stored


def test_failed_fsync_keeps_old_file_and_no_temp(
    backend: LocalStateBackend, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = backend.write(backend.read())
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StateError, match="previous version is intact"):
        backend.write(populated(stored))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert temp_files(path.parent) == []


def test_concurrent_threads_writing_the_same_serial_only_one_wins(backend: LocalStateBackend) -> None:
    base = backend.write(backend.read())
    barrier = threading.Barrier(8)

    def attempt(index: int) -> bool:
        candidate = populated(base.model_copy(deep=True), name=f"Account.F{index}__c")
        barrier.wait()
        try:
            backend.write(candidate)
        except StateError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert outcomes.count(True) == 1
    assert backend.read().serial == 2


def test_sequential_writes_from_several_threads(backend: LocalStateBackend) -> None:
    current = [backend.read()]
    guard = threading.Lock()

    def record(index: int) -> None:
        with guard:
            state = current[0].model_copy(deep=True)
            state.org("prod").resources[f"Account.F{index}__c"] = StateEntry(kind="CustomField")
            current[0] = backend.write(state)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(record, range(20)))
    stored = backend.read()
    assert stored.serial == 20
    assert len(stored.orgs["prod"].resources) == 20


# Locking is covered for both backends by tests/test_state_contract.py.


def test_describe_is_the_path(backend: LocalStateBackend, path: Path) -> None:
    assert backend.describe() == str(path)
