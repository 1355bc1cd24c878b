from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from state.journal import Journal

ROOT = Path(__file__).resolve().parents[1]

# Appends `count` records tagged with `writer`, each large enough that unguarded writes could interleave.
WRITER = """
import sys
from pathlib import Path
from state.journal import Journal

journal = Journal(Path(sys.argv[1]))
writer, count = sys.argv[2], int(sys.argv[3])
for n in range(count):
    journal.append({"writer": writer, "n": n, "pad": writer * 5000})
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "history.jsonl"


@pytest.fixture
def journal(path: Path) -> Journal:
    return Journal(path)


def test_missing_journal_reads_empty(journal: Journal, path: Path) -> None:
    assert journal.read() == []
    assert not path.exists()


def test_append_then_read_oldest_first(journal: Journal, path: Path) -> None:
    at = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    journal.append({"run_id": "r1", "at": at, "events": [{"address": "A", "status": "ok"}]})
    journal.append({"run_id": "r2", "org": "prod"})
    assert journal.read() == [
        {"run_id": "r1", "at": "2024-05-01T12:30:00+00:00", "events": [{"address": "A", "status": "ok"}]},
        {"run_id": "r2", "org": "prod"},
    ]
    assert path.read_text(encoding="utf-8").count("\n") == 2


def test_append_never_rewrites_earlier_lines(journal: Journal, path: Path) -> None:
    journal.append({"run_id": "r1", "text": "line\nbreak"})
    before = path.read_bytes()
    journal.append({"run_id": "r2"})
    after = path.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].count(b"\n") == 1


def test_limit_returns_the_latest(journal: Journal) -> None:
    for n in range(5):
        journal.append({"n": n})
    assert [r["n"] for r in journal.read(limit=2)] == [3, 4]
    assert [r["n"] for r in journal.read(limit=10)] == [0, 1, 2, 3, 4]
    assert journal.read(limit=0) == []
    with pytest.raises(ValueError, match="limit"):
        journal.read(limit=-1)


def test_filter_by_run_id_then_limit(journal: Journal) -> None:
    for n in range(6):
        journal.append({"run_id": "a" if n % 2 else "b", "n": n})
    assert [r["n"] for r in journal.read(run_id="a")] == [1, 3, 5]
    assert [r["n"] for r in journal.read(run_id="a", limit=2)] == [3, 5]
    assert journal.read(run_id="missing") == []


def test_unserialisable_record_is_rejected_without_writing(journal: Journal, path: Path) -> None:
    with pytest.raises(TypeError, match="object"):
        journal.append({"bad": object()})
    assert not path.exists()


def test_torn_last_line_is_skipped_and_next_append_starts_fresh(journal: Journal, path: Path) -> None:
    journal.append({"n": 0})
    journal.append({"n": 1})
    with open(path, "ab") as handle:
        handle.write(b'{"n": 2, "events": [{"addr')
    assert [r["n"] for r in journal.read()] == [0, 1]
    assert len(journal.warnings) == 1
    assert f"{path}:3" in journal.warnings[0]
    journal.append({"n": 3})
    assert [r["n"] for r in journal.read()] == [0, 1, 3]
    lines = path.read_bytes().split(b"\n")
    assert lines[-2] == b'{"n":3}'
    assert lines[-3] == b'{"n": 2, "events": [{"addr'


def test_line_that_is_not_an_object_is_skipped(journal: Journal, path: Path) -> None:
    journal.append({"n": 0})
    with open(path, "ab") as handle:
        handle.write(b"[1, 2]\n")
    journal.append({"n": 1})
    assert [r["n"] for r in journal.read()] == [0, 1]
    assert "not a JSON object" in journal.warnings[0]


def test_concurrent_threads_never_interleave(journal: Journal, path: Path) -> None:
    def write(writer: str) -> None:
        own = Journal(path) if writer in "ab" else journal
        for n in range(50):
            own.append({"writer": writer, "n": n, "pad": writer * 5000})

    threads = [threading.Thread(target=write, args=(w,)) for w in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert_complete(path, journal, "abcd", 50)


def test_concurrent_processes_never_interleave(journal: Journal, path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), writer, "50"], cwd=ROOT, env=env)
        for writer in "wxyz"
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0, 0]
    assert_complete(path, journal, "wxyz", 50)


def assert_complete(path: Path, journal: Journal, writers: str, count: int) -> None:
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    parsed = [json.loads(line) for line in lines[:-1]]
    assert len(parsed) == len(writers) * count
    assert all(record["pad"] == record["writer"] * 5000 for record in parsed)
    records = journal.read()
    assert journal.warnings == []
    assert {(r["writer"], r["n"]) for r in records} == {(w, n) for w in writers for n in range(count)}
    for writer in writers:
        assert [r["n"] for r in records if r["writer"] == writer] == list(range(count))
