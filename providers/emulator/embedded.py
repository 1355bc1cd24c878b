"""Start an emulated org inside the current process.

``start_emulator`` loads (or first creates from ``seed``) the live org file ``data``, makes a fresh TLS
CA and access token, and serves HTTPS on 127.0.0.1 in daemon threads until ``EmulatorHandle.stop``.
The CA PEM lives in a private temp directory removed by ``stop``; the token is never written anywhere.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .context import OrgContext
from .faults import FaultBook
from .meter import Meter
from .org.store import Store
from .server import EmulatorApp
from .tls import make_tls

API_VERSION = "62.0"


#: How long a kept-alive connection may stay idle before the emulator closes it.
IDLE_CONNECTION_SECONDS = 120
_OPEN_LOCK = threading.Lock()  # guards every server's ``open_connections``


def serve(app: Any, port: int, ca_path: Path, name: str) -> tuple[BaseWSGIServer, threading.Thread]:
    """An HTTPS server for ``app`` on 127.0.0.1 (``port`` 0: any free port) answering from its own
    thread; each connection is served (TLS handshake included) by a thread of its own."""
    server = make_server(
        "127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler, ssl_context=make_tls(ca_path)
    )
    server.open_connections = set()  # type: ignore[attr-defined]  # the connections its handlers hold
    listening = server.socket
    if isinstance(listening, ssl.SSLSocket):
        setattr(listening, "do_handshake_on_connect", False)  # noqa: B010 (not in typeshed); see _QuietHandler.handle
    listening.listen(1024)  # a long backlog: a fleet's clients connect at once
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
    thread.start()
    return server, thread


def stop_serving(server: BaseWSGIServer, thread: threading.Thread) -> None:
    """Stop accepting, wait for the serving thread, and close every connection still open (a kept-alive
    connection would otherwise go on being answered by its handler thread); idempotent."""
    if thread.is_alive():
        server.shutdown()
        thread.join()
    server.server_close()
    with _OPEN_LOCK:
        connections = set(getattr(server, "open_connections", ()))
    for connection in connections:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to stderr, and keeps HTTP/1.1 connections open
    between requests, as Salesforce's servers do (clients reuse one TLS connection for many calls).

    werkzeug's handler closes every connection (``Connection: close``) because an application that
    does not read a request body would leave it in the stream; this one reads the whole body (by its
    ``Content-Length``) before the application runs, so the next request starts where it should. A
    request with a chunked body, or a client that asks for ``Connection: close``, still closes."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_CONNECTION_SECONDS
    _keep_alive = False

    def setup(self) -> None:
        super().setup()
        # Answers go out as several writes (head, body, chunks): without this, Nagle's algorithm holds
        # each one back until the client acknowledges the previous (tens of ms on a kept-alive connection).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with _OPEN_LOCK:
            self.server.open_connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        with _OPEN_LOCK:
            self.server.open_connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def handle(self) -> None:
        """The TLS handshake happens here, in the connection's own thread (``serve`` turns it off in
        ``accept``): a client that stalls mid-handshake holds up its own connection, not every other."""
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except OSError:  # the client went away or spoke no TLS: nothing to answer
                return
        super().handle()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log_error(self, format: str, *args: Any) -> None:
        if format == "Request timed out: %r":  # an idle kept-alive connection closed: not an error
            return
        super().log_error(format, *args)

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length")
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        self._keep_alive = not chunked and (length is None or length.isdigit())
        if not self._keep_alive:
            super().run_wsgi()
            return
        stream = self.rfile
        self.rfile = io.BytesIO(stream.read(int(length)) if length else b"")
        try:
            super().run_wsgi()
        finally:
            self.rfile = stream

    def send_header(self, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and self._keep_alive and not self.close_connection:
            return  # werkzeug's unconditional close: the body was read, the connection stays usable
        super().send_header(keyword, value)


@dataclass
class EmulatorHandle:
    """A running emulated org: where it listens, how to authenticate, and its store."""

    instance_url: str
    access_token: str
    ca_cert: Path
    api_version: str
    org_id: str
    store: Store
    _app: EmulatorApp = field(repr=False)
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _workdir: Path = field(repr=False)

    def stop(self) -> None:
        """Stop serving, wait for the server thread and remove the CA file; idempotent."""
        stop_serving(self._server, self._thread)
        shutil.rmtree(self._workdir, ignore_errors=True)

    @property
    def context(self) -> OrgContext:
        """The served org's shared state (cursors, sessions, the clock tests may replace)."""
        return self._app.org

    def stats(self) -> dict[str, Any]:
        """The same JSON as ``GET /__emulator/stats``."""
        return self._app.org.meter.stats()

    def reset_stats(self) -> None:
        """Zero the per-endpoint request counts (API usage is kept)."""
        self._app.org.meter.reset_requests()

    def add_faults(self, rules: list[dict[str, Any]]) -> None:
        """Add fault rules (see ``faults``); raises FaultRuleError for a malformed rule."""
        self._app.faults.add(rules)

    def ready_line(self) -> dict[str, str]:
        """The JSON object ``reconcile emulator serve`` prints when ready."""
        return {
            "instance_url": self.instance_url,
            "access_token": self.access_token,
            "ca_cert": str(self.ca_cert),
            "api_version": self.api_version,
            "org_id": self.org_id,
        }

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def open_store(data: Path, seed: Path | None = None) -> Store:
    """The store of ``data``, created from ``seed`` first when ``data`` does not exist yet."""
    if seed is not None and not data.exists():
        return Store.create(seed, data)
    return Store.load(data)


def start_emulator(
    data: Path,
    *,
    seed: Path | None = None,
    latency_ms: int = 0,
    faults: list[dict[str, Any]] | None = None,
    port: int = 0,
) -> EmulatorHandle:
    """Serve the org in ``data`` on https://127.0.0.1:``port`` (0: a free port) and return its handle."""
    store = open_store(data, seed)
    token = f"{store.org_id[:15]}!{secrets.token_urlsafe(48)}"
    org = OrgContext(
        store=store,
        meter=Meter(store.daily_api_limit),
        access_token=token,
        api_version=API_VERSION,
        session_seconds=store.session_seconds,
    )
    book = FaultBook()
    book.add(faults or [])
    app = EmulatorApp(org, book, latency_ms=latency_ms)
    workdir = Path(tempfile.mkdtemp(prefix="sf-emulator-"))
    ca_path = workdir / "ca.pem"
    server, thread = serve(app, port, ca_path, "sf-emulator")
    return EmulatorHandle(
        instance_url=f"https://127.0.0.1:{server.server_port}",
        access_token=token,
        ca_cert=ca_path,
        api_version=API_VERSION,
        org_id=store.org_id,
        store=store,
        _app=app,
        _server=server,
        _thread=thread,
        _workdir=workdir,
    )
