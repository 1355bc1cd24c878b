"""The emulator's TLS material: a throw-away CA and a server certificate for 127.0.0.1 and localhost."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme


def make_tls(ca_path: Path) -> ssl.SSLContext:
    """Create a fresh CA, write its PEM to ``ca_path`` (the file clients trust) and return a server
    SSL context presenting a certificate for 127.0.0.1 and localhost signed by that CA."""
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    ca_path.parent.mkdir(parents=True, exist_ok=True)
    authority.cert_pem.write_to_path(str(ca_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    return context
