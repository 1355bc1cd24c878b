"""Run one emulated org in the foreground (``reconcile emulator serve``) or start it over (``reset``).

``serve_main`` prints exactly one JSON line on stdout when the server is ready::

    {"instance_url": "https://127.0.0.1:PORT", "access_token": "...", "ca_cert": "/abs/ca.pem",
     "api_version": "62.0", "org_id": "00D..."}

then serves until SIGINT or SIGTERM and stops cleanly (exit code 0). Problems with the org file or the
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
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(json.dumps(handle.ready_line()), flush=True)
        while not stop.wait(0.5):
            continue
    finally:
        handle.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def reset(seed: Path, data: Path) -> None:
    """Recreate the live org file ``data`` from ``seed`` (new ids only where the seed has none)."""
    Store.create(seed, data)


__all__ = ["SeedError", "reset", "serve_main"]
