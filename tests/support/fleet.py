"""A fleet of emulated orgs served by ``reconcile emulator serve --fleet`` in a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.support.cli import CLI, CLI_ENV
from tests.support.scenario import scenario_seed


@dataclass
class Member:
    instance_url: str
    ca_cert: Path
    access_token: str
    org_id: str


@dataclass
class Fleet:
    process: subprocess.Popen[str]
    members: dict[str, Member]
    spec: Path

    def get(self, path: str, token: str) -> requests.Response:
        member = next(iter(self.members.values()))
        return requests.get(
            member.instance_url + path,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(member.ca_cert),
            timeout=30,
        )

    def stats(self, name: str) -> dict[str, Any]:
        answer = self.get("/__emulator/stats", self.members[name].access_token)
        answer.raise_for_status()
        stats: dict[str, Any] = answer.json()
        return stats


def serve_fleet(spec: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "emulator", "serve", "--fleet", str(spec), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **CLI_ENV},
    )


@contextmanager
def served_fleet(directory: Path, names: Sequence[str], *extra: str) -> Iterator[Fleet]:
    """Orgs ``names`` of the scenario seed (each its own name) served from ``directory``; ``extra`` are
    more ``serve`` options (``--latency-ms 100``). Stopped with SIGTERM at the end, which must succeed."""
    directory.mkdir(parents=True)
    entries = {}
    for name in names:
        seed = scenario_seed()
        seed["organization"]["name"] = f"Fleet {name}"
        (directory / f"{name}.seed.json").write_text(json.dumps(seed), encoding="utf-8")
        entries[name] = {"data": f"{name}.json", "seed": f"{name}.seed.json"}
    spec = directory / "fleet.json"
    spec.write_text(json.dumps({"orgs": entries}), encoding="utf-8")
    process = serve_fleet(spec, *extra)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else ""
    ready = json.loads(line)
    members = {
        name: Member(ready["instance_url"], Path(ready["ca_cert"]), org["access_token"], org["org_id"])
        for name, org in ready["orgs"].items()
    }
    try:
        yield Fleet(process, members, spec)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
