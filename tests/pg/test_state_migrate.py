"""Moving state and journal between the local file and PostgreSQL (state/migrate.py and
``reconcile state migrate``), against a real server (tests/pg/server.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconcile.errors import StateError
from state.base import ApexRun, OrgState, State, StateEntry
from state.journal import Journal
from state.local import LocalStateBackend
from state.migrate import migrate_state
from state.postgres.backend import PostgresStateBackend
from state.postgres.journal import PgJournal
from tests.pg.server import new_workspace, server_dsn
from tests.support.cli import invoke


@pytest.fixture(scope="module")
def dsn() -> str:
    return server_dsn()


def sample(state: State) -> State:
    state.orgs = {
        "dev": OrgState(
            org_id="00D000000000001AAA",
            resources={
                "picklist:Account.Tier__c": StateEntry(
                    kind="picklist",
                    ids={"CustomField": "00N1"},
                    attributes={"values": ["Gold", "Silver"], "n": 1.5},
                    dependencies=["object:Account"],
                    applied_at=datetime(2025, 1, 1, tzinfo=UTC),
                )
            },
            apex_runs={"seed": [ApexRun(sha256="ab" * 32, at=datetime(2025, 1, 1, tzinfo=UTC), success=False)]},
        ),
        "uat": OrgState(org_id="00D000000000002AAA"),
    }
    return state


def documents(state: State) -> dict[str, object]:
    return {org: value.model_dump(mode="json") for org, value in state.orgs.items()}


def test_local_to_postgres_and_back(dsn: str, tmp_path: Path) -> None:
    local = LocalStateBackend(tmp_path / "state.json")
    stored = local.write(local.write(sample(local.read())))
    journal = Journal(tmp_path / "history.jsonl")
    for index in range(3):
        journal.append({"run_id": "r1", "type": "result", "n": index, "at": datetime(2025, 1, 1, tzinfo=UTC)})
    shared, shared_journal = PostgresStateBackend(dsn, new_workspace()), PgJournal(dsn, new_workspace())

    moved = migrate_state(local, shared, journal, shared_journal)
    assert (moved.orgs, moved.resources, moved.journal_copied, moved.journal_total) == (2, 1, 3, 3)
    assert moved.lineage == stored.lineage and "***" in moved.target
    back = shared.read()
    assert back.lineage == stored.lineage and documents(back) == documents(stored)
    assert shared_journal.read() == journal.read()

    again = migrate_state(local, shared, journal, shared_journal)
    assert again.journal_copied == 0 and len(shared_journal.read()) == 3

    returned = LocalStateBackend(tmp_path / "again" / "state.json")
    returned_journal = Journal(tmp_path / "again" / "history.jsonl")
    migrate_state(shared, returned, shared_journal, returned_journal)
    assert documents(returned.read()) == documents(stored) and returned.read().lineage == stored.lineage
    assert returned_journal.read() == journal.read()


def test_a_target_of_another_lineage_is_refused_untouched(dsn: str, tmp_path: Path) -> None:
    local = LocalStateBackend(tmp_path / "state.json")
    local.write(sample(local.read()))
    shared = PostgresStateBackend(dsn, new_workspace())
    theirs = shared.write(State(orgs={"prod": OrgState(org_id="00D9")}))
    with pytest.raises(StateError, match=f"1 org\\(s\\) of lineage {theirs.lineage}.*refusing to overwrite"):
        migrate_state(local, shared, Journal(tmp_path / "h.jsonl"), PgJournal(dsn, shared.workspace))
    assert shared.read() == theirs


def test_a_target_that_reads_back_differently_fails_the_migration(dsn: str, tmp_path: Path) -> None:
    class Forgetful(LocalStateBackend):
        def write(self, state: State) -> State:
            return super().write(state.model_copy(update={"orgs": {}}))

    shared = PostgresStateBackend(dsn, new_workspace())
    shared.write(sample(shared.read()))
    with pytest.raises(StateError, match=r"read back from .* differs"):
        migrate_state(
            shared, Forgetful(tmp_path / "s.json"), PgJournal(dsn, new_workspace()), Journal(tmp_path / "h.jsonl")
        )


def write_config(directory: Path, backend: str, state_path: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "reconcile.toml").write_text(
        f'version = 1\n\n[state]\npath = "{state_path}"\nbackend = "{backend}"\ndsn_env = "TEST_STATE_DSN"\n\n'
        '[orgs.dev]\nsf_alias = "acme-dev"\n',
        encoding="utf-8",
    )
    return directory


def test_the_cli_migrates_both_ways_and_the_state_commands_use_the_configured_backend(dsn: str, tmp_path: Path) -> None:
    state_path = f"state/{uuid.uuid4().hex}.json"
    config = write_config(tmp_path / "cfg", "local", state_path)
    local = LocalStateBackend(config / state_path)
    local.write(sample(local.read()))
    env = {"TEST_STATE_DSN": dsn}

    refused = invoke("state", "migrate", "--to", "local", "-c", str(config), env=env)
    assert refused.exit_code == 1 and "already lives in the local backend" in refused.output
    moved = invoke("state", "migrate", "--to", "postgres", "-c", str(config), env=env)
    assert moved.exit_code == 0, moved.output
    assert "Copied 2 org(s) and 1 resource(s)" in moved.output and 'backend = "postgres"' in moved.output
    assert dsn.split("@")[0].split(":")[-1] not in moved.output  # the password

    (config / state_path).unlink()
    write_config(config, "postgres", state_path)
    listed = invoke("state", "list", "-c", str(config), env=env)
    assert (listed.exit_code, listed.output.splitlines()) == (
        0,
        [
            "dev::picklist:Account.Tier__c",
            "",
            "Apex runs:",
            f"dev::apex:seed  2025-01-01T00:00:00+00:00  failed  sha256 {'ab' * 32}",
        ],
    )
    removed = invoke("state", "rm", "dev::picklist:Account.Tier__c", "-c", str(config), env=env)
    assert removed.exit_code == 0, removed.output
    back = invoke("state", "migrate", "--to", "local", "-c", str(config), env=env)
    assert back.exit_code == 0, back.output
    assert set(local.read().orgs) == {"dev", "uat"} and local.read().orgs["dev"].resources == {}


def test_a_missing_dsn_variable_is_a_clear_cli_error(tmp_path: Path) -> None:
    config = write_config(tmp_path / "cfg", "postgres", "state/x.json")
    result = invoke("state", "list", "-c", str(config), env={"TEST_STATE_DSN": ""})
    assert result.exit_code == 1
    assert "environment variable TEST_STATE_DSN, which is not set" in result.output
    assert "Traceback" not in result.output
