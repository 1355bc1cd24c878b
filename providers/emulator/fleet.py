"""A fleet of emulated orgs in one process, on one HTTPS port, each request routed to its org by token.

``start_fleet(orgs, latency_ms)`` loads every org (``{name: (live file, seed or None)}``; a live file that
does not exist yet is created from its seed), gives each its own access token (``<org id 15>!<random>``,
as one org's server does) and serves them all on https://127.0.0.1:``port``. A request goes to the org
whose token it carries: the ``Authorization`` header for REST, Tooling and the ``/__emulator/`` paths,
the SOAP ``SessionHeader`` for the Metadata API and Apex. Each org keeps its own store (and live file),
request meter, daily limit, query cursors and latency; what one org answers is what a single-org server
would. A request carrying no known token is answered as a single org answers a bad session (401
``INVALID_SESSION_ID`` for REST, the SOAP fault for SOAP); ``GET /services/data`` (the version list, which
needs no session) is answered by any org.

Per-org stats are ``GET /__emulator/stats`` with that org's token, or ``FleetHandle.stats()`` for all.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request

from .context import OrgContext
from .embedded import API_VERSION, open_store, serve, stop_serving
from .faults import FaultBook
from .meter import Meter
from .server import EmulatorApp

_SESSION_ID = re.compile(rb"<(?:[A-Za-z0-9_]+:)?sessionId>([^<]+)</(?:[A-Za-z0-9_]+:)?sessionId>")


def _token_of(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    if request.method == "POST" and request.path.startswith("/services/Soap/"):
        found = _SESSION_ID.search(request.get_data())
        return found.group(1).decode("utf-8", "replace") if found else None
    return None


class FleetApp:
    """WSGI callable routing each request to one org's ``EmulatorApp`` by the token it carries."""

    def __init__(self, apps: Mapping[str, EmulatorApp]) -> None:
        self.by_token = {app.org.access_token: app for app in apps.values()}
        self.any_org = next(iter(apps.values()))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        token = _token_of(request)
        app = self.by_token.get(token) if token is not None else None
        # An unknown or missing token: any org refuses it exactly as its own server would.
        response = (app or self.any_org).handle(request)
        return response(environ, start_response)


@dataclass
class FleetOrg:
    """One org of a fleet: its token, Organization Id, live file and the app that serves it."""

    name: str
    access_token: str
    org_id: str
    data: Path
    app: EmulatorApp = field(repr=False)


@dataclass
class FleetHandle:
    """A running fleet: one address and CA for every org, and each org's token."""

    instance_url: str
    ca_cert: Path
    api_version: str
    orgs: dict[str, FleetOrg]
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _workdir: Path = field(repr=False)

    def stop(self) -> None:
        """Stop serving, wait for the server thread and remove the CA file; idempotent."""
        stop_serving(self._server, self._thread)
        shutil.rmtree(self._workdir, ignore_errors=True)

    def stats(self) -> dict[str, dict[str, Any]]:
        """Every org's ``GET /__emulator/stats``, by org name."""
        return {name: org.app.org.meter.stats() for name, org in self.orgs.items()}

    def reset_stats(self) -> None:
        for org in self.orgs.values():
            org.app.org.meter.reset_requests()

    def ready_line(self) -> dict[str, Any]:
        """The JSON object ``reconcile emulator serve --fleet`` prints when ready."""
        return {
            "instance_url": self.instance_url,
            "ca_cert": str(self.ca_cert),
            "api_version": self.api_version,
            "orgs": {name: {"access_token": o.access_token, "org_id": o.org_id} for name, o in self.orgs.items()},
        }


def read_fleet_spec(spec: Path) -> dict[str, tuple[Path, Path | None]]:
    """The orgs of a fleet file: ``{"orgs": {name: {"data": path, "seed": path}}}`` (``seed`` optional,
    paths relative to the file). Raises ``ValueError`` naming the file for anything else."""
    document = json.loads(spec.read_text(encoding="utf-8"))
    orgs = document.get("orgs") if isinstance(document, dict) else None
    if not isinstance(orgs, dict) or not orgs:
        raise ValueError(f'{spec}: expected {{"orgs": {{NAME: {{"data": PATH, "seed": PATH}}}}}} with at least one org')
    fleet: dict[str, tuple[Path, Path | None]] = {}
    for name, entry in orgs.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), str):
            raise ValueError(f'{spec}: org {name!r} needs a "data" path (its live org file)')
        seed = entry.get("seed")
        if seed is not None and not isinstance(seed, str):
            raise ValueError(f'{spec}: org {name!r}: "seed" must be a path')
        fleet[name] = (spec.parent / entry["data"], spec.parent / seed if seed else None)
    return fleet


def start_fleet(orgs: Mapping[str, tuple[Path, Path | None]], *, latency_ms: int = 0, port: int = 0) -> FleetHandle:
    """Serve every org of ``orgs`` (name -> (live file, seed)) on one port; see the module docstring."""
    if not orgs:
        raise ValueError("a fleet needs at least one org")
    members: dict[str, FleetOrg] = {}
    for name, (data, seed) in orgs.items():
        store = open_store(data, seed)
        token = f"{store.org_id[:15]}!{secrets.token_urlsafe(48)}"
        context = OrgContext(
            store=store, meter=Meter(store.daily_api_limit), access_token=token, api_version=API_VERSION
        )
        members[name] = FleetOrg(name, token, store.org_id, data, EmulatorApp(context, FaultBook(), latency_ms))
    workdir = Path(tempfile.mkdtemp(prefix="sf-emulator-fleet-"))
    ca_path = workdir / "ca.pem"
    app = FleetApp({name: member.app for name, member in members.items()})
    server, thread = serve(app, port, ca_path, "sf-emulator-fleet")
    return FleetHandle(
        instance_url=f"https://127.0.0.1:{server.server_port}",
        ca_cert=ca_path,
        api_version=API_VERSION,
        orgs=members,
        _server=server,
        _thread=thread,
        _workdir=workdir,
    )
