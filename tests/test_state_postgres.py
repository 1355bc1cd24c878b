"""The PostgreSQL state backend beyond the shared contract: configuration, schema, per-org writes and
locks between concurrent runners, killed runners, and the journal table. Runs against a real server
(tests/pg/server.py); the contract both backends share is in test_state_contract.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from reconcile.errors import StateError, StateLockError
from reconcile.executor import apply_plan
from reconcile.planner import build_plan
from state.base import STATE_VERSION, OrgState, State, StateEntry
from state.factory import backend_for, dsn_from_env, journal_for, lock_orgs, workspace_name
from state.postgres.backend import PostgresStateBackend
from state.postgres.journal import PgJournal
from state.postgres.schema import SCHEMA_VERSION, forget_migrated, redact_dsn, schema_version
from state.settings import StateSettings
from tests.pg.server import DSN_VARIABLE, fresh_database, new_workspace, server_dsn, wait_until_released, with_params
from tests.support.fakes import FakeProvider
from tests.test_planner import desired, grant, pv, tier

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dsn() -> str:
    return server_dsn()


@pytest.fixture
def workspace() -> str:
    return new_workspace()


@pytest.fixture
def backend(dsn: str, workspace: str) -> Iterator[PostgresStateBackend]:
    opened = PostgresStateBackend(dsn, workspace)
    yield opened
    opened.close()


def runner(dsn: str, workspace: str) -> PostgresStateBackend:
    """Another runner on the same workspace: its own backend, connections and snapshots."""
    return PostgresStateBackend(dsn, workspace)


def with_entry(state: State, org: str, name: str) -> State:
    state.org(org).resources[name] = StateEntry(kind="CustomField", attributes={"label": name})
    return state


@dataclass
class Holder:
    process: subprocess.Popen[str]
    lock_id: str

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0


@pytest.fixture
def spawn(dsn: str, workspace: str) -> Iterator[object]:
    processes: list[subprocess.Popen[str]] = []

    def start(orgs: str, operation: str = "apply") -> Holder:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.pg.holder", "postgres", workspace, operation, orgs],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), DSN_VARIABLE: dsn},
        )
        processes.append(process)
        assert process.stdout is not None
        lock_id = process.stdout.readline().strip()
        assert lock_id, "the holder process exited before taking its lock"
        return Holder(process, lock_id)

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


# -- configuration -----------------------------------------------------------------------------------


def test_the_dsn_comes_from_the_named_variable_and_a_missing_one_is_named() -> None:
    settings = StateSettings(backend="postgres", dsn_env="TEAM_STATE_DSN")
    assert dsn_from_env(settings, {"TEAM_STATE_DSN": "host=db"}) == "host=db"
    with pytest.raises(StateError, match="environment variable TEAM_STATE_DSN, which is not set"):
        dsn_from_env(settings, {"RECONCILE_STATE_DSN": "host=elsewhere"})
    with pytest.raises(StateError, match="TEAM_STATE_DSN"):
        dsn_from_env(settings, {"TEAM_STATE_DSN": "  "})


def test_the_factory_builds_the_configured_backend_and_journal(
    monkeypatch: pytest.MonkeyPatch, dsn: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("RECONCILE_STATE_DSN", dsn)
    settings = StateSettings(backend="postgres", path="fleet/eu", state_path=tmp_path / "fleet/eu")
    built, journal = backend_for(settings, tmp_path), journal_for(settings, tmp_path)
    assert isinstance(built, PostgresStateBackend) and built.workspace == "fleet/eu"
    assert isinstance(journal, PgJournal) and journal.workspace == "fleet/eu"
    assert workspace_name(StateSettings()) == "default"
    local = backend_for(settings, tmp_path, backend="local")
    assert local.describe() == str(tmp_path / "fleet/eu")


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (
            "postgresql://ops:s3cr%40t@db.example:5433/state?sslmode=require",
            "postgresql://ops:***@db.example:5433/state?sslmode=require",
        ),
        ("postgres://ops@db/state?password=s3cr%40t", "postgres://ops@db/state?password=***"),
        ("host=db user=ops password='s3cr@t' dbname=state", "host=db user=ops password=*** dbname=state"),
        ("host=db dbname=state", "host=db dbname=state"),
    ],
)
def test_describe_redacts_the_password(given: str, shown: str) -> None:
    assert PostgresStateBackend(given, "w").describe() == shown == redact_dsn(given)


def test_a_failed_connection_never_shows_the_password(dsn: str) -> None:
    wrong = with_params(dsn, password="hunter2-not-the-password")
    with pytest.raises(StateError) as error:
        PostgresStateBackend(wrong, new_workspace()).read()
    assert "hunter2" not in str(error.value)
    assert "***" in str(error.value) and "password authentication failed" in str(error.value)


# -- schema ------------------------------------------------------------------------------------------


def test_the_schema_is_created_once_by_runners_starting_together(dsn: str) -> None:
    database = fresh_database(dsn)
    with ThreadPoolExecutor(max_workers=4) as pool:
        states = list(pool.map(lambda _i: runner(database, "default").read(), range(4)))
    assert len({state.lineage for state in states}) == 1
    with psycopg.connect(database) as connection:
        assert schema_version(connection) == SCHEMA_VERSION
        rows = connection.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'reconcile%'").fetchall()
        tables = {row[0] for row in rows}
    assert tables == {
        "reconcile_schema_version",
        "reconcile_workspace",
        "reconcile_org_state",
        "reconcile_lock",
        "reconcile_journal",
    }


def test_a_newer_schema_is_refused_untouched(dsn: str) -> None:
    database = fresh_database(dsn)
    runner(database, "default").read()
    with psycopg.connect(database) as connection:
        connection.execute("INSERT INTO reconcile_schema_version (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    forget_migrated(database)
    with pytest.raises(StateError, match="upgrade reconcile"):
        runner(database, "default").read()


def test_a_newer_state_version_and_an_invalid_document_are_refused(backend: PostgresStateBackend, dsn: str) -> None:
    backend.write(with_entry(backend.read(), "prod", "Account.A__c"))
    with psycopg.connect(dsn) as connection:
        connection.execute(
            "UPDATE reconcile_org_state SET document = '{\"resources\": 5}' WHERE workspace = %s", (backend.workspace,)
        )
    with pytest.raises(StateError, match="invalid document for org prod: resources"):
        backend.read()
    with psycopg.connect(dsn) as connection:
        connection.execute(
            "UPDATE reconcile_workspace SET version = %s WHERE workspace = %s", (STATE_VERSION + 1, backend.workspace)
        )
    with pytest.raises(StateError, match="upgrade reconcile"):
        backend.read()


# -- writes ------------------------------------------------------------------------------------------


def test_a_write_is_all_or_nothing(backend: PostgresStateBackend) -> None:
    stored = backend.write(with_entry(backend.read(), "a", "Account.A__c"))
    broken = with_entry(with_entry(stored.model_copy(deep=True), "a", "Account.B__c"), "z", "Account.C__c")
    broken.orgs["z"].resources["Account.C__c"].attributes["label"] = "NUL \x00 is not valid in jsonb"
    with pytest.raises(StateError, match="could not write"):
        backend.write(broken)
    assert backend.read() == stored


def test_runners_that_read_together_write_disjoint_orgs_without_conflict(dsn: str, workspace: str) -> None:
    first, second = runner(dsn, workspace), runner(dsn, workspace)
    base = first.write(with_entry(first.read(), "shared", "Account.S__c"))
    mine, theirs = first.read(), second.read()
    after_theirs = second.write(with_entry(theirs, "b", "Account.B__c"))
    after_mine = first.write(with_entry(mine, "a", "Account.A__c"))
    assert (after_theirs.serial, after_mine.serial) == (base.serial + 1, base.serial + 2)
    assert after_mine == first.read() == second.read()
    assert set(after_mine.orgs) == {"shared", "a", "b"}
    again = first.write(with_entry(after_mine, "a", "Account.A2__c"))
    assert set(runner(dsn, workspace).read().orgs["a"].resources) == {"Account.A__c", "Account.A2__c"}
    assert again.orgs["b"] == after_theirs.orgs["b"]


def test_a_runner_removing_an_org_keeps_the_orgs_others_added(dsn: str, workspace: str) -> None:
    first, second = runner(dsn, workspace), runner(dsn, workspace)
    stored = first.write(with_entry(with_entry(first.read(), "old", "Account.O__c"), "keep", "Account.K__c"))
    mine = second.read()
    first.write(with_entry(stored, "new", "Account.N__c"))
    del mine.orgs["old"]
    assert set(second.write(mine).orgs) == {"keep", "new"}
    assert set(runner(dsn, workspace).read().orgs) == {"keep", "new"}


def test_the_same_org_written_by_two_runners_is_refused_naming_it(dsn: str, workspace: str) -> None:
    first, second = runner(dsn, workspace), runner(dsn, workspace)
    first.write(first.read())
    mine, theirs = first.read(), second.read()
    second.write(with_entry(theirs, "prod", "Account.Theirs__c"))
    with pytest.raises(StateError, match="org prod changed in between"):
        first.write(with_entry(mine, "prod", "Account.Mine__c"))
    assert set(runner(dsn, workspace).read().orgs["prod"].resources) == {"Account.Theirs__c"}


def test_a_stale_state_this_backend_never_handed_out_is_refused(dsn: str, workspace: str) -> None:
    first = runner(dsn, workspace)
    stale = first.write(first.read())
    first.write(with_entry(first.read(), "b", "Account.B__c"))
    with pytest.raises(StateError, match="org b changed in between"):
        runner(dsn, workspace).write(with_entry(stale.model_copy(deep=True), "a", "Account.A__c"))


def test_an_untouched_workspace_accepts_a_first_write_of_any_lineage(backend: PostgresStateBackend) -> None:
    registered = backend.read()
    imported = State(orgs={"prod": OrgState(org_id="00D1")})
    assert imported.lineage != registered.lineage
    written = backend.write(imported)
    assert (written.lineage, written.serial) == (imported.lineage, 1)
    with pytest.raises(StateError, match="belongs to lineage"):
        backend.write(State())


# -- locks between runners ---------------------------------------------------------------------------


def test_runners_on_disjoint_orgs_hold_their_locks_and_write_at_the_same_time(dsn: str, workspace: str) -> None:
    base = runner(dsn, workspace)
    base.write(base.read())
    both_hold = threading.Barrier(2, timeout=60)
    seen: list[set[str]] = []

    def run(org: str) -> State:
        mine = runner(dsn, workspace)
        state = mine.read()
        with mine.lock_orgs([org], "apply") as held:
            both_hold.wait()
            seen.append(set(mine.lock_infos()))
            state = mine.write(with_entry(state, org, "Account.One__c"))
            state = mine.write(with_entry(state, org, "Account.Two__c"))
            both_hold.wait()
            assert held.replaced is None
        return state

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, ["east", "west"]))
    assert seen == [{"east", "west"}, {"east", "west"}]
    stored = base.read()
    assert stored.serial == 5 == max(result.serial for result in results)
    assert {org: set(s.resources) for org, s in stored.orgs.items()} == {
        "east": {"Account.One__c", "Account.Two__c"},
        "west": {"Account.One__c", "Account.Two__c"},
    }


def test_a_runner_in_another_process_on_other_orgs_does_not_block(backend: PostgresStateBackend, spawn: object) -> None:
    holder: Holder = spawn("a,b")  # type: ignore[operator]
    with backend.lock_orgs(["c", "d"], "apply", timeout=0) as held:
        infos = backend.lock_infos()
        assert {org: info.id for org, info in infos.items()} == {
            "a": holder.lock_id,
            "b": holder.lock_id,
            "c": held.id,
            "d": held.id,
        }
    holder.release()
    assert backend.lock_infos() == {}


def test_a_runner_on_an_overlapping_org_fails_naming_the_holder_or_waits(
    backend: PostgresStateBackend, spawn: object
) -> None:
    holder: Holder = spawn("a,b")  # type: ignore[operator]
    with pytest.raises(StateLockError) as error, backend.lock_orgs(["b", "c"], "apply", timeout=0.2):
        pass
    message = str(error.value)
    assert message.startswith(f"org b in state workspace {backend.workspace!r}")
    assert f"pid {holder.process.pid}" in message and "'apply'" in message
    assert f"reconcile state unlock {holder.lock_id}" in message
    acquired: list[str] = []

    def wait_for_it() -> None:
        with backend.lock_orgs(["b", "c"], "plan", timeout=60) as held:
            acquired.append(held.operation)

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    holder.release()
    waiter.join(timeout=60)
    assert acquired == ["plan"]


def test_the_whole_workspace_lock_and_org_locks_exclude_each_other(backend: PostgresStateBackend) -> None:
    other = runner(backend.dsn, backend.workspace)
    with (
        backend.lock_orgs(["a"], "apply") as held,
        pytest.raises(StateLockError, match=f"org a by .*lock id {held.id}"),
        other.lock("state rm"),
    ):
        pass
    with (
        backend.lock("state rm") as whole,
        pytest.raises(StateLockError, match=f"the whole workspace by .*lock id {whole.id}"),
        other.lock_orgs(["z"], "apply"),
    ):
        pass


def test_a_killed_runner_releases_its_org_locks(backend: PostgresStateBackend, spawn: object) -> None:
    holder: Holder = spawn("a")  # type: ignore[operator]
    dead = backend.lock_infos()["a"]
    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait(timeout=30)
    with backend.lock_orgs(["a"], "apply", timeout=60) as held:
        assert held.replaced == dead
        assert {org: info.id for org, info in backend.lock_infos().items()} == {"a": held.id}
    assert f"pid {holder.process.pid}" in backend.warnings[0]


def test_a_whole_workspace_lock_clears_stale_org_records(backend: PostgresStateBackend, spawn: object) -> None:
    holder: Holder = spawn("a,b")  # type: ignore[operator]
    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait(timeout=30)
    wait_until_released(backend.dsn, backend.workspace, "b")
    assert set(backend.lock_infos()) == {"a", "b"}
    with backend.lock("state rm"):
        assert set(backend.lock_infos()) == {"*"}
    assert len(backend.warnings) == 2


def test_lock_orgs_falls_back_to_the_whole_state_on_a_local_file(tmp_path: Path) -> None:
    from state.local import LocalStateBackend

    local = LocalStateBackend(tmp_path / "state.json")
    with lock_orgs(local, ["a"], "apply") as held:
        info = local.lock_info()
        assert info is not None and info.id == held.id


# -- the executor with two runners -------------------------------------------------------------------


def test_two_applies_on_disjoint_orgs_run_at_the_same_time(dsn: str, workspace: str) -> None:
    runner(dsn, workspace).write(runner(dsn, workspace).read())
    both_started = threading.Barrier(2, timeout=60)

    def apply(org: str) -> bool:
        mine = runner(dsn, workspace)
        with lock_orgs(mine, [org], "apply"):
            state = mine.read()
            provider = FakeProvider([tier()], org_id=f"00D{org}")
            plan = build_plan(
                config_digest="d",
                desired={org: desired(tier(pv("Gold")), grant(f"{org}@x"), org=org)},
                state=state,
                providers={org: provider},
            )
            both_started.wait()
            report = apply_plan(plan, providers={org: provider}, backend=mine, state=state)
        return report.ok

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(apply, ["dev", "uat"])) == [True, True]
    stored = runner(dsn, workspace).read()
    assert {org: s.org_id for org, s in stored.orgs.items()} == {"dev": "00Ddev", "uat": "00Duat"}
    assert all(len(s.resources) == 2 for s in stored.orgs.values())


# -- journal -----------------------------------------------------------------------------------------


def test_the_journal_appends_and_reads_like_the_file(dsn: str, workspace: str) -> None:
    journal = PgJournal(dsn, workspace)
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    for index in range(5):
        journal.append({"run_id": f"r{index % 2}", "n": index, "at": at, "x": {"ü": [1.5, None]}})
    records = PgJournal(dsn, workspace).read()
    assert [r["n"] for r in records] == [0, 1, 2, 3, 4]
    assert records[0] == {"run_id": "r0", "n": 0, "at": "2025-01-02T03:04:05+00:00", "x": {"ü": [1.5, None]}}
    assert [r["n"] for r in journal.read(limit=2)] == [3, 4]
    assert [r["n"] for r in journal.read(run_id="r1")] == [1, 3]
    assert [r["n"] for r in journal.read(limit=1, run_id="r0")] == [4]
    assert journal.read(limit=0) == [] and PgJournal(dsn, new_workspace()).read() == []
    with pytest.raises(ValueError, match="zero or more"):
        journal.read(limit=-1)


def test_concurrent_appends_all_land(dsn: str, workspace: str) -> None:
    journals = [PgJournal(dsn, workspace) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: journals[i % 4].append({"n": i}), range(40)))
    assert sorted(r["n"] for r in journals[0].read()) == list(range(40))


def test_the_journal_table_is_append_only(dsn: str, workspace: str) -> None:
    PgJournal(dsn, workspace).append({"run_id": "r", "n": 1})
    with psycopg.connect(dsn) as connection:
        for statement in (
            "UPDATE reconcile_journal SET record = '{}'",
            "DELETE FROM reconcile_journal",
            "TRUNCATE reconcile_journal",
        ):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"), connection.transaction():
                connection.execute(statement.encode())
    assert PgJournal(dsn, workspace).read() == [{"run_id": "r", "n": 1}]
