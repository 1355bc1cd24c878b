"""A fleet of emulated orgs for the benchmark: started in this process, seeded, drifted, metered.

Each org is ``start_emulator`` on its own seed with the injected latency. The configuration reaches it
the way a real org is configured (``instance_url``, ``auth = {method = "access_token", token_env}``,
``ca_cert``), so plan and apply go through the real provider over HTTPS. The CPU time the emulator's
request threads use is measured apart (``emulator_cpu``): in this benchmark the orgs share the engine's
process and cores, which real orgs do not.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.seeding import Names, OrgEndpoint, Size, config_text, write_seed
from providers.emulator.embedded import EmulatorHandle, start_emulator

DRIFT_EVERY = 20  # 5%: every 20th grant, picklist field and layout assignment


@dataclass(frozen=True)
class Drift:
    """How many resources of each kind were changed by hand, and which profiles that touched."""

    grants: int
    fields: int
    layouts: int
    profiles: int


@dataclass
class CpuMeter:
    """Thread CPU seconds of the emulator's request threads (all orgs together)."""

    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            started = time.thread_time()
            try:
                return handler(*args)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.seconds += spent

        return timed


class Fleet:
    """``count`` emulated orgs of ``size`` under ``workdir``, each answering after ``latency_ms``."""

    def __init__(self, size: Size, count: int, latency_ms: int, workdir: Path) -> None:
        self.size = size
        self.count = count
        self.latency_ms = latency_ms
        self.workdir = workdir
        self.handles: dict[str, EmulatorHandle] = {}
        self.emulator_cpu = CpuMeter()
        self.names = [f"org{i + 1:02d}" for i in range(count)]

    def start(self) -> Path:
        """Start every org and write the configuration; returns the config file."""
        seeds = self.workdir / "seeds"
        seeds.mkdir(parents=True, exist_ok=True)
        endpoints = []
        for name in self.names:
            seed = write_seed(self.size, f"Bench {name}", seeds / f"{name}.json")
            handle = start_emulator(self.workdir / "live" / f"{name}.json", seed=seed, latency_ms=self.latency_ms)
            server: Any = handle._server
            server.process_request_thread = self.emulator_cpu.wrap(server.process_request_thread)
            self.handles[name] = handle
            token_env = f"BENCH_TOKEN_{name.upper()}"
            os.environ[token_env] = handle.access_token
            endpoints.append(OrgEndpoint(name, handle.instance_url, handle.ca_cert, token_env))
        config = self.workdir / "config" / "reconcile.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(config_text(self.size, endpoints), encoding="utf-8")
        return config

    def requests(self) -> dict[str, Counter[str]]:
        """Requests each org's emulator counted since the last ``reset``, by endpoint."""
        return {name: Counter(handle.stats()["requests"]) for name, handle in self.handles.items()}

    def reset(self) -> None:
        for handle in self.handles.values():
            handle.reset_stats()

    def drift(self) -> Drift:
        """Change 5% of every kind by hand in every org, straight in the emulator's store."""
        drift = Drift(0, 0, 0, 0)
        for handle in self.handles.values():
            drift = _drift_org(handle, Names(self.size))
        return drift

    def stop(self) -> None:
        for name, handle in self.handles.items():
            handle.stop()
            os.environ.pop(f"BENCH_TOKEN_{name.upper()}", None)
        self.handles.clear()


def _drift_org(handle: EmulatorHandle, names: Names) -> Drift:
    return drift_store(handle.store, names)


def drift_store(store: Any, names: Names) -> Drift:
    """Change 5% of every kind by hand in one org's store (and its live file)."""
    with store.lock:
        owned = {ps["Id"] for ps in store.table("PermissionSet").values() if ps["IsOwnedByProfile"]}
        granted = sorted(
            r["Id"] for r in store.table("PermissionSetAssignment").values() if r["PermissionSetId"] not in owned
        )
        revoked = granted[::DRIFT_EVERY]
        for record_id in revoked:
            store.delete("PermissionSetAssignment", record_id)
        fields = [names.field(i) for i in range(names.size.fields)][::DRIFT_EVERY]
        for obj, field_name in fields:
            _deactivate_first_new_value(store, obj, field_name)
        slots = names.slots()[::DRIFT_EVERY]
        for profile, object_index, record_type in slots:
            _repoint_to_default(store, names, profile, object_index, record_type)
        store.commit()
    return Drift(len(revoked), len(fields), len(slots), len({profile for profile, _, _ in slots}))


def _deactivate_first_new_value(store: Any, obj: str, field_name: str) -> None:
    developer_name = field_name.removesuffix("__c")
    for row in store.find("CustomField", DeveloperName=developer_name, _object=obj):
        metadata = dict(row["Metadata"])
        value_set = dict(metadata["valueSet"])
        definition = dict(value_set["valueSetDefinition"])
        values = [dict(v) for v in definition["value"]]
        for value in values:
            if value["valueName"].startswith("New_"):
                value["isActive"] = False
                break
        definition["value"], value_set["valueSetDefinition"], metadata["valueSet"] = values, definition, value_set
        store.update("CustomField", row["Id"], {"Metadata": metadata})


def _repoint_to_default(store: Any, names: Names, profile: str, object_index: int, record_type: str) -> None:
    obj = names.object(object_index)
    profile_id = store.find("Profile", Name=profile)[0]["Id"]
    default = store.find("Layout", Name=names.layout(object_index, alternate=False), _object=obj)[0]["Id"]
    record_type_id = None
    if record_type:
        record_type_id = store.find("RecordType", DeveloperName=record_type, SobjectType=obj)[0]["Id"]
    for row in store.find("ProfileLayout", ProfileId=profile_id, RecordTypeId=record_type_id):
        layout = store.get("Layout", row["LayoutId"])
        if layout is not None and layout.get("_object") == obj:
            store.update("ProfileLayout", row["Id"], {"LayoutId": default})
