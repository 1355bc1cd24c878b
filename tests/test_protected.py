"""Protected orgs and the delete threshold, end to end through the command line (child processes; the
confirmation prompt is answered on a pseudo-terminal)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from providers.emulator.embedded import EmulatorHandle
from state.local import LocalStateBackend
from tests.support.cli import CLI, cli_env, invoke
from tests.support.emulator import StartOrg
from tests.support.scenario import (
    SCENARIO_ENTRIES,
    OrgSpec,
    scenario_seed,
    token_env,
    write_config,
)

PROMPT = "Only 'yes' will be accepted"


@dataclass
class Orgs:
    dev: EmulatorHandle
    prod: EmulatorHandle
    config: Path
    env: dict[str, str]
    backend: LocalStateBackend

    def apply(self, *args: str) -> tuple[int, str]:
        result = invoke("apply", "-c", str(self.config), *args, env=self.env)
        assert "Traceback" not in result.output
        return result.exit_code, result.output


def grants(org: EmulatorHandle) -> int:
    return len(org.store.find("PermissionSetAssignment"))


def writes(org: EmulatorHandle) -> list[str]:
    """The write requests an org received (Metadata updates, sObject writes, Apex)."""
    return [
        key
        for key in org.stats()["requests"]
        if key.startswith(("POST composite", "DELETE composite", "POST Soap/s"))
        or "updateMetadata" in key
        or "upsertMetadata" in key
    ]


@pytest.fixture
def orgs(tmp_path: Path, start_org: StartOrg) -> Orgs:
    dev = start_org(scenario_seed(), name="dev")
    prod = start_org(scenario_seed(), name="prod")
    config = write_config(
        tmp_path / "cfg",
        {
            "dev": OrgSpec(served=dev),
            "prod": OrgSpec(served=prod, extra='protected = true\ntags = ["production"]'),
        },
    )
    backend = LocalStateBackend(config.parent / ".reconcile" / "state.json")
    return Orgs(dev, prod, config, token_env({"dev": dev, "prod": prod}), backend)


def apply_on_terminal(orgs: Orgs, answer: str, *args: str) -> tuple[int, str]:
    """Run apply with a pseudo-terminal as stdin/stdout; type ``answer`` when it asks."""
    leader, follower = os.openpty()
    process = subprocess.Popen(
        [*CLI, "apply", "-c", str(orgs.config), *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=cli_env(orgs.env),
        close_fds=True,
    )
    os.close(follower)
    seen = b""
    answered = False
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
                if not answered and PROMPT.encode() in seen:
                    os.write(leader, answer.encode() + b"\n")
                    answered = True
            elif process.poll() is not None:
                break
        code = process.wait(timeout=60)
    finally:
        os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert answered, f"apply never asked: {text}"
    return code, text


def test_apply_without_org_leaves_a_protected_org_alone(orgs: Orgs) -> None:
    prod_grants = grants(orgs.prod)
    code, out = orgs.apply("--auto-approve")
    assert code == 0, out
    assert "protected org prod left out (apply with --org prod)" in out
    assert orgs.prod.stats()["requests"] == {}, "a protected org is not even read by a plain apply"
    assert grants(orgs.prod) == prod_grants
    assert "prod" not in orgs.backend.read().orgs
    assert orgs.dev.store.find("PermissionSetAssignment") and writes(orgs.dev)

    code, out = orgs.apply("--auto-approve", "--tag", "production")
    assert code == 0 and "protected org prod left out" in out, out
    assert not writes(orgs.prod)


def test_naming_a_protected_org_asks_for_confirmation(orgs: Orgs) -> None:
    code, out = orgs.apply("--org", "prod")
    assert code == 1 and "no terminal to ask on" in out, out
    assert not writes(orgs.prod)

    code, out = apply_on_terminal(orgs, "no", "--org", "prod")
    assert code == 1 and "apply cancelled" in out, out
    assert not writes(orgs.prod)

    code, out = apply_on_terminal(orgs, "yes", "--org", "prod")
    assert code == 0, out
    assert writes(orgs.prod)
    assert "prod" in orgs.backend.read().orgs and "dev" not in orgs.backend.read().orgs


def test_a_saved_plan_touching_a_protected_org_needs_it_named(orgs: Orgs, tmp_path: Path) -> None:
    planfile = tmp_path / "all.plan.json"
    saved = invoke("plan", "-c", str(orgs.config), "--out", str(planfile), env=orgs.env)
    assert saved.exit_code == 0, saved.output
    code, out = orgs.apply("--auto-approve", str(planfile))
    assert code == 1 and "protected org prod" in out and "--org prod" in out, out
    assert not writes(orgs.prod) and not writes(orgs.dev)
    code, out = orgs.apply("--auto-approve", "--org", "prod", str(planfile))
    assert code == 0, out
    assert writes(orgs.prod) and not writes(orgs.dev)  # --org narrows the saved plan to prod


def test_deleting_more_than_30_percent_needs_force(orgs: Orgs) -> None:
    code, out = orgs.apply("--auto-approve")
    assert code == 0, out
    managed = len(orgs.backend.read().orgs["dev"].resources)
    assert managed >= 10
    # Drop the Analytics (6 users) and Service_Desk (2 users) grants from the configuration.
    entries = SCENARIO_ENTRIES.split("[[permission_set_grant]]")
    kept = [
        part
        for part in entries
        if "Analytics" not in part.split("\n\n")[0] and "Service_Desk" not in part.split("\n\n")[0]
    ]
    text = orgs.config.read_text(encoding="utf-8").replace(SCENARIO_ENTRIES, "[[permission_set_grant]]".join(kept))
    text = text.replace("permission_set_grant:Analytics/frank@acme.com", "permission_set_grant:group:Sales_Bundle")
    orgs.config.write_text(text, encoding="utf-8")
    deletes = 8
    assert deletes > 0.3 * managed

    serial = orgs.backend.read().serial
    before = grants(orgs.dev)
    code, out = orgs.apply("--auto-approve")
    assert code == 1, out
    assert f"deletes {deletes} of {managed} managed resources" in out and "--force" in out
    assert grants(orgs.dev) == before and orgs.backend.read().serial == serial

    code, out = orgs.apply("--auto-approve", "--force")
    assert code == 0, out
    assert grants(orgs.dev) == before - deletes
    state = orgs.backend.read()
    assert not [a for a in state.orgs["dev"].resources if "Analytics" in a or "Service_Desk" in a]
    replan = invoke("plan", "-c", str(orgs.config), "--format", "json", env=orgs.env)
    assert json.loads(replan.stdout)["orgs"][0]["changes"] == []
