"""Emulated orgs served from another process, the way users' orgs are: ``reconcile emulator serve --fleet``.

``RemoteFleet`` has the interface ``bench.scenarios.run_step`` uses of ``bench.fleet.Fleet`` (``names``,
``count``, ``start``, ``reset``, ``requests``, ``drift``, ``stop``, ``emulator_cpu.seconds``), but its
orgs live in one child process on one port, each with its own token, Organization Id and live file.
The benchmark's own process then holds only the tool, so its CPU time is the tool's. ``emulator_cpu``
reads the child's CPU time from ``/proc``. ``drift`` stops the fleet, changes 5% of every org's live
file, and starts it again (new tokens, set in the environment the configuration names).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from bench.fleet import Drift, drift_store
from bench.seeding import Names, OrgEndpoint, Size, config_text, write_seed
from providers.emulator.org.store import Store

ROOT = Path(__file__).resolve().parent.parent


class ChildCpu:
    """CPU seconds (user + system) a child process has used so far, as its ``/proc`` stat reports."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.spent_before = 0.0  # CPU of earlier incarnations of the fleet (drift restarts it)

    @property
    def seconds(self) -> float:
        return self.spent_before + (_proc_cpu(self.pid) if self.pid is not None else 0.0)


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RemoteFleet:
    """``count`` orgs of ``size`` served by one ``reconcile emulator serve --fleet`` child process."""

    def __init__(self, size: Size, count: int, latency_ms: int, workdir: Path) -> None:
        self.size = size
        self.count = count
        self.latency_ms = latency_ms
        self.workdir = workdir
        width = max(2, len(str(count)))
        self.names = [f"org{i + 1:0{width}d}" for i in range(count)]
        self.emulator_cpu = ChildCpu()
        self.process: subprocess.Popen[str] | None = None
        self.tokens: dict[str, str] = {}
        self.instance_url = ""
        self.ca_cert = Path()
        self.http = requests.Session()
        self.http.trust_env = False
        self.spec = workdir / "orgs" / "fleet.json"

    def start(self) -> Path:
        """Write every org's seed and the fleet file, serve them, write the configuration; returns it."""
        orgs = self.spec.parent
        orgs.mkdir(parents=True, exist_ok=True)
        seed = write_seed(self.size, "Bench org", orgs / "seed.json")
        entries = {name: {"data": f"{name}.json", "seed": seed.name} for name in self.names}
        self.spec.write_text(json.dumps({"orgs": entries}), encoding="utf-8")
        self._serve()
        return self.config

    @property
    def config(self) -> Path:
        return self.workdir / "config" / "reconcile.toml"

    def _write_config(self) -> None:
        """The configuration for the fleet as now served (address and CA change when it restarts)."""
        endpoints = [OrgEndpoint(n, self.instance_url, self.ca_cert, _token_env(n)) for n in self.names]
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(config_text(self.size, endpoints), encoding="utf-8")

    def _serve(self) -> None:
        args = [sys.executable, "-c", "from reconcile.cli import main; main()", "emulator", "serve"]
        args += ["--fleet", str(self.spec)]
        args += ["--latency-ms", str(self.latency_ms)]
        log = open(self.workdir / "fleet.log", "a", encoding="utf-8")  # noqa: SIM115 - the child's stderr
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fleet did not start: {(self.workdir / 'fleet.log').read_text()}")
        ready = json.loads(line)
        self.instance_url, self.ca_cert = ready["instance_url"], Path(ready["ca_cert"])
        self.http.verify = str(self.ca_cert)
        self.tokens = {name: org["access_token"] for name, org in ready["orgs"].items()}
        for name, token in self.tokens.items():
            os.environ[_token_env(name)] = token
        self.emulator_cpu.pid = self.process.pid
        self._write_config()

    def _admin(self, method: str, name: str, action: str) -> Any:
        answer = self.http.request(
            method,
            f"{self.instance_url}/__emulator/{action}",
            headers={"Authorization": f"Bearer {self.tokens[name]}"},
            timeout=60,
        )
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def requests(self) -> dict[str, Counter[str]]:
        """Requests each org counted since the last ``reset``, by endpoint."""
        return {name: Counter(self._admin("GET", name, "stats")["requests"]) for name in self.names}

    def reset(self) -> None:
        for name in self.names:
            self._admin("POST", name, "reset-stats")

    def drift(self) -> Drift:
        """Stop the fleet, change 5% of every kind in every org's live file, serve them again."""
        self._stop_serving()
        drift = Drift(0, 0, 0, 0)
        for name in self.names:
            drift = drift_store(Store.load(self.spec.parent / f"{name}.json"), Names(self.size))
        self._serve()
        return drift

    def _stop_serving(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.emulator_cpu.spent_before = self.emulator_cpu.seconds
            self.emulator_cpu.pid = None
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=120)
        self.process = None

    def stop(self) -> None:
        self._stop_serving()
        for name in self.names:
            os.environ.pop(_token_env(name), None)
        self.http.close()


def _token_env(name: str) -> str:
    return f"BENCH_TOKEN_{name.upper()}"
