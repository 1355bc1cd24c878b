"""Run one emulated org in the foreground (``reconcile emulator serve``) or start it over (``reset``).

``serve_main`` prints exactly one JSON line on stdout when the server is ready::

    {"instance_url": "https://127.0.0.1:PORT", "access_token": "...", "ca_cert": "/abs/ca.pem",
     "api_version": "62.0", "org_id": "00D..."}

then serves until SIGINT or SIGTERM and stops cleanly (exit code 0). ``serve_fleet_main`` does the same
for a fleet file (``providers.emulator.fleet``), its line naming every org's token and org id::

    {"instance_url": ..., "ca_cert": ..., "api_version": ..., "orgs": {NAME: {"access_token", "org_id"}}}
 Problems with the org file or the
faults file are reported on stderr with exit code 1, before anything is printed on stdout.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from .embedded import start_emulator
from .faults import FaultRuleError
from .fleet import read_fleet_spec, start_fleet
from .org.data import SeedError
from .org.store import Store


def _load_faults(faults_file: Path | None) -> list[dict[str, Any]]:
    if faults_file is None:
        return []
    rules = json.loads(faults_file.read_text(encoding="utf-8"))
    if not isinstance(rules, list):
        raise FaultRuleError(f"{faults_file}: expected a JSON list of fault rules")
    return rules


def serve_main(data: Path, port: int = 0, latency_ms: int = 0, faults_file: Path | None = None) -> int:
    """Serve the live org file ``data`` until SIGINT/SIGTERM; returns the process exit code."""
    try:
        rules = _load_faults(faults_file)
        handle = start_emulator(data, latency_ms=latency_ms, faults=rules, port=port)
    except (OSError, ValueError, KeyError) as exc:
        kind = "faults" if isinstance(exc, FaultRuleError) else "org"
        print(f"emulator: cannot start ({kind}): {exc}", file=sys.stderr)
        return 1
    return _serve_until_stopped(handle.ready_line(), handle.stop)


def serve_fleet_main(spec: Path, port: int = 0, latency_ms: int = 0) -> int:
    """Serve every org of the fleet file ``spec`` on one port until SIGINT/SIGTERM; the exit code."""
    try:
        fleet = start_fleet(read_fleet_spec(spec), latency_ms=latency_ms, port=port)
    except (OSError, ValueError, KeyError) as exc:
        print(f"emulator: cannot start the fleet: {exc}", file=sys.stderr)
        return 1
    return _serve_until_stopped(fleet.ready_line(), fleet.stop)


def _serve_until_stopped(ready: dict[str, Any], stop_serving: Any) -> int:
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(json.dumps(ready), flush=True)
        while not stop.wait(0.5):
            continue
    finally:
        stop_serving()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def reset(seed: Path, data: Path) -> None:
    """Recreate the live org file ``data`` from ``seed`` (new ids only where the seed has none)."""
    Store.create(seed, data)


__all__ = ["SeedError", "reset", "serve_fleet_main", "serve_main"]
